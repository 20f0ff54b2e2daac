"""A person dismisses a credit that pays no invoice: it stops holding back the chase."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest

from relance.apps.audit.models import Event
from relance.apps.audit.services import chain_verify
from relance.apps.banking.models import Match, StatementLine
from relance.apps.banking.selectors import (
    debtor_has_unmatched_recent_credit,
    debtors_blocked_by_unmatched_credits,
    lines_list,
    lines_summary,
)
from relance.apps.banking.services import line_dismiss, line_restore, match_apply, statement_import
from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.models import Action
from relance.cli import main
from relance.domain.errors import InvalidInputError
from tests.apps.banking._helpers import bank_csv
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

DUE = date(2026, 3, 2)
AS_OF = DUE + timedelta(days=16)
IBAN = "FR7610107001011234567890129"


@pytest.fixture(autouse=True)
def outbox(settings, tmp_path):
    settings.EMAIL_URL = f"file://{tmp_path / 'outbox'}"


def run(creditor, *lines, as_of=AS_OF):
    return statement_import(creditor=creditor, data=bank_csv(*lines), filename="s.csv", as_of=as_of)


@pytest.fixture
def lefebvre(creditor):
    debtor = DebtorFactory(creditor=creditor, account="411LEF", name="Transports Lefebvre")
    InvoiceFactory(debtor=debtor, number="FA-2026-0010", total_amount=Decimal("480.00"),
                   issue_date=DUE - timedelta(days=30), due_date=DUE)
    return debtor


@pytest.fixture
def homonym(creditor):
    """Another debtor of the same name, not yet due: a payer name alone cannot say which paid."""
    debtor = DebtorFactory(creditor=creditor, account="411LEF2", name="Transports Lefebvre")
    InvoiceFactory(debtor=debtor, number="FA-2026-0011", total_amount=Decimal("90.00"),
                   issue_date=AS_OF - timedelta(days=5), due_date=AS_OF + timedelta(days=25))
    return debtor


def live_actions(debtor):
    return Action.objects.filter(debtor=debtor).exclude(state__in=["cancelled", "skipped"])


def test_dismissing_an_unmatched_credit_lets_the_next_pass_chase_the_debtor(creditor, lefebvre, homonym):
    result = run(creditor, (AS_OF - timedelta(days=1), "75.00", "TRANSPORTS LEFEBVRE", "", "remboursement"))
    assert (result["matched"], result["suggested"], result["unmatched"]) == (0, 0, 1)
    line = StatementLine.objects.get()
    assert line.status == "unmatched"
    assert debtors_blocked_by_unmatched_credits(creditor=creditor, as_of=AS_OF) == {lefebvre.pk, homonym.pk}

    held = collection_run(creditor=creditor, as_of=AS_OF)
    assert held.held["unmatched_credit"] == 1
    assert not live_actions(lefebvre).exists()

    dismissed = line_dismiss(line=line, actor="alice", reason="  refund of a deposit,\n not an invoice ")

    assert (dismissed.status, dismissed.dismissed_by) == ("dismissed", "alice")
    assert dismissed.dismissed_reason == "refund of a deposit, not an invoice"
    assert debtors_blocked_by_unmatched_credits(creditor=creditor, as_of=AS_OF) == set()
    assert not debtor_has_unmatched_recent_credit(debtor=lefebvre, as_of=AS_OF)
    chased = collection_run(creditor=creditor, as_of=AS_OF)
    assert chased.held.get("unmatched_credit", 0) == 0
    assert live_actions(lefebvre).exists()
    event = Event.objects.get(kind="bank.line_dismissed")
    assert (event.subject_id, event.actor) == (line.pk, "alice")
    assert event.payload["reason"] == "refund of a deposit, not an invoice"
    assert event.payload["was"] == "unmatched"
    assert chain_verify().ok


def test_restoring_brings_the_block_back(creditor, lefebvre, homonym):
    run(creditor, (AS_OF - timedelta(days=1), "75.00", "TRANSPORTS LEFEBVRE", "", "divers"))
    line = StatementLine.objects.get()
    line_dismiss(line=line, actor="alice", reason="loan")

    restored = line_restore(line=line, actor="bob")

    assert (restored.status, restored.dismissed_reason, restored.dismissed_at) == ("unmatched", "", None)
    assert debtors_blocked_by_unmatched_credits(creditor=creditor, as_of=AS_OF) == {lefebvre.pk, homonym.pk}
    assert debtor_has_unmatched_recent_credit(debtor=lefebvre, as_of=AS_OF)
    assert Event.objects.get(kind="bank.line_restored").payload["reason_was"] == "loan"
    with pytest.raises(InvalidInputError, match="not dismissed"):
        line_restore(line=line, actor="bob")


def test_dismissing_a_suggested_line_closes_its_suggestion_and_restore_reopens_it(creditor, lefebvre):
    result = run(creditor, (AS_OF - timedelta(days=1), "300.00", "TRANSPORTS LEFEBVRE", IBAN, "virement"))
    assert result["suggested"] == 1
    line = StatementLine.objects.get()
    suggestion = Match.objects.get()

    line_dismiss(line=line, actor="alice", reason="payment for another company of the group")

    suggestion.refresh_from_db()
    assert (suggestion.state, suggestion.undone_by) == ("undone", "alice")
    assert debtors_blocked_by_unmatched_credits(creditor=creditor, as_of=AS_OF) == set()
    assert Event.objects.get(kind="bank.line_dismissed").payload["suggestions_closed"] == [
        {"match": suggestion.pk, "debtor": lefebvre.pk}
    ]
    with pytest.raises(InvalidInputError, match="only a suggestion"):
        match_apply(match=suggestion, actor="alice")

    line_restore(line=line, actor="alice")

    suggestion.refresh_from_db()
    line.refresh_from_db()
    assert (line.status, suggestion.state, suggestion.undone_at) == ("suggested", "suggested", None)
    assert debtors_blocked_by_unmatched_credits(creditor=creditor, as_of=AS_OF) == {lefebvre.pk}
    match_apply(match=suggestion, actor="alice")
    line.refresh_from_db()
    assert line.status == "matched"


def test_a_dismissed_line_is_never_matched_by_a_later_import(creditor, lefebvre):
    statement = (AS_OF - timedelta(days=1), "123.45", "SCI DU PORT", IBAN, "FA-2026-9999")
    assert run(creditor, statement)["unmatched"] == 1
    line = StatementLine.objects.get()
    line_dismiss(line=line, actor="alice", reason="rent from the SCI")
    # The invoice it could now pay exists; the same statement comes again, with a new line.
    InvoiceFactory(debtor=lefebvre, number="FA-2026-9999", total_amount=Decimal("123.45"))

    again = run(creditor, statement, (AS_OF, "12.00", "X", "", "y"))

    assert (again["duplicates"], again["matched"], again["suggested"]) == (1, 0, 0)
    line.refresh_from_db()
    assert line.status == "dismissed"
    assert not Match.objects.filter(line=line).exists()


def test_only_an_unmatched_or_suggested_credit_can_be_dismissed(creditor, lefebvre):
    run(
        creditor,
        (AS_OF - timedelta(days=1), "480.00", "TRANSPORTS LEFEBVRE", "", "FA-2026-0010"),
        (AS_OF - timedelta(days=1), "-42.00", "EDF", "", "prelevement"),
        (AS_OF, "5.00", "Z", "", "z"),
    )
    matched = StatementLine.objects.get(status="matched")
    debit = StatementLine.objects.get(status="ignored")
    other = StatementLine.objects.get(status="unmatched")
    with pytest.raises(InvalidInputError, match="undo its match first"):
        line_dismiss(line=matched, actor="a", reason="r")
    with pytest.raises(InvalidInputError, match="a debit"):
        line_dismiss(line=debit, actor="a", reason="r")
    with pytest.raises(InvalidInputError, match="say why"):
        line_dismiss(line=other, actor="a", reason="  ")
    line_dismiss(line=other, actor="a", reason="r")
    with pytest.raises(InvalidInputError, match="is dismissed"):
        line_dismiss(line=other, actor="a", reason="r")


def test_lines_list_says_which_debtor_a_recent_unmatched_credit_blocks(creditor, lefebvre, homonym):
    run(
        creditor,
        (AS_OF - timedelta(days=1), "75.00", "TRANSPORTS LEFEBVRE", "", "divers"),
        (AS_OF - timedelta(days=30), "60.00", "TRANSPORTS LEFEBVRE", "", "vieux"),
        (AS_OF, "-42.00", "EDF", "", "prelevement"),
    )
    rows = lines_summary(list(lines_list(creditor=creditor)), as_of=AS_OF)
    assert [(r["amount"], r["status"]) for r in rows] == [
        ("-42.00", "ignored"), ("75.00", "unmatched"), ("60.00", "unmatched"),
    ]
    assert rows[1]["blocks"] == [
        {"id": lefebvre.pk, "account": "411LEF", "name": "Transports Lefebvre"},
        {"id": homonym.pk, "account": "411LEF2", "name": "Transports Lefebvre"},
    ]
    assert rows[0]["blocks"] == rows[2]["blocks"] == []  # a debit, a credit too old to hold
    assert [r["id"] for r in lines_summary(list(lines_list(creditor=creditor, status="ignored")))] == [rows[0]["id"]]
    with pytest.raises(InvalidInputError, match="unknown line status"):
        lines_list(creditor=creditor, status="paid")


def cli(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_bank_lines_dismiss_and_restore_on_the_command_line(creditor, lefebvre, homonym, capsys, tmp_path):
    today = date.today()
    path = tmp_path / "releve.csv"
    path.write_bytes(bank_csv((today, "75.00", "TRANSPORTS LEFEBVRE", "", "divers"),
                              (today, "-42.00", "EDF", "", "prelevement")))
    assert cli(capsys, "import", "bank", str(path), "--json")[0] == 0

    code, out, _ = cli(capsys, "bank", "lines", "--status", "unmatched", "--json")
    (line,) = json.loads(out)
    assert code == 0
    assert (line["amount"], line["counterparty_name"], line["remittance"], line["status"]) == (
        "75.00", "TRANSPORTS LEFEBVRE", "divers", "unmatched"
    )
    assert line["booking_date"] == today.isoformat()
    assert [d["account"] for d in line["blocks"]] == ["411LEF", "411LEF2"]
    code, out, _ = cli(capsys, "bank", "lines")
    assert "blocks   411LEF Transports Lefebvre" in out
    assert "-42.00 EUR ignored: EDF" in out

    code, out, _ = cli(capsys, "bank", "dismiss", str(line["id"]), "--reason", "refund", "--json")
    dismissed = json.loads(out)
    assert (code, dismissed["status"], dismissed["dismissed_reason"], dismissed["blocks"]) == (
        0, "dismissed", "refund", []
    )
    assert dismissed["dismissed_by"].startswith("cli:")
    code, out, _ = cli(capsys, "bank", "lines", "--status", "dismissed", "--json")
    assert [x["id"] for x in json.loads(out)] == [line["id"]]

    code, out, _ = cli(capsys, "bank", "restore", str(line["id"]))
    assert code == 0
    assert f"Line {line['id']} restored." in out
    code, _, err = cli(capsys, "bank", "restore", str(line["id"]))
    assert (code, "not dismissed" in err) == (1, True)
    code, _, err = cli(capsys, "bank", "dismiss", "999999", "--reason", "x")
    assert (code, "no statement line 999999" in err) == (1, True)
