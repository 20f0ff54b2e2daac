"""Writing off a claim: the reasons a creditor gives up, and the journal entry it books.

A receivable that will not be paid leaves the customer account (411) for the loss account 654
"Pertes sur créances irrécouvrables" (Plan comptable général, art. 946-65). The VAT collected on
it may be reclaimed once the receivable is definitively irrecoverable (CGI art. 272-1): a
debtor's insolvency, or a claim the law no longer lets anyone pursue; not when the creditor
merely chooses to drop a small amount. Late-payment penalties and the 40 € indemnity are outside
the scope of VAT: written off without any. Pure: the amounts come in as arguments.

>>> lines = write_off_lines(reason="insolvency", vat_rate=Decimal("20"), account="411CLI",
...                         name="Client SARL", invoices=[("FA-1", Decimal("1200.00"))])
>>> [(line.account, line.debit, line.credit) for line in lines]
[('654', Decimal('1000.00'), Decimal('0.00')), ('44571', Decimal('200.00'), Decimal('0.00')), ('411', Decimal('0.00'), Decimal('1200.00'))]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class WriteOffReason:
    code: str
    label: str
    reclaims_vat: bool
    source: str


REASONS: dict[str, WriteOffReason] = {
    "insolvency": WriteOffReason(
        "insolvency", "Insolvabilité du débiteur (procédure collective, carence)", True,
        "CGI art. 272-1 ; C. com. L622-24 (déclaration de créance)",
    ),
    "prescription": WriteOffReason(
        "prescription", "Créance prescrite", True,
        "C. com. L110-4 ; C. conso. L218-2 ; CGI art. 272-1",
    ),
    "too_small": WriteOffReason(
        "too_small", "Montant trop faible pour être poursuivi (abandon de créance)", False,
        "Abandon volontaire : la TVA n'est pas récupérable (CGI art. 272-1 exige une créance "
        "définitivement irrécouvrable)",
    ),
}

ACCOUNTS = {
    "loss": ("654", "Pertes sur créances irrécouvrables"),
    "vat": ("44571", "TVA collectée"),
    "customer": ("411", "Clients"),
}


@dataclass(frozen=True, slots=True)
class JournalLine:
    """One line of the write-off entry; ``aux`` is the customer's own account (411 lines)."""

    account: str
    account_label: str
    piece: str
    label: str
    debit: Decimal
    credit: Decimal
    aux: str = ""
    aux_label: str = ""


def vat_part(amount: Decimal, rate: Decimal) -> Decimal:
    """The VAT inside an amount including VAT at ``rate`` %.

    >>> vat_part(Decimal("1200.00"), Decimal("20")), vat_part(Decimal("100.00"), Decimal("5.5"))
    (Decimal('200.00'), Decimal('5.21'))
    """
    net = (amount * 100 / (100 + rate)).quantize(CENT, rounding=ROUND_HALF_UP)
    return amount - net


def write_off_lines(
    *,
    reason: str,
    vat_rate: Decimal | None,
    account: str,
    name: str,
    invoices: Iterable[tuple[str, Decimal]],
    penalties: Iterable[tuple[str, Decimal, Decimal]] = (),
) -> list[JournalLine]:
    """The entry writing off each invoice's open amount (including VAT at ``vat_rate`` %, none
    when ``None``) and, when they were invoiced, its penalties and indemnity: per invoice, the
    loss (654) and the VAT reclaimed (44571) on the debit side, the customer (411) on the credit
    side, so that the entry balances."""
    rules = REASONS[reason]
    loss, vat, customer = ACCOUNTS["loss"], ACCOUNTS["vat"], ACCOUNTS["customer"]
    lines: list[JournalLine] = []
    for number, amount in invoices:
        tax = vat_part(amount, vat_rate) if vat_rate is not None and rules.reclaims_vat else ZERO
        text = f"Créance irrécouvrable {number} ({rules.code})"
        lines.append(JournalLine(*loss, number, text, amount - tax, ZERO))
        if tax:
            lines.append(JournalLine(*vat, number, f"TVA sur créance irrécouvrable {number}", tax, ZERO))
        lines.append(JournalLine(*customer, number, text, ZERO, amount, account, name))
    for number, interest, indemnity in penalties:
        for amount, what in ((interest, "Pénalités de retard"), (indemnity, "Indemnité forfaitaire")):
            if amount > 0:
                text = f"{what} {number} irrécouvrables"
                lines.append(JournalLine(*loss, number, text, amount, ZERO))
                lines.append(JournalLine(*customer, number, text, ZERO, amount, account, name))
    return lines
