"""No letter is approved that cannot be sent: approval runs the print batch's own check.

``sendable.documents_check`` is the one check; ``relance actions approve`` (and the service
under it) refuses a document it finds problems in, with each problem in English, and approves
nothing; once the problems are fixed the same command approves it and the batch prints it.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest

from relance.apps.collection.actions import actions_approve
from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.history import contact_declare
from relance.apps.collection.letters import letters_batch
from relance.apps.collection.models import Action
from relance.apps.collection.sendable import NotSendableError, documents_check
from relance.apps.legal.services import rate_add
from relance.cli import main
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

DUE = date(2026, 1, 5)
AS_OF = date(2026, 2, 16)  # the mise en demeure's day in the B2B scenario (+35, next business day)


def notice_for(creditor, **debtor_fields):
    debtor = DebtorFactory(creditor=creditor, account="411MED", **debtor_fields)
    InvoiceFactory(
        debtor=debtor,
        creditor=creditor,
        number="FA-MED",
        issue_date=date(2025, 12, 5),
        due_date=DUE,
        total_amount=Decimal("2400.00"),
    )
    # The reminder letter went out by hand (a mise en demeure is never the first contact).
    contact_declare(creditor=creditor, debtor=debtor, step_key="reminder_letter",
                    contact_date=AS_OF - timedelta(days=10), today=AS_OF)
    collection_run(creditor=creditor, as_of=AS_OF, dispatch=False)
    notice = Action.objects.get(debtor=debtor, requires_approval=True)
    assert notice.template == "formal_notice"
    return debtor, notice


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_cli_refuses_a_mise_en_demeure_that_cannot_be_sent_and_says_why(creditor, capsys):
    debtor, notice = notice_for(creditor)  # a company with neither SIREN nor postal address
    code, out, err = run(capsys, "actions", "approve", str(notice.pk))
    assert code == 1
    assert out == ""
    assert "cannot be approved" in err
    assert f"action {notice.pk} (411MED, formal_notice)" in err
    assert "The debtor's postal address is incomplete" in err
    assert "The debtor is a company: its SIREN must be stated." in err
    notice.refresh_from_db()
    assert notice.state == "planned"
    # Had it needed no approval, the print batch would refuse it for the same reasons.
    (check,) = documents_check([notice], as_of=AS_OF)
    Action.objects.filter(pk=notice.pk).update(requires_approval=False)
    batch = letters_batch(as_of=AS_OF, creditor=creditor)
    Action.objects.filter(pk=notice.pk).update(requires_approval=True)
    assert batch.letters == []
    (refused,) = batch.refused
    assert [p["code"] for p in refused["problems"]] == [p.code for p in check.problems]

    debtor.siren, debtor.address, debtor.postal_code, debtor.city = (
        "732829320", "3 rue Neuve", "69001", "Lyon",
    )
    debtor.save()
    code, out, err = run(capsys, "actions", "approve", str(notice.pk), "--json")
    assert (code, json.loads(out)) == (0, {"approved": 1})
    assert [row["action"] for row in letters_batch(as_of=AS_OF, creditor=creditor).letters] == [
        notice.pk
    ]


def test_approving_all_approves_nothing_when_one_cannot_be_sent(creditor):
    _, bad = notice_for(creditor)
    good_debtor = DebtorFactory(
        creditor=creditor, account="411OK", siren="732829320", address="3 rue Neuve",
        postal_code="69001", city="Lyon",
    )
    InvoiceFactory(debtor=good_debtor, creditor=creditor, number="FA-OK", issue_date=date(2025, 12, 5),
                   due_date=DUE)
    contact_declare(creditor=creditor, debtor=good_debtor, step_key="reminder_letter",
                    contact_date=AS_OF - timedelta(days=10), today=AS_OF)
    collection_run(creditor=creditor, as_of=AS_OF, dispatch=False)
    with pytest.raises(NotSendableError) as refused:
        actions_approve(ids=None, creditor=creditor)
    assert {p.params["action"] for p in refused.value.refused} == {bad.pk}
    assert not Action.objects.filter(state="approved").exists()


def test_a_letter_needing_an_unpublished_rate_is_not_approved_until_it_is_recorded(creditor):
    _, notice = notice_for(
        creditor, siren="732829320", address="3 rue Neuve", postal_code="69001", city="Lyon"
    )
    later = date(2026, 8, 3)  # the second half of 2026: no ECB rate shipped for it
    Action.objects.filter(pk=notice.pk).update(planned_date=later)
    with pytest.raises(NotSendableError) as refused:
        actions_approve(ids=[notice.pk], creditor=creditor)
    assert "relance rates add --table ecb_mro --from 2026-07-01" in str(refused.value)
    rate_add(table="ecb_mro", from_date=date(2026, 7, 1), rate=Decimal("2.15"), source="test")
    assert actions_approve(ids=[notice.pk], creditor=creditor) == 1
