"""End to end: a debtor who has paid by bank transfer is not chased again.

A debtor with two overdue invoices receives the first reminder. It then pays one invoice by
a transfer that arrives in a CAMT.053 statement (the invoice number in ``Ustrd``) and the
other by one that arrives in a CFONB 120 statement. After both imports the ledger shows both
invoices paid, nothing blocks or doubts the debtor, the bank feed is fresh, and the next
daily pass closes the debtor's case and sends it nothing more, while a debtor who has not
paid is still chased.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from relance.apps.banking.selectors import (
    bank_feed_stale,
    debtor_credit,
    debtor_has_unmatched_recent_credit,
    debtors_blocked_by_unmatched_credits,
)
from relance.apps.banking.services import statement_import
from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.models import Action, Case
from relance.apps.ledger.models import Invoice
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

DUE = date(2026, 3, 2)  # a Monday
FIRST_PASS = DUE + timedelta(days=3)
PAID_BY_CAMT = DUE + timedelta(days=14)
PAID_BY_CFONB = DUE + timedelta(days=15)
NEXT_PASS = DUE + timedelta(days=16)  # the day the scenario would plan a call
PAYER_IBAN = "FR7630004000031234567890143"


def camt053(*, booked: date, amount: Decimal, payer: str, iban: str, ustrd: str) -> bytes:
    """A one-entry camt.053.001.02 statement of the creditor's account."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>E2E-{booked:%Y%m%d}</MsgId><CreDtTm>{booked}T18:00:00+01:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT-{booked:%Y%m%d}</Id>
      <CreDtTm>{booked}T18:00:00+01:00</CreDtTm>
      <Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id><Ccy>EUR</Ccy></Acct>
      <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">5000.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{booked - timedelta(days=1)}</Dt></Dt></Bal>
      <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{Decimal("5000.00") + amount}</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{booked}</Dt></Dt></Bal>
      <Ntry>
        <Amt Ccy="EUR">{amount}</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>{booked}</Dt></BookgDt>
        <ValDt><Dt>{booked}</Dt></ValDt>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
          <RltdPties>
            <Dbtr><Nm>{payer}</Nm></Dbtr>
            <DbtrAcct><Id><IBAN>{iban}</IBAN></Id></DbtrAcct>
          </RltdPties>
          <RmtInf><Ustrd>{ustrd}</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>
""".encode()


def _cfonb_amount(amount: Decimal) -> str:
    cents = int(abs(amount) * 100)
    signs = "{ABCDEFGHI" if amount >= 0 else "}JKLMNOPQR"
    return f"{cents // 10:013d}{signs[cents % 10]}"


def _cfonb_record(
    code: str, day: date, *, amount: Decimal | None = None, label: str = "",
    qualifier: str = "", text: str = "",
) -> str:
    record = [" "] * 120

    def put(column: int, value: str) -> None:  # 1-based columns, as in the CFONB brochure
        record[column - 1 : column - 1 + len(value)] = value

    put(1, code)
    put(3, "30003")
    put(12, "01234")
    put(17, "EUR")
    put(20, "2")
    put(22, "01234567890")
    put(35, f"{day:%d%m%y}")
    if code in ("04", "05"):
        put(8, "0005")
        put(33, "05")
    if code == "04":
        put(43, f"{day:%d%m%y}")
        put(49, label[:31])
        put(82, "0000001")
    if code == "05":
        put(46, qualifier)
        put(49, text[:70])
    if amount is not None:
        put(91, _cfonb_amount(amount))
    return "".join(record)


def cfonb(*, booked: date, amount: Decimal, payer: str, text: str) -> bytes:
    """A CFONB 120 statement: old balance, one transfer received with its details, new balance."""
    records = [
        _cfonb_record("01", booked - timedelta(days=1), amount=Decimal("5000.00")),
        _cfonb_record("04", booked, amount=amount, label=f"VIR SEPA {payer}"),
        _cfonb_record("05", booked, qualifier="LIB", text=text),
        _cfonb_record("05", booked, qualifier="NPY", text=payer),
        _cfonb_record("07", booked, amount=Decimal("5000.00") + amount),
    ]
    assert all(len(r) == 120 for r in records)
    return "\r\n".join(records).encode("latin-1")


@pytest.fixture(autouse=True)
def outbox(settings, tmp_path):
    folder = tmp_path / "outbox"
    settings.EMAIL_URL = f"file://{folder}"
    return folder


def test_a_debtor_who_paid_both_invoices_by_camt053_and_cfonb_is_not_chased_again(creditor, outbox):
    payer = DebtorFactory(creditor=creditor, name="Boulangerie Martin SARL")
    first = InvoiceFactory(debtor=payer, number="FA-2026-0001", total_amount=Decimal("1200.00"),
                           issue_date=DUE - timedelta(days=40), due_date=DUE - timedelta(days=10))
    second = InvoiceFactory(debtor=payer, number="FA-2026-0002", total_amount=Decimal("980.55"),
                            issue_date=DUE - timedelta(days=30), due_date=DUE)
    late = DebtorFactory(creditor=creditor, name="Garage Dupuis")
    InvoiceFactory(debtor=late, number="FA-2026-0003", total_amount=Decimal("450.00"),
                   issue_date=DUE - timedelta(days=30), due_date=DUE)

    collection_run(creditor=creditor, as_of=FIRST_PASS)
    assert Action.objects.filter(debtor=payer, state="sent").count() == 1  # the first reminder
    actions_before = Action.objects.filter(debtor=payer).count()
    sent_before = len(list(outbox.glob("*.eml")))

    by_camt = statement_import(
        creditor=creditor,
        data=camt053(booked=PAID_BY_CAMT, amount=Decimal("1200.00"), payer="BOULANGERIE MARTIN",
                     iban=PAYER_IBAN, ustrd="Reglement facture FA-2026-0001"),
        filename="camt053.xml", as_of=PAID_BY_CAMT,
    )
    by_cfonb = statement_import(
        creditor=creditor,
        data=cfonb(booked=PAID_BY_CFONB, amount=Decimal("980.55"), payer="BOULANGERIE MARTIN",
                   text="FACTURE FA-2026-0002"),
        filename="releve.cfo", as_of=PAID_BY_CFONB,
    )

    assert (by_camt["format"], by_camt["matched"], by_camt["amount_matched"]) == ("camt053", 1, "1200.00")
    assert (by_cfonb["format"], by_cfonb["matched"], by_cfonb["amount_matched"]) == ("cfonb", 1, "980.55")
    for invoice in (first, second):
        invoice.refresh_from_db()
        assert (invoice.open_amount, invoice.status) == (Decimal("0.00"), "paid")
    assert not Invoice.objects.filter(debtor=payer, open_amount__gt=0).exists()
    assert debtor_credit(debtor=payer) == Decimal("0.00")
    assert not debtor_has_unmatched_recent_credit(debtor=payer, as_of=NEXT_PASS)
    assert debtors_blocked_by_unmatched_credits(creditor=creditor, as_of=NEXT_PASS) == set()
    assert bank_feed_stale(creditor=creditor, as_of=NEXT_PASS) is None

    result = collection_run(creditor=creditor, as_of=NEXT_PASS)

    assert result.problems == []
    assert Case.objects.get(debtor=payer).status == "closed_paid"
    assert Action.objects.filter(debtor=payer).count() == actions_before
    assert not Action.objects.filter(debtor=payer, state__in=["planned", "approved", "sending"]).exists()
    assert Action.objects.filter(debtor=late).exclude(state__in=["cancelled", "skipped"]).count() == 2
    # The only new message of the day, if any, is the unpaid debtor's.
    new_mail = [p.read_text() for p in sorted(outbox.glob("*.eml"))][sent_before:]
    assert all(payer.email not in mail for mail in new_mail)


def test_a_transfer_nobody_could_tie_to_an_invoice_holds_the_chase_until_a_person_looks(creditor):
    debtor = DebtorFactory(creditor=creditor, name="Transports Lefebvre")
    InvoiceFactory(debtor=debtor, number="FA-2026-0010", total_amount=Decimal("480.00"),
                   issue_date=DUE - timedelta(days=30), due_date=DUE)
    result = statement_import(
        creditor=creditor,
        data=cfonb(booked=NEXT_PASS - timedelta(days=1), amount=Decimal("300.00"),
                   payer="TRANSPORTS LEFEBVRE", text="VIREMENT"),
        filename="releve.cfo", as_of=NEXT_PASS,
    )
    assert (result["matched"], result["suggested"]) == (0, 1)
    assert debtor_has_unmatched_recent_credit(debtor=debtor, as_of=NEXT_PASS)

    run = collection_run(creditor=creditor, as_of=NEXT_PASS)

    assert run.held["unmatched_credit"] == 1
    assert not Action.objects.filter(debtor=debtor).exists()
