"""A registered letter's receipt drives what follows (issue 5), day by day through the CLI.

``relance run --as-of`` every day, the mise en demeure approved and printed
(``relance letters batch``), then its delivery recorded (``relance actions deliver``): the
escalation comes no earlier than the receipt (or return) date plus the letter's deadline; with
no news the case waits, says so on the letter's action, and after three weeks the run raises
a problem and plans one ``no_acknowledgement`` task.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest

from relance.apps.audit.services import chain_verify
from relance.apps.collection.contexts import letter_context_for
from relance.apps.collection.models import Action, Scenario
from relance.apps.collection.scenarios import scenario_import, scenarios_load_defaults
from relance.cli import main
from relance.documents.templates import render_step
from relance.domain.scenario import NO_NEWS_DAYS
from tests.factories import CreditorFactory, DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db
DUE = date(2026, 3, 2)
NOTICE = 12  # the mise en demeure's offset, in days after the due date
ESCALATION = 30
DEADLINE = 8  # the documents' default deadline, which the letter states
SCENARIO = f"""
[scenario]
name = "LRAR"
debtor_kinds = ["business"]

[[steps]]
key = "reminder_letter"
offset_days = 5
channel = "letter"
template = "reminder_letter"

[[steps]]
key = "formal_notice"
offset_days = {NOTICE}
channel = "registered_letter"
template = "formal_notice"
requires_approval = true

[[steps]]
key = "escalation"
offset_days = {ESCALATION}
channel = "task"
template = "escalation"
"""


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def creditor(db):
    scenarios_load_defaults()
    Scenario.objects.update(is_default=False)
    scenario_import(text=SCENARIO, is_default=True)
    return CreditorFactory(
        name="Atelier Durand",
        siren="552100554",
        vat_number="FR40552100554",
        address="12 rue des Tanneurs",
        postal_code="69002",
        city="Lyon",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP",
        email="compta@durand.example",
        phone="04 78 00 00 00",
        signature="Marie Durand, gérante",
    )


def debtor(creditor, account):
    d = DebtorFactory(
        creditor=creditor,
        account=account,
        name=f"Client {account}",
        kind="business",
        siren="732829320",
        address="5 avenue Foch",
        postal_code="75016",
        city="Paris",
        email="",
    )
    InvoiceFactory(
        debtor=d,
        creditor=creditor,
        number=f"FA-{account}",
        issue_date=DUE - timedelta(days=30),
        due_date=DUE,
        total_amount=Decimal("1500.00"),
    )
    return d


def cli(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def day(n: int) -> date:
    return DUE + timedelta(days=n)


@pytest.mark.slow
def test_the_escalation_waits_for_the_receipt_plus_the_deadline(creditor, capsys, tmp_path):
    received, returned, silent = (
        debtor(creditor, "RECU"),
        debtor(creditor, "RETOUR"),
        debtor(creditor, "MUET"),
    )
    notices: dict[str, int] = {}
    waiting_notes: dict[tuple[str, int], str] = {}
    problems: dict[int, list[str]] = {}
    for n in range(0, 61):
        today = day(n).isoformat()
        if n == 27:  # the acknowledgement (dated day 26) and the returned letter come in
            cli(
                capsys,
                "actions",
                "deliver",
                str(notices["RECU"]),
                "--tracking",
                "1A00000000001",
                "--received",
                day(26).isoformat(),
            )
        if n == 29:
            cli(
                capsys,
                "actions",
                "deliver",
                str(notices["RETOUR"]),
                "--tracking",
                "1A00000000002",
                "--not-claimed",
                "--returned",
                day(29).isoformat(),
            )
        code, out, _ = cli(capsys, "run", "--as-of", today, "--json")
        assert code == 0
        summary = json.loads(out)
        problems[n] = [p["code"] for p in summary["problems"]]
        if n in (NOTICE, 33, 40):  # a second run the same day adds nothing
            _, again, _ = cli(capsys, "run", "--as-of", today, "--json")
            assert sum(json.loads(again)["actions"].values()) == 0
        cli(capsys, "actions", "approve", "--all")
        code, _, err = cli(
            capsys, "letters", "batch", "--as-of", today, "--out", str(tmp_path / f"{today}.pdf")
        )
        assert code == 0, err
        for a in Action.objects.filter(step_key="formal_notice").select_related("debtor"):
            notices[a.debtor.account] = a.pk
            waiting_notes[(a.debtor.account, n)] = a.reason

    def planned(d, key):
        a = Action.objects.filter(debtor=d, step_key=key).first()
        return a and (a.planned_date - DUE).days

    # The mise en demeure went out on its day for all three.
    assert {planned(d, "formal_notice") for d in (received, returned, silent)} == {NOTICE}
    assert Action.objects.filter(step_key="formal_notice", state="sent").count() == 3
    # Received on day 26: not on the escalation's own day (30), but at receipt + 8 days.
    assert planned(received, "escalation") == 26 + DEADLINE
    # Returned unclaimed on day 29: from that day, plus 8.
    assert planned(returned, "escalation") == 29 + DEADLINE
    # No news: no escalation at all, a problem every day from three weeks after sending, one task.
    assert planned(silent, "escalation") is None
    first_problem = min(n for n, codes in problems.items() if "no_acknowledgement" in codes)
    assert first_problem == NOTICE + NO_NEWS_DAYS
    assert all("no_acknowledgement" in problems[n] for n in range(first_problem, 61))
    (task,) = Action.objects.filter(debtor=silent, step_key="no_acknowledgement")
    assert (task.channel, task.state, (task.planned_date - DUE).days) == (
        "task",
        "planned",
        first_problem,
    )
    # While waiting, the letter's action says on what, in words the credit manager reads.
    assert "awaiting acknowledgement" in waiting_notes[("RECU", 20)]
    assert "not before" in waiting_notes[("RECU", 31)]
    assert day(34).isoformat() in waiting_notes[("RECU", 31)]
    assert "returned unclaimed" in waiting_notes[("RETOUR", 33)]
    assert "no acknowledgement recorded" in waiting_notes[("MUET", 40)]
    code, out, _ = cli(capsys, "actions", "list", "--channel", "registered_letter", "--json")
    notes = {row["debtor_account"]: row["reason"] for row in json.loads(out)}
    assert "no acknowledgement recorded" in notes["MUET"]
    # The escalation notice cites the mise en demeure by its date and what became of it.
    assert "du 14 mars 2026, reçue le 28 mars 2026," in escalation_text(received, day(60))
    assert "du 14 mars 2026, non réclamée," in escalation_text(returned, day(60))
    assert chain_verify().ok


def escalation_text(d, as_of):
    context = letter_context_for(case_or_debtor=d, step_key="escalation", as_of=as_of)
    return " ".join(render_step(context, "escalation").text.split())


def test_after_downtime_the_receipt_still_decides(creditor, capsys, tmp_path):
    # The chase starts with the reminder letter (a first pass never plans the mise en demeure:
    # it used to be caught up on day 12 without any earlier contact).
    d = debtor(creditor, "PAUSE")
    for n in (5, NOTICE):
        cli(capsys, "run", "--as-of", day(n).isoformat())
        cli(capsys, "actions", "approve", "--all")
        cli(
            capsys,
            "letters",
            "batch",
            "--as-of",
            day(n).isoformat(),
            "--out",
            str(tmp_path / "b.pdf"),
        )
    notice = Action.objects.get(debtor=d, step_key="formal_notice")
    assert notice.state == "sent"
    cli(
        capsys,
        "actions",
        "deliver",
        str(notice.pk),
        "--tracking",
        "1A3",
        "--received",
        day(NOTICE + 3).isoformat(),
    )
    # Nothing runs for weeks; on day 50 the escalation (day 30, receipt + 8 = day 23) is taken once.
    _, out, _ = cli(capsys, "run", "--as-of", day(50).isoformat(), "--json")
    assert json.loads(out)["by_channel"] == {"task": 1}
    assert Action.objects.get(debtor=d, step_key="escalation").planned_date == day(50)
