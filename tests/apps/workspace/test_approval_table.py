"""The approval table: twenty actions approved in one click, each document checked as one
approval checks it (what cannot go out stays waiting, said in French), a selection skipped, the
figures of each row, and the bank's hint beside a letter asking exactly a credit's amount."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.history import contact_declare
from relance.apps.collection.models import Action
from relance.apps.ledger.models import Debtor
from tests.apps.workspace.test_desk import record_missing_rates
from tests.apps.workspace.test_wording import page_text
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

ADDRESS = (
    "L’adresse postale du débiteur est incomplète : un courrier demande une rue, un code postal "
    "et une ville."
)


def _notices(creditor, today, count: int) -> list[Action]:
    """``count`` debtors whose mise en demeure (J+35) waits for approval, each sendable."""
    for n in range(count):
        debtor = DebtorFactory(
            creditor=creditor, name=f"Client {n:02d} SARL", siren="732829320",
            address=f"{n + 1} rue Pasteur", postal_code="69007", city="Lyon",
        )
        InvoiceFactory(
            debtor=debtor, creditor=creditor, number=f"N-{n:02d}",
            total_amount=Decimal(100 + 10 * n), issue_date=today - timedelta(days=70),
            due_date=today - timedelta(days=40 + n),
        )
        contact_declare(creditor=creditor, debtor=debtor, step_key="reminder_letter",
                        contact_date=today - timedelta(days=15), today=today)
    collection_run(as_of=today, creditor=creditor, dispatch=False)
    record_missing_rates(Debtor.objects.filter(creditor=creditor).first(), today)
    return list(Action.objects.filter(creditor=creditor, requires_approval=True).order_by("id"))


def test_twenty_actions_are_approved_in_one_action(collector_a, creditor_a, today):
    notices = _notices(creditor_a, today, 21)
    assert len(notices) == 21
    blocked = notices[0]
    Debtor.objects.filter(pk=blocked.debtor_id).update(address="", postal_code="", city="")
    response = collector_a.post(
        "/worklist/actions/bulk/",
        {"decision": "approve", "ids": [a.pk for a in notices], "next": "/worklist/"},
        follow=True,
    )
    text = page_text(response)
    states = dict(Action.objects.filter(pk__in=[a.pk for a in notices]).values_list("pk", "state"))
    assert [pk for pk, state in states.items() if state == "approved"] == [a.pk for a in notices[1:]]
    assert states[blocked.pk] == "planned"
    assert "20 actions validées" in text
    # Which one was not approved, and why, in French.
    assert "Non validée : Client 00 SARL" in text
    assert ADDRESS in text
    from relance.apps.audit.models import Event

    assert Event.objects.filter(kind="action.approved").count() == 20
    # The same selection sent again (a page left open): nothing changes twice, and it says so.
    response = collector_a.post(
        "/worklist/actions/bulk/",
        {"decision": "approve", "ids": [a.pk for a in notices], "next": "/worklist/"},
        follow=True,
    )
    assert "Déjà décidées, laissées telles quelles : Client 01 SARL" in page_text(response)
    assert Event.objects.filter(kind="action.approved").count() == 20


def test_a_selection_is_skipped_and_another_creditors_action_is_refused_whole(
    collector_a, creditor_a, creditor_b, today
):
    mine = _notices(creditor_a, today, 3)
    theirs = DebtorFactory(creditor=creditor_b)
    InvoiceFactory(debtor=theirs, creditor=creditor_b, due_date=today - timedelta(days=50))
    collection_run(as_of=today, creditor=creditor_b, dispatch=False)
    other = Action.objects.filter(creditor=creditor_b).first()
    assert other is not None
    response = collector_a.post(
        "/worklist/actions/bulk/", {"decision": "skip", "ids": [mine[0].pk, other.pk]}
    )
    assert response.status_code == 404
    assert Action.objects.get(pk=mine[0].pk).state == "planned"
    response = collector_a.post(
        "/worklist/actions/bulk/",
        {"decision": "skip", "ids": [mine[0].pk, mine[1].pk], "next": "/worklist/"},
        follow=True,
    )
    assert "2 actions passées" in page_text(response)
    assert Action.objects.get(pk=mine[0].pk).state == "skipped"
    assert Action.objects.get(pk=mine[2].pk).state == "planned"


def test_a_viewer_cannot_approve_a_selection(viewer_a, creditor_a, today):
    notices = _notices(creditor_a, today, 2)
    response = viewer_a.post(
        "/worklist/actions/bulk/", {"decision": "approve", "ids": [a.pk for a in notices]}
    )
    assert response.status_code == 403
    assert not Action.objects.filter(state="approved").exists()


def test_each_row_says_the_amount_the_days_the_invoices_and_the_last_contact(
    collector_a, creditor_a, today
):
    [notice] = _notices(creditor_a, today, 1)
    response = collector_a.get("/worklist/")
    [row] = response.context["previews"]
    assert row.action.pk == notice.pk
    assert row.invoice_count == 1
    assert row.priority.days_late == 40
    assert row.amount > Decimal("100.00")  # a mise en demeure claims penalties and the indemnity
    assert row.last_contact.date == today - timedelta(days=15)
    text = page_text(response)
    body = text[text.index(f'id="action-{notice.pk}"') :]
    body = body[: body.index("</tbody>")]
    assert "Valider la sélection" in text
    assert "Passer la sélection" in text
    assert "pre class=\"preview\"" not in text  # previews come when asked for
    assert f"/worklist/actions/{notice.pk}/preview/" in body
    assert "40" in body


def test_an_unknown_credit_of_exactly_the_amount_claimed_is_flagged_on_the_row(
    collector_a, creditor_a, today
):
    from relance.apps.banking.models import BankStatement, StatementLine
    from relance.apps.ledger.models import ImportBatch

    [notice, other] = _notices(creditor_a, today, 2)
    claimed = collector_a.get("/worklist/").context["previews"]
    amount = next(r.amount for r in claimed if r.action.pk == notice.pk)
    batch = ImportBatch.objects.create(
        creditor=creditor_a, kind="bank", format="camt053", filename="b.xml", sha256="x" * 64,
        status="imported",
    )
    statement = BankStatement.objects.create(
        creditor=creditor_a, import_batch=batch, account="FR7630006000011234567890189",
        currency="EUR", fingerprint="s",
    )
    StatementLine.objects.create(
        statement=statement, creditor=creditor_a, fingerprint="l1", booking_date=today,
        amount=amount, currency="EUR", counterparty_name="SOCIETE INCONNUE",
        status=StatementLine.Status.UNMATCHED,
    )
    text = page_text(collector_a.get("/worklist/"))
    row = text[text.index(f'id="action-{notice.pk}"') :]
    row = row[: row.index("</tbody>")]
    assert "exactement le montant demandé" in row
    other_row = text[text.index(f'id="action-{other.pk}"') :]
    other_row = other_row[: other_row.index("</tbody>")]
    assert "exactement le montant demandé" not in other_row
