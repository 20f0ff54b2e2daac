"""``relance call record`` and ``relance call done``, through ``relance.cli.main``."""

from __future__ import annotations

import json
from datetime import date

import pytest

from relance.apps.collection.models import Action, Case, Promise
from relance.cli import main
from tests.factories import CreditorFactory, DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def call_id(creditor, capsys):
    debtor = DebtorFactory(creditor=creditor, account="411C", phone="0472000001")
    InvoiceFactory(
        debtor=debtor,
        creditor=creditor,
        number="FA-C1",
        issue_date=date(2026, 10, 1),
        due_date=date(2026, 11, 1),
    )
    # The e-mails before the call were sent by hand: declared, the chase resumes at the call.
    assert run(capsys, "case", "history", "add", "--debtor", "411C", "--step", "invoice_again",
               "--date", "2026-11-11", "--as-of", "2026-11-11")[0] == 0
    assert run(capsys, "run", "--as-of", "2026-11-17")[0] == 0
    return Action.objects.get(channel="call").pk


def test_a_promise_recorded_from_the_command_line(call_id, capsys):
    code, out, _ = run(
        capsys,
        "call",
        "record",
        str(call_id),
        "--outcome",
        "promise",
        "--amount",
        "1200",
        "--date",
        "2026-12-05",
        "--as-of",
        "2026-11-17",
        "--json",
    )
    assert code == 0
    data = json.loads(out)
    assert data["outcome"]["outcome"] == "promise"
    assert data["state"] == "sent"
    promise = Promise.objects.get()
    assert (str(promise.amount), promise.promised_date) == ("1200.00", date(2026, 12, 5))
    assert Case.objects.get().status == "paused"


def test_a_promise_without_a_date_is_a_clear_error(call_id, capsys):
    code, out, err = run(
        capsys,
        "call",
        "record",
        str(call_id),
        "--outcome",
        "promise",
        "--amount",
        "1200",
        "--as-of",
        "2026-11-17",
    )
    assert code == 1
    assert out == ""
    assert "relance: error: a promise needs an amount and a date" in err
    assert Action.objects.get(pk=call_id).state == "planned"


def test_a_wrong_number_then_the_task_done(call_id, capsys):
    code, out, _ = run(
        capsys, "call", "record", str(call_id), "--outcome", "wrong_number", "--as-of", "2026-11-17"
    )
    assert code == 0
    assert "follow-up" in out
    assert "find_number" in out
    task = Action.objects.get(channel="task", step_key="find_number")
    code, out, _ = run(
        capsys,
        "call",
        "done",
        str(task.pk),
        "--note",
        "0472000009",
        "--as-of",
        "2026-11-17",
        "--json",
    )
    assert code == 0
    assert json.loads(out)["state"] == "sent"


def test_an_unknown_call_or_another_creditors_is_not_found(call_id, capsys):
    code, _, err = run(capsys, "call", "record", "999999", "--outcome", "no_answer")
    assert code == 1
    assert "no action 999999" in err
    other = CreditorFactory(name="Autre SAS")
    code, _, err = run(
        capsys,
        "call",
        "record",
        str(call_id),
        "--outcome",
        "no_answer",
        "--creditor",
        str(other.pk),
    )
    assert code == 1
    assert f"no action {call_id}" in err
