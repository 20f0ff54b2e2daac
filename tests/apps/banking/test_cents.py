"""Bank amounts in cents: rounded half-up by the project's one rounding function with a note,
a movement below the cent refused, a camt entry without dates dated by its statement (issue 15).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from relance.apps.banking.models import StatementLine
from relance.apps.banking.services import statement_import
from relance.apps.ledger.models import ImportBatch
from tests.apps.banking._helpers import bank_csv

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 3, 20)


def camt054(amount: str, *, dates: str, group_created: str = "2026-03-02T12:30:00+01:00",
            created: str = "") -> bytes:
    notification_created = f"<CreDtTm>{created}</CreDtTm>" if created else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02">
  <BkToCstmrDbtCdtNtfctn>
    <GrpHdr><MsgId>M1</MsgId><CreDtTm>{group_created}</CreDtTm></GrpHdr>
    <Ntfctn>
      <Id>N1</Id>{notification_created}
      <Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id></Acct>
      <Ntry>
        <Amt Ccy="EUR">{amount}</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts>BOOK</Sts>{dates}
        <NtryDtls><TxDtls>
          <RltdPties><Dbtr><Nm>Boulangerie Martin</Nm></Dbtr></RltdPties>
          <RmtInf><Ustrd>FA-2026-001</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>
    </Ntfctn>
  </BkToCstmrDbtCdtNtfctn>
</Document>
""".encode()


BOOKED = "<BookgDt><Dt>2026-03-03</Dt></BookgDt>"


def test_a_camt_amount_beyond_the_cent_is_rounded_half_up_with_a_note(creditor):
    result = statement_import(creditor=creditor, data=camt054("8.845", dates=BOOKED), filename="n.xml", as_of=AS_OF)

    assert result["problems"] == []
    assert StatementLine.objects.get().amount == Decimal("8.85")  # half-up, not half-even's 8.84
    assert "line 8: amount 8.845 rounded half-up to 8.85" in result["notes"]


def test_a_bank_csv_amount_beyond_the_cent_is_rounded_with_a_note(creditor):
    data = bank_csv((date(2026, 3, 2), "12.345", "Martin", "", "FA-1"), (date(2026, 3, 2), "10.00", "Dupont", "", "FA-2"))

    result = statement_import(creditor=creditor, data=data, filename="b.csv", as_of=AS_OF)

    assert result["problems"] == []
    assert sorted(StatementLine.objects.values_list("amount", flat=True)) == [Decimal("10.00"), Decimal("12.35")]
    assert "line 2: amount 12.345 rounded half-up to 12.35" in result["notes"]


@pytest.mark.parametrize("amount", ["0.00001", "0.004"])
def test_a_movement_below_the_cent_is_refused_not_kept_as_a_zero_credit(creditor, amount):
    result = statement_import(creditor=creditor, data=camt054(amount, dates=BOOKED), filename="n.xml", as_of=AS_OF)

    assert [(p["code"], p["line"]) for p in result["problems"]] == [("bank_amount_below_cent", 8)]
    assert not StatementLine.objects.exists()
    assert ImportBatch.objects.get().status == "refused"


def test_a_bank_amount_beyond_the_column_is_refused(creditor):
    result = statement_import(
        creditor=creditor, data=camt054("99999999999999999999.99", dates=BOOKED), filename="n.xml", as_of=AS_OF
    )

    assert [p["code"] for p in result["problems"]] == ["bank_amount_too_large"]
    assert not StatementLine.objects.exists()


@pytest.mark.parametrize(
    ("created", "expected"),
    [("", date(2026, 3, 2)), ("2026-03-04T08:00:00+01:00", date(2026, 3, 4))],
)
def test_a_camt054_entry_without_dates_takes_the_statements_creation_date_with_a_note(creditor, created, expected):
    result = statement_import(creditor=creditor, data=camt054("120.00", dates="", created=created), filename="n.xml", as_of=AS_OF)

    assert result["problems"] == []
    line = StatementLine.objects.get()
    assert (line.booking_date, line.value_date) == (expected, None)
    assert any("neither BookgDt nor ValDt" in note and expected.isoformat() in note for note in result["notes"])


def test_an_entry_without_any_date_in_a_statement_without_creation_date_is_refused(creditor):
    data = camt054("120.00", dates="", group_created="").replace(b"<CreDtTm></CreDtTm>", b"")

    result = statement_import(creditor=creditor, data=data, filename="n.xml", as_of=AS_OF)

    assert [p["code"] for p in result["problems"]] == ["camt_date_missing"]


def test_the_real_camt054_samples_keep_their_own_dates(creditor, samples: Path):
    data = (samples / "camt054/genkgo-camt054.v2.xml").read_bytes()
    result = statement_import(creditor=creditor, data=data, filename="s.xml", as_of=AS_OF)
    assert result["problems"] == []
    assert not any("CreDtTm" in note for note in result["notes"])
