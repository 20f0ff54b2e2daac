"""The legal stage's key-date rules, the route refusals and the write-off entry, in the domain
alone (the law engine's branch coverage is 100 %: ``scripts/run-tests``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from relance.domain.errors import InvalidInputError
from relance.domain.law.procedure import LegalReminder, key_date_check
from relance.domain.law.routes import ROUTES, ClaimFacts, route_refusals
from relance.domain.law.write_off import write_off_lines

DAY = date(2026, 3, 2)


def test_a_reminder_is_past_only_after_its_deadline():
    assert not LegalReminder("serve_order", DAY, None, "CPC 1411").is_past(date(2030, 1, 1))
    reminder = LegalReminder("serve_order", DAY, date(2026, 9, 2), "CPC 1411")
    assert not reminder.is_past(date(2026, 9, 2))
    assert reminder.is_past(date(2026, 9, 3))


@pytest.mark.parametrize(
    ("route", "key", "day", "dates", "words"),
    [
        ("court", "filed", DAY, {}, "Unknown route"),
        ("injonction", "signed", DAY, {}, "Unknown key date"),
        ("injonction", "filed", date(2026, 3, 3), {}, "in the future"),
        ("injonction", "order_served", DAY, {}, "before"),  # the order first
        ("injonction", "order_issued", DAY, {"filed": date(2026, 2, 1)}, None),
        ("injonction", "order_issued", date(2026, 1, 5), {"filed": date(2026, 2, 1)}, "cannot come before"),
        ("injonction", "filed", DAY, {"order_issued": date(2026, 2, 1)}, "cannot come after"),
    ],
)
def test_key_dates_follow_each_other_and_never_lie_ahead(route, key, day, dates, words):
    if words is None:
        assert key_date_check(route, key, day, dates, DAY) is None
        return
    with pytest.raises(InvalidInputError) as refused:
        key_date_check(route, key, day, dates, DAY)
    assert words in str(refused.value)


def test_a_claim_with_nothing_due_has_no_dossier_on_any_route():
    facts = ClaimFacts(debtor_kind="business", total=Decimal("0"), notice_received=True, has_invoices=False)
    for route in ROUTES.values():
        assert any("rien à réclamer" in reason for reason in route_refusals(route, facts))


def test_penalties_invoiced_are_written_off_with_the_receivable_and_the_entry_balances():
    lines = write_off_lines(
        reason="insolvency", vat_rate=Decimal("20"), account="411ACME", name="ACME",
        invoices=[("FA-1", Decimal("1200.00"))],
        penalties=[("FA-1", Decimal("35.10"), Decimal("40.00")), ("FA-2", Decimal("0"), Decimal("0"))],
    )
    assert sum(line.debit for line in lines) == sum(line.credit for line in lines) == Decimal("1275.10")
    assert [(line.account, line.debit, line.credit) for line in lines if "Pénalités" in line.label] == [
        ("654", Decimal("35.10"), Decimal("0")), ("411", Decimal("0"), Decimal("35.10")),
    ]
    assert [line.label for line in lines if line.piece == "FA-2"] == []
