"""The debtor portal: what a debtor sees behind the signed link each message carries.

No login: the link's token (``links``) names the creditor and the debtor and expires after
``RELANCE_PORTAL_DAYS``. The debtor sees what is due, downloads the stored invoice PDFs, reads
how to pay (IBAN, reference, the EPC QR code, the creditor's pay link), reports a problem with
an invoice (a dispute, through the collection app's own service, so the chase of that invoice
stops) and proposes a payment plan, which is never created here: it becomes a task on the
collector's worklist. Without ``RELANCE_PUBLIC_URL`` no message carries a link.
"""
