"""Long lists come in pages: the debtors a search matches, the worklist's calls and approvals,
a debtor's invoices. Every page shows its share, in the list's order, and the pages together
show everything once: nothing lost, nothing twice."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from relance.apps.workspace.debtor_selectors import debtors_search
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


# --- the worklist ---------------------------------------------------------------------------------


def _walk(client, key: str, context_key: str) -> tuple[list[int], list[str]]:  # type: ignore[no-untyped-def]
    """Follow the list's "next" links from the first page: the actions shown, and each page's
    heading count (the whole list's size, on every page)."""
    seen, path, totals = [], "/worklist/", []
    while path:
        response = client.get(path)
        assert response.status_code == 200
        items = response.context[context_key]
        seen += [item.action.pk for item in items]
        pager = response.context["pagers"][key]
        totals.append(pager["page"].paginator.count)
        body = response.content.decode()
        if pager["next"]:
            assert pager["next"].replace("&", "&amp;") in body  # the link is on the page
        path = "/worklist/" + pager["next"] if pager["next"] else ""
    return seen, totals


def _by_priority(actions, today) -> list[int]:  # type: ignore[no-untyped-def]
    """The actions in the worklist's order, worked out here from the rows: overdue amount ×
    days late × (1 + broken promises + disputes), highest first, then oldest first."""
    from relance.apps.collection.models import Dispute, Promise
    from relance.apps.ledger.models import Invoice

    def score(debtor_id: int) -> Decimal:
        overdue = Invoice.objects.filter(debtor_id=debtor_id, status="open", due_date__lt=today)
        amount = sum((i.open_amount for i in overdue), Decimal(0))
        days = max([(today - i.due_date).days for i in overdue] or [0])
        broken = Promise.objects.filter(debtor_id=debtor_id, status="broken").count()
        disputes = Dispute.objects.filter(invoice__debtor_id=debtor_id).count()
        return amount * days * (1 + broken + disputes)

    rows = [(a.pk, a.planned_date, score(a.debtor_id)) for a in actions]
    return [pk for pk, _, _ in sorted(rows, key=lambda r: (-r[2], r[1], r[0]))]


def test_the_worklist_pages_calls_and_approvals_and_loses_none(admin_a, creditor_a, today):
    from relance.apps.collection.models import Action
    from relance.apps.workspace.worklist_selectors import APPROVALS_PAGE_SIZE, CALLS_PAGE_SIZE
    from tests.apps.workspace.test_query_counts import Desk

    desk = Desk(creditor_a, today)
    desk.grow(70)
    pending = Action.objects.filter(creditor=creditor_a, state__in=("planned", "approved"))
    calls = _by_priority(pending.filter(channel="call", planned_date__lte=today), today)
    approvals = _by_priority(pending.filter(requires_approval=True, state="planned"), today)
    assert len(calls) > CALLS_PAGE_SIZE
    assert len(approvals) > APPROVALS_PAGE_SIZE
    first = admin_a.get("/worklist/")
    assert len(first.context["cards"]) == CALLS_PAGE_SIZE
    assert len(first.context["previews"]) == APPROVALS_PAGE_SIZE
    # Each list in full, in order, once; the heading counts the whole list on every page.
    shown, totals = _walk(admin_a, "calls", "cards")
    assert shown == calls
    assert set(totals) == {len(calls)}
    shown, totals = _walk(admin_a, "approvals", "previews")
    assert shown == approvals
    assert set(totals) == {len(approvals)}
    # Turning the page of one list keeps the other on its page.
    second = admin_a.get("/worklist/?calls=2&approvals=2")
    assert [c.action.pk for c in second.context["cards"]] == calls[
        CALLS_PAGE_SIZE : 2 * CALLS_PAGE_SIZE
    ]
    assert [p.action.pk for p in second.context["previews"]] == approvals[APPROVALS_PAGE_SIZE:][
        :APPROVALS_PAGE_SIZE
    ]
    assert "approvals=2" in second.context["pagers"]["calls"]["next"]
    assert "calls=2" in second.context["pagers"]["approvals"]["previous"]
    # A page past the end, or not a number, shows the last or the first page (no error).
    last = -(-len(calls) // CALLS_PAGE_SIZE)
    assert admin_a.get("/worklist/?calls=999").context["pagers"]["calls"]["page"].number == last
    assert admin_a.get("/worklist/?calls=x").context["pagers"]["calls"]["page"].number == 1
    # An outcome recorded from a later page comes back to that page.
    body = second.content.decode()
    assert 'value="/worklist/?calls=2&amp;approvals=2"' in body


# --- a debtor's invoices --------------------------------------------------------------------------


def test_a_debtor_with_many_invoices_pages_them_overdue_first(collector_a, creditor_a, today):
    from relance.apps.collection.models import Dispute
    from relance.apps.ledger.models import Invoice
    from relance.apps.workspace.debtor_selectors import INVOICE_PAGE_SIZE

    debtor = DebtorFactory(creditor=creditor_a)
    for i in range(2 * INVOICE_PAGE_SIZE + 7):
        InvoiceFactory(
            debtor=debtor,
            creditor=creditor_a,
            number=f"F-{i:04d}",
            total_amount=Decimal(100 + i),
            due_date=today + timedelta(days=(i * 7919) % 200 - 120),  # overdue and not, mixed
        )
    InvoiceFactory(debtor=debtor, creditor=creditor_a, number="PAID-1", status=Invoice.Status.PAID)
    expected = list(
        Invoice.objects.filter(debtor=debtor, status="open")
        .order_by("due_date", "number")
        .values_list("number", flat=True)
    )
    url = f"/debtors/{debtor.pk}/"
    seen, n, first = [], 1, None
    while True:
        response = collector_a.get(f"{url}?invoices={n}")
        first = first or response
        page = response.context["invoices_page"]
        seen += [line.invoice.number for line in response.context["lines"]]
        assert len(response.context["lines"]) <= INVOICE_PAGE_SIZE
        if not page.has_next():
            break
        assert f'href="?invoices={n + 1}#invoices"' in response.content.decode()
        n += 1
    assert seen == expected  # every open invoice once, the overdue ones first
    assert n == 3
    days = [line.days_overdue for line in first.context["lines"]]
    assert days == sorted(days, reverse=True)
    # The Open figure is the whole debt, not the page's.
    total = sum(Invoice.objects.get(number=x, debtor=debtor).open_amount for x in expected)
    assert first.context["open_total"] == total
    # An invoice listed on the last page can be disputed.
    last = expected[-1]
    response = collector_a.post(
        f"{url}dispute/open/", {"dispute-invoice": last, "dispute-reason": "livraison incomplète"}
    )
    assert response.status_code == 302
    assert Dispute.objects.get(invoice__number=last, status="open").reason == "livraison incomplète"
    # Another debtor's invoice, or a paid one, is refused with the form and nothing recorded.
    response = collector_a.post(
        f"{url}dispute/open/", {"dispute-invoice": "PAID-1", "dispute-reason": "x"}
    )
    assert response.status_code == 400
    assert not Dispute.objects.filter(invoice__number="PAID-1").exists()
