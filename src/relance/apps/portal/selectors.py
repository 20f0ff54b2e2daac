"""Reading for the portal: whose link it is, and what that debtor owes.

Everything here is scoped by the ``PortalAccess`` a valid token gave: the debtor's own
invoices, its creditor's identity and bank details, never a row of anyone else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Exists, OuterRef

from relance.apps.collection.contexts import case_current, case_reference, invoice_lines
from relance.apps.collection.messages import transfer_qr_png
from relance.apps.collection.models import Dispute
from relance.apps.collection.portal_links import portal_token_read
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Debtor, Invoice
from relance.documents.context import (
    CreditorInfo,
    DebtorInfo,
    LetterContext,
    format_iban,
    format_siren,
)
from relance.domain.errors import NotFoundError
from relance.domain.money import ZERO, round_cents


@dataclass(frozen=True)
class PortalAccess:
    """What a valid token opens: one debtor of one creditor."""

    token: str
    creditor: Creditor
    debtor: Debtor


def portal_access(*, token: str, now: datetime) -> PortalAccess:
    """The debtor a token names, as of ``now``. ``links.PortalLinkError`` for a token that is
    not ours or too old; ``NotFoundError`` when the debtor is gone or is not the creditor's."""
    creditor_id, debtor_id = portal_token_read(token, now=now)
    debtor = (
        Debtor.objects.select_related("creditor")
        .filter(pk=debtor_id, creditor_id=creditor_id)
        .first()
    )
    if debtor is None:
        raise NotFoundError("no such debtor")
    return PortalAccess(token=token, creditor=debtor.creditor, debtor=debtor)


@dataclass(frozen=True)
class DueInvoice:
    pk: int
    number: str
    issue_date: date
    due_date: date
    total: Decimal
    open_amount: Decimal
    currency: str
    is_late: bool
    in_dispute: bool
    has_pdf: bool


@dataclass(frozen=True)
class Statement:
    """What the portal's page shows: the creditor, the open invoices, how to pay."""

    creditor_name: str
    creditor_siren: str
    creditor_address: tuple[str, ...]
    creditor_email: str
    creditor_phone: str
    debtor_name: str
    debtor_account: str
    invoices: tuple[DueInvoice, ...]
    total_open: Decimal
    payable: Decimal  # the open amount not in dispute
    currency: str
    reference: str
    iban: str
    bic: str
    pay_link: str

    @property
    def disputable(self) -> tuple[DueInvoice, ...]:
        return tuple(i for i in self.invoices if not i.in_dispute)

    @property
    def has_qr(self) -> bool:
        return bool(self.iban) and self.currency == "EUR" and self.payable > 0


def _open_invoices(debtor: Debtor) -> list[Invoice]:
    disputed = Dispute.objects.filter(invoice_id=OuterRef("pk"), status=Dispute.Status.OPEN)
    return list(
        Invoice.objects.filter(debtor=debtor, status=Invoice.Status.OPEN, open_amount__gt=0)
        .annotate(in_dispute=Exists(disputed))
        .order_by("due_date", "number")
    )


def portal_statement(*, access: PortalAccess, as_of: date) -> Statement:
    """The debtor's open invoices as of ``as_of`` (those in dispute marked), their total, and
    the creditor's ways to be paid: IBAN, the letters' reference, the pay link."""
    return _statement(access, as_of)[0]


def _statement(access: PortalAccess, as_of: date) -> tuple[Statement, LetterContext]:
    """The statement, and the letter context of what is payable (the pay link and QR code
    are the letters' own, drawn from it)."""
    creditor, debtor = access.creditor, access.debtor
    rows = _open_invoices(debtor)
    invoices = tuple(
        DueInvoice(
            pk=i.pk,
            number=i.number,
            issue_date=i.issue_date,
            due_date=i.due_date,
            total=i.total_amount,
            open_amount=i.open_amount,
            currency=i.currency,
            is_late=i.due_date < as_of,
            in_dispute=bool(i.in_dispute),  # type: ignore[attr-defined]
            has_pdf=bool(i.pdf),
        )
        for i in rows
    )
    payable_rows = [i for i in invoices if not i.in_dispute]
    payable_ids = {i.pk for i in payable_rows}
    payable = round_cents(sum((i.open_amount for i in payable_rows), ZERO))
    reference = case_reference(case=case_current(debtor=debtor), debtor=debtor, as_of=as_of)
    context = LetterContext(
        creditor=CreditorInfo(
            name=creditor.name,
            iban=creditor.iban,
            bic=creditor.bic,
            pay_link_template=creditor.pay_link_template,
        ),
        debtor=DebtorInfo(name=debtor.name, account=debtor.account),
        invoices=invoice_lines(i for i in rows if i.pk in payable_ids),
        letter_date=as_of,
        reference=reference,
    )
    currencies = {i.currency for i in invoices}
    address = tuple(line for line in creditor.address.splitlines() if line.strip())
    place = " ".join(x for x in (creditor.postal_code, creditor.city) if x)
    statement = Statement(
        creditor_name=creditor.name,
        creditor_siren=format_siren(creditor.siren),
        creditor_address=(*address, place) if place else address,
        creditor_email=creditor.email,
        creditor_phone=creditor.phone,
        debtor_name=debtor.name,
        debtor_account=debtor.account,
        invoices=invoices,
        total_open=round_cents(sum((i.open_amount for i in invoices), ZERO)),
        payable=payable,
        currency=currencies.pop() if len(currencies) == 1 else "EUR",
        reference=reference,
        iban=format_iban(creditor.iban),
        bic=creditor.bic,
        pay_link=context.pay_link(payable) if payable > 0 else "",
    )
    return statement, context


def portal_qr_png(*, access: PortalAccess, as_of: date) -> bytes:
    """The EPC QR code of a transfer of what is payable (the open amount not in dispute),
    drawn as the e-mails draw theirs; b"" when there is none to draw."""
    statement, context = _statement(access, as_of)
    if not statement.has_qr:
        return b""
    return transfer_qr_png(context, statement.payable)


def portal_invoice(*, access: PortalAccess, invoice_id: int) -> Invoice:
    """One of the debtor's own invoices with a stored PDF; ``NotFoundError`` otherwise."""
    invoice = Invoice.objects.filter(pk=invoice_id, debtor=access.debtor).first()
    if invoice is None or not invoice.pdf:
        raise NotFoundError("no such invoice")
    return invoice
