"""Long lists come in pages: the debtors a search matches, the worklist's calls and approvals,
a debtor's invoices. Every page shows its share, in the list's order, and the pages together
show everything once: nothing lost, nothing twice."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from relance.apps.workspace.selectors import debtors_search
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db


def _all_pages(client, path: str, key: str = "page") -> list:  # type: ignore[no-untyped-def]
    seen, n = [], 1
    while True:
        page = client.get(f"{path}&page={n}").context[key]
        seen += [d.pk for d in page.object_list]
        if not page.has_next():
            return seen
        n += 1


@pytest.mark.parametrize("sort", ["overdue", "days", "name"])
@pytest.mark.parametrize("filters", ["", "&filter=overdue", "&filter=hold"])
def test_a_search_matching_many_debtors_pages_them_in_order(
    collector_a, creditor_a, today, sort, filters
):
    for i in range(120):
        name = f"Client Bernard {i:03d}" if i % 3 else f"Autre {i:03d}"
        debtor = DebtorFactory(creditor=creditor_a, name=name, is_legal_hold=i % 4 == 0)
        if i % 5:  # some owe nothing
            InvoiceFactory(
                debtor=debtor,
                creditor=creditor_a,
                total_amount=Decimal(100 + (i * 37) % 900),
                due_date=today - timedelta(days=(i * 13) % 90 - 20),
            )
    active = tuple(f.split("=")[1] for f in filters.split("&") if f)
    expected = [
        d.pk
        for d in debtors_search(
            creditor=creditor_a, as_of=today, q="bernard", filters=active, sort=sort
        )
    ]
    assert len(expected) >= 20
    seen = _all_pages(collector_a, f"/debtors/?q=bernard&sort={sort}{filters}")
    assert seen == expected
