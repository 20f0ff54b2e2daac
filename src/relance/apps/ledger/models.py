from __future__ import annotations

from django.db import models

from relance.apps.creditors.models import Creditor


class ImportBatch(models.Model):
    """One file taken in (or refused): what it was, what it changed, what was wrong with it."""

    class Kind(models.TextChoices):
        LEDGER = "ledger", "ledger"
        BANK = "bank", "bank statement"

    class Status(models.TextChoices):
        COMMITTED = "committed", "committed"
        REFUSED = "refused", "refused"

    creditor = models.ForeignKey(Creditor, on_delete=models.CASCADE, related_name="imports")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    format = models.CharField(max_length=20)
    filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    settled_count = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True)
    notes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "import batches"

    def __str__(self) -> str:
        return f"{self.kind} import {self.filename} ({self.status})"


class Debtor(models.Model):
    class Kind(models.TextChoices):
        BUSINESS = "business", "business"
        CONSUMER = "consumer", "consumer"
        PUBLIC = "public", "public body"

    creditor = models.ForeignKey(Creditor, on_delete=models.CASCADE, related_name="debtors")
    account = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.BUSINESS)
    siren = models.CharField(max_length=9, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    address = models.CharField(max_length=200, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, default="FR")
    language = models.CharField(max_length=5, default="fr")
    is_do_not_contact = models.BooleanField(default=False)
    is_legal_hold = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["creditor", "account"], name="debtor_account_unique"),
        ]
        indexes = [
            # The debtor list in name order, a page at a time, without sorting every debtor.
            models.Index(fields=["creditor", "name", "id"], name="debtor_name"),
            # The debtor list's "on hold" filter: a few debtors among 200,000, found without a scan.
            models.Index(
                fields=["creditor"], condition=models.Q(is_legal_hold=True), name="debtor_legal_hold"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.account})"


class Contact(models.Model):
    debtor = models.ForeignKey(Debtor, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    is_primary = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.name or self.email or self.phone


class Invoice(models.Model):
    """A receivable, or a credit note (``kind``; its totals are negative).

    Kind and number together identify a document: a credit note may carry its invoice's number.
    ``open_amount`` is always ``total_amount`` minus the sum of the document's allocations; only
    services write it, in the same transaction as the allocation that changes it. A credit note
    applied to an invoice is a payment of origin ``credit`` whose allocations add to the invoice
    what they take from the credit note (see ``relance.apps.ledger.credits``).
    """

    class Status(models.TextChoices):
        OPEN = "open", "open"
        PAID = "paid", "paid"

    class Kind(models.TextChoices):
        INVOICE = "invoice", "invoice"
        CREDIT_NOTE = "credit_note", "credit note"

    # Both foreign keys lead the composite indexes below, which serve their lookups too; a
    # separate index each would only slow down imports of a million rows.
    creditor = models.ForeignKey(
        Creditor, on_delete=models.CASCADE, related_name="invoices", db_index=False
    )
    debtor = models.ForeignKey(
        Debtor, on_delete=models.CASCADE, related_name="invoices", db_index=False
    )
    number = models.CharField(max_length=60)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.INVOICE)
    # The number of the invoice a credit note says it corrects (UBL BillingReference, CII
    # InvoiceReferencedDocument, the CSV's credit_note_for); empty when it names none.
    credit_note_for = models.CharField(max_length=60, blank=True, default="")
    issue_date = models.DateField()
    due_date = models.DateField()
    currency = models.CharField(max_length=3, default="EUR")
    total_amount = models.DecimalField(max_digits=14, decimal_places=2)
    open_amount = models.DecimalField(max_digits=14, decimal_places=2)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    pdf = models.FileField(upload_to="invoices/", blank=True)
    # Not indexed: nothing looks invoices up by batch often enough to pay for an index on
    # every imported row.
    import_batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="invoices",
        db_index=False,
    )
    source_line = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_date", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["creditor", "kind", "number"], name="invoice_kind_number_unique"
            ),
        ]
        indexes = [
            # Covers the aging query (a GROUP BY over every open invoice) without touching
            # the table, and the daily pass's scan of overdue invoices.
            models.Index(
                fields=["creditor", "status", "due_date", "currency", "open_amount"],
                name="invoice_open_due",
            ),
            # Covers the sales of a period (DSO, the dashboard) by issue date.
            models.Index(
                fields=["creditor", "issue_date", "currency", "total_amount"],
                name="invoice_issued",
            ),
            models.Index(fields=["debtor", "status"], name="invoice_debtor_status"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.open_amount}/{self.total_amount} {self.currency}"


class Payment(models.Model):
    """Money received (or a settlement the ledger reports). ``value_date``: funds available.

    ``is_dated`` is False for a settlement a ledger export reported without saying when it was
    paid: its ``value_date`` is then the day of the import, the day Relance learnt of it, not a
    day money arrived; figures by date (DSO history) do not take it for one.
    """

    class Origin(models.TextChoices):
        LEDGER = "ledger", "ledger export"
        BANK = "bank", "bank statement"
        MANUAL = "manual", "entered by hand"
        CREDIT = "credit", "credit note applied"

    creditor = models.ForeignKey(Creditor, on_delete=models.CASCADE, related_name="payments")
    debtor = models.ForeignKey(
        Debtor, null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    value_date = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    reference = models.CharField(max_length=200, blank=True)
    origin = models.CharField(max_length=10, choices=Origin.choices)
    is_dated = models.BooleanField(default=True)
    import_batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    # Origin credit: the credit note applied. No money moves; the payment's amount is zero, the
    # sum of its allocations (the invoice's share, the credit note's negative twin).
    credit_note = models.ForeignKey(
        "Invoice", null=True, blank=True, on_delete=models.CASCADE, related_name="applications"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-value_date"]

    def __str__(self) -> str:
        return f"{self.value_date} {self.amount} {self.currency} ({self.origin})"


class Allocation(models.Model):
    """The part of a payment applied to one invoice. Negative when a settlement is reversed."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="allocations")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.amount} of {self.payment_id} to {self.invoice_id}"
