"""The worklist's "Run today's pass" button leaves the kept figures computed, as
``relance run`` does (tests/test_cli_run_figures.py)."""

from __future__ import annotations

import pytest

from relance.apps.workspace import figures
from tests.factories import debtor_with_overdue_invoices

pytestmark = pytest.mark.django_db


def _not_computed() -> list[int]:
    raise AssertionError("the figure was not kept: the first view would compute it")


def test_the_button_keeps_the_debtor_ranking(collector_a, creditor_a, today):
    debtor = debtor_with_overdue_invoices(creditor=creditor_a, count=1, as_of=today)
    figures.invalidate()
    assert collector_a.post("/worklist/run/").status_code == 302
    ranking = figures.kept(
        "ranking:overdue:0", creditor=creditor_a, as_of=today, compute=_not_computed
    )
    assert ranking == [debtor.pk]
