"""``relance run`` leaves the workspace's kept figures computed, so the morning's first
dashboard and debtor list answer at once instead of the first collector waiting for them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from relance.apps.workspace import figures
from relance.cli import main
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db


def _not_computed() -> list[int]:
    raise AssertionError("the figure was not kept: the first view would compute it")


@pytest.fixture(autouse=True)
def _empty_cache():
    figures.invalidate()
    yield
    figures.invalidate()


def test_the_pass_keeps_the_debtor_ranking_for_today(creditor, capsys):
    today = timezone.localdate()
    debtor = DebtorFactory(creditor=creditor, account="411R")
    InvoiceFactory(
        debtor=debtor, creditor=creditor, number="FA-R1",
        issue_date=today - timedelta(days=60), due_date=today - timedelta(days=30),
    )
    with pytest.raises(AssertionError):
        figures.kept("ranking:overdue:0", creditor=creditor, as_of=today, compute=_not_computed)

    assert main(["run", "--json"]) == 0
    capsys.readouterr()

    ranking = figures.kept(
        "ranking:overdue:0", creditor=creditor, as_of=today, compute=_not_computed
    )
    assert ranking == [debtor.pk]


def test_a_dry_run_computes_nothing(creditor, capsys):
    today = timezone.localdate()
    InvoiceFactory(
        debtor=DebtorFactory(creditor=creditor, account="411S"), creditor=creditor,
        number="FA-S1", issue_date=today - timedelta(days=60), due_date=today - timedelta(days=30),
    )
    assert main(["run", "--dry-run", "--json"]) == 0
    capsys.readouterr()
    with pytest.raises(AssertionError):
        figures.kept("ranking:overdue:0", creditor=creditor, as_of=today, compute=_not_computed)
