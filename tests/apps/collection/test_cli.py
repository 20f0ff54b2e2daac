"""The collection commands, end to end through ``relance.cli.main``."""

from __future__ import annotations

import json
from datetime import date

import pytest

from relance.cli import main
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_run_json_and_the_worklist(creditor, capsys):
    debtor = DebtorFactory(creditor=creditor, account="411A")
    InvoiceFactory(debtor=debtor, creditor=creditor, number="FA-1", issue_date=date(2026, 1, 1), due_date=date(2026, 2, 1))
    # The two e-mails were sent by hand: declared, the chase resumes at the call (a first pass
    # no longer jumps to it).
    code, out, _ = run(capsys, "case", "history", "add", "--debtor", "411A", "--step", "invoice_again",
                       "--date", "2026-02-11", "--note", "relance envoyée depuis la messagerie",
                       "--as-of", "2026-02-11", "--json")
    assert code == 0
    assert json.loads(out)["channel"] == "email"
    code, out, _ = run(capsys, "run", "--as-of", "2026-02-16", "--dry-run", "--json")
    data = json.loads(out)
    assert code == 0
    assert set(data) >= {"as_of", "cases_evaluated", "actions", "by_channel", "problems"}
    assert data["by_channel"] == {"call": 1}
    code, out, _ = run(capsys, "run", "--as-of", "2026-02-16", "--json")
    assert json.loads(out)["actions"]["planned"] == 1
    code, out, _ = run(capsys, "actions", "list", "--as-of", "2026-02-16", "--json")
    (task,) = json.loads(out)
    assert (task["channel"], task["debtor_account"]) == ("call", "411A")
    code, out, _ = run(capsys, "actions", "skip", str(task["id"]), "--json")
    assert json.loads(out)["state"] == "skipped"


def test_approve_pauses_and_scenarios(creditor, capsys, tmp_path):
    # A mise en demeure that can be sent: approval checks it as the print batch will.
    debtor = DebtorFactory(creditor=creditor, account="411B", siren="732829320", address="3 rue Neuve",
                           postal_code="69001", city="Lyon")
    InvoiceFactory(debtor=debtor, creditor=creditor, number="FA-2", issue_date=date(2026, 1, 1), due_date=date(2026, 2, 1))
    run(capsys, "case", "history", "add", "--debtor", "411B", "--step", "reminder_letter", "--date", "2026-02-28",
        "--as-of", "2026-03-10")
    run(capsys, "run", "--as-of", "2026-03-10")
    code, out, _ = run(capsys, "actions", "approve", "--all", "--json")
    assert json.loads(out) == {"approved": 1}
    assert run(capsys, "dispute", "open", "--invoice", "FA-2", "--reason", "x", "--as-of", "2026-03-10")[0] == 0
    assert run(capsys, "dispute", "close", "--invoice", "FA-2", "--as-of", "2026-03-11")[0] == 0
    code, out, _ = run(capsys, "promise", "add", "--debtor", "411B", "--amount", "100", "--date", "2026-03-20",
                       "--as-of", "2026-03-11", "--json")
    assert json.loads(out)["grace_days"] == 3
    assert run(capsys, "debtor", "hold", "--debtor", "411B", "--reason", "avocat")[0] == 0
    assert run(capsys, "debtor", "release", "--debtor", "411B")[0] == 0
    code, out, _ = run(capsys, "scenario", "export", "Key accounts")
    path = tmp_path / "ka.toml"
    path.write_text(out.replace('name = "Key accounts"', 'name = "Key accounts 2"'))
    assert run(capsys, "scenario", "import", str(path))[0] == 0
    assert run(capsys, "scenario", "export", "Key accounts 2")[1] == path.read_text()
    code, _, err = run(capsys, "scenario", "export", "nope")
    assert code == 1
    assert "no scenario" in err


def test_plan_create_prints_the_schedule(creditor, capsys):
    debtor = DebtorFactory(creditor=creditor, account="411C")
    InvoiceFactory(debtor=debtor, creditor=creditor, issue_date=date(2026, 1, 1), due_date=date(2026, 2, 1))
    _code, out, _ = run(capsys, "plan", "create", "--debtor", "411C", "--instalments", "5", "--first", "2026-03-01",
                       "--as-of", "2026-02-20", "--json")
    data = json.loads(out)
    assert [i["amount"] for i in data["instalments"]] == ["240.00"] * 5


def test_case_history_add_refuses_a_step_not_in_the_scenario_a_future_date_and_another_creditors_debtor(
    creditor, capsys
):
    DebtorFactory(creditor=creditor, account="411C")
    code, _, err = run(capsys, "case", "history", "add", "--debtor", "411C", "--step", "lawsuit",
                       "--date", "2026-02-01", "--as-of", "2026-03-01")
    assert code == 1
    assert "not a step of the scenario" in err
    code, _, err = run(capsys, "case", "history", "add", "--debtor", "411C", "--step", "reminder",
                       "--date", "2026-03-02", "--as-of", "2026-03-01")
    assert code == 1
    assert "future" in err
    other = DebtorFactory(account="411OTHER")
    code, _, err = run(capsys, "case", "history", "add", "--debtor", other.account, "--step", "reminder",
                       "--date", "2026-02-01", "--as-of", "2026-03-01", "--creditor", str(creditor.pk))
    assert code == 1
    from relance.apps.collection.models import DeclaredContact

    assert not DeclaredContact.objects.exists()
    # Declared twice, kept once, and audited.
    for _ in range(2):
        assert run(capsys, "case", "history", "add", "--debtor", "411C", "--step", "reminder",
                   "--date", "2026-02-01", "--as-of", "2026-03-01", "--creditor", str(creditor.pk))[0] == 0
    assert DeclaredContact.objects.count() == 1
    from relance.apps.audit.models import Event

    assert Event.objects.filter(kind="contact.declared").count() == 1
