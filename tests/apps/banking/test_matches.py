"""Matching credits to invoices: applied, suggested, confirmed, undone, explained."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relance.apps.audit.models import Event
from relance.apps.audit.services import chain_verify
from relance.apps.banking.models import KnownIban, Match, MatchAllocation, StatementLine
from relance.apps.banking.selectors import debtor_credit, matches_list, matches_summary
from relance.apps.banking.services import match_apply, match_undo, statement_import
from relance.apps.ledger.models import Allocation, Invoice, Payment
from tests.apps.banking._helpers import bank_csv
from tests.factories import CreditorFactory, DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 3, 20)
PAID_ON = date(2026, 3, 18)
IBAN = "FR7610107001011234567890129"


def ledger_state(creditor):
    return (
        sorted(Invoice.objects.filter(creditor=creditor).values_list("id", "open_amount", "status")),
        Payment.objects.filter(creditor=creditor).count(),
        Allocation.objects.filter(invoice__creditor=creditor).count(),
    )


def run(creditor, *lines):
    return statement_import(creditor=creditor, data=bank_csv(*lines), filename="s.csv", as_of=AS_OF)


def test_a_credit_quoting_the_invoice_number_and_amount_is_applied_with_its_reasons(creditor):
    debtor = DebtorFactory(creditor=creditor, name="Boulangerie Martin SARL")
    invoice = InvoiceFactory(debtor=debtor, number="FA-2026-0042", total_amount=Decimal("1200.00"))

    result = run(creditor, (PAID_ON, "1200.00", "BOULANGERIE MARTIN", IBAN, "Facture FA-2026-0042"))

    assert (result["credits"], result["matched"], result["suggested"], result["unmatched"]) == (1, 1, 0, 0)
    assert result["amount_matched"] == "1200.00"
    (summary,) = result["matches"]
    assert summary["state"] == "applied"
    assert summary["debtor"]["account"] == debtor.account
    assert summary["allocations"] == [{"invoice": invoice.pk, "number": "FA-2026-0042", "amount": "1200.00"}]
    assert any("FA-2026-0042" in reason for reason in summary["reasons"])
    assert any("amount equals" in reason for reason in summary["reasons"])
    invoice.refresh_from_db()
    assert (invoice.open_amount, invoice.status) == (Decimal("0.00"), "paid")
    payment = Payment.objects.get()
    assert (payment.origin, payment.value_date, payment.amount, payment.debtor) == ("bank", PAID_ON, Decimal("1200.00"), debtor)
    assert StatementLine.objects.get().status == "matched"
    assert KnownIban.objects.filter(debtor=debtor, iban=IBAN).exists()
    assert Event.objects.filter(kind="bank.match_applied").count() == 1
    assert chain_verify().ok


def test_one_payment_for_several_invoices_pays_them_all(creditor):
    debtor = DebtorFactory(creditor=creditor)
    a = InvoiceFactory(debtor=debtor, number="F230866", total_amount=Decimal("100.00"))
    b = InvoiceFactory(debtor=debtor, number="F230765", total_amount=Decimal("250.50"))

    result = run(creditor, (PAID_ON, "350.50", debtor.name, "", "F230866 F230765"))

    assert result["matched"] == 1
    assert {x["number"] for x in result["matches"][0]["allocations"]} == {"F230866", "F230765"}
    assert set(Invoice.objects.filter(pk__in=[a.pk, b.pk]).values_list("status", flat=True)) == {"paid"}


def test_a_partial_payment_lowers_the_open_amount(creditor):
    debtor = DebtorFactory(creditor=creditor)
    invoice = InvoiceFactory(debtor=debtor, number="FA-777", total_amount=Decimal("1000.00"))
    result = run(creditor, (PAID_ON, "400.00", debtor.name, "", "FA-777 acompte"))
    assert result["matched"] == 1
    invoice.refresh_from_db()
    assert (invoice.open_amount, invoice.status) == (Decimal("600.00"), "open")


def test_an_overpayment_is_kept_as_a_credit_on_the_debtor(creditor):
    debtor = DebtorFactory(creditor=creditor)
    invoice = InvoiceFactory(debtor=debtor, number="FA-778", total_amount=Decimal("100.00"))

    result = run(creditor, (PAID_ON, "130.00", debtor.name, "", "FA-778"))

    assert result["matched"] == 1
    assert result["matches"][0]["overpayment"] == "30.00"
    invoice.refresh_from_db()
    assert invoice.open_amount == Decimal("0.00")
    assert debtor_credit(debtor=debtor) == Decimal("30.00")


def test_a_payer_known_only_by_name_waits_as_a_suggestion_until_confirmed(creditor):
    debtor = DebtorFactory(creditor=creditor, name="Transports Lefebvre et Fils")
    invoice = InvoiceFactory(debtor=debtor, number="FA-900", total_amount=Decimal("480.00"))
    before = ledger_state(creditor)

    result = run(creditor, (PAID_ON, "300.00", "TRANSPORTS LEFEBVRE ET FILS", "", "virement"))

    assert (result["matched"], result["suggested"]) == (0, 1)
    assert any("payer name" in reason for reason in result["matches"][0]["reasons"])
    assert ledger_state(creditor) == before  # a suggestion changes no money
    match = Match.objects.get()
    assert match.line.status == "suggested"

    match_apply(match=match, actor="alice")

    match.refresh_from_db()
    invoice.refresh_from_db()
    assert (match.state, match.applied_by) == ("applied", "alice")
    assert invoice.open_amount == Decimal("180.00")
    assert match.line.status == "matched"
    assert [m["id"] for m in matches_summary(list(matches_list(creditor=creditor, state="applied")))] == [match.pk]


def test_undo_restores_the_exact_previous_state(creditor):
    debtor = DebtorFactory(creditor=creditor)
    InvoiceFactory(debtor=debtor, number="FA-1", total_amount=Decimal("100.00"))
    InvoiceFactory(debtor=debtor, number="FA-2", total_amount=Decimal("200.00"))
    before = ledger_state(creditor)
    run(creditor, (PAID_ON, "350.00", debtor.name, IBAN, "FA-1 FA-2"))
    match = Match.objects.get()
    assert match.state == "applied"

    match_undo(match=match, actor="bob")

    assert ledger_state(creditor) == before
    match.refresh_from_db()
    assert (match.state, match.undone_by, match.payment) == ("undone", "bob", None)
    assert match.line.status == "unmatched"
    assert not KnownIban.objects.exists()  # learned only from the match undone
    assert debtor_credit(debtor=debtor) == Decimal("0.00")
    assert Event.objects.filter(kind="bank.match_undone").count() == 1


def test_a_match_cannot_be_applied_twice_or_undone_twice(creditor):
    from relance.domain.errors import InvalidInputError

    debtor = DebtorFactory(creditor=creditor)
    InvoiceFactory(debtor=debtor, number="FA-5", total_amount=Decimal("100.00"))
    run(creditor, (PAID_ON, "100.00", debtor.name, "", "FA-5"))
    match = Match.objects.get()
    with pytest.raises(InvalidInputError):
        match_apply(match=match, actor="a")
    match_undo(match=match, actor="a")
    with pytest.raises(InvalidInputError):
        match_undo(match=match, actor="a")


def test_confirming_a_stale_suggestion_never_takes_more_than_is_still_open(creditor):
    debtor = DebtorFactory(creditor=creditor, name="Garage Dupuis")
    invoice = InvoiceFactory(debtor=debtor, number="FA-60", total_amount=Decimal("500.00"))
    run(creditor, (PAID_ON, "300.00", "GARAGE DUPUIS", "", "paiement"))
    suggestion = Match.objects.get(state="suggested")
    # Meanwhile the invoice was paid by another line that quoted its number.
    run(creditor, (PAID_ON + timedelta(days=1), "500.00", "GARAGE DUPUIS", "", "FA-60"))
    invoice.refresh_from_db()
    assert invoice.open_amount == Decimal("0.00")

    match_apply(match=suggestion, actor="alice")

    suggestion.refresh_from_db()
    assert suggestion.overpayment == Decimal("300.00")
    assert not MatchAllocation.objects.filter(match=suggestion).exists()
    invoice.refresh_from_db()
    assert invoice.open_amount == Decimal("0.00")
    assert debtor_credit(debtor=debtor) == Decimal("300.00")


def test_debits_and_unrelated_credits_are_left_alone(creditor):
    InvoiceFactory(debtor=DebtorFactory(creditor=creditor), number="FA-9", total_amount=Decimal("75.00"))
    result = run(
        creditor,
        (PAID_ON, "-75.00", "Fournisseur", "", "FA-9"),
        (PAID_ON, "12.34", "Intérêts créditeurs", "", "interets"),
    )
    assert (result["debits"], result["credits"], result["matched"], result["suggested"], result["unmatched"]) == (1, 1, 0, 0, 1)
    assert set(StatementLine.objects.values_list("status", flat=True)) == {"ignored", "unmatched"}
    assert Invoice.objects.get().status == "open"


cents = st.integers(min_value=1, max_value=300_000).map(lambda c: Decimal(c) / 100)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    invoice_amounts=st.lists(cents, min_size=1, max_size=4),
    payments=st.lists(
        st.tuples(cents, st.lists(st.integers(min_value=0, max_value=3), max_size=3), st.booleans()),
        min_size=1,
        max_size=4,
    ),
    data=st.data(),
)
def test_allocations_never_exceed_a_line_or_an_invoice_and_undo_restores_everything(
    invoice_amounts, payments, data
):
    creditor = CreditorFactory()
    debtor = DebtorFactory(creditor=creditor, name="Menuiserie Arnaud")
    invoices = [
        InvoiceFactory(debtor=debtor, creditor=creditor, number=f"FX-{n:03d}", total_amount=amount,
                       due_date=date(2026, 1, 10) + timedelta(days=n))
        for n, amount in enumerate(invoice_amounts)
    ]
    original = {invoice.pk: invoice.open_amount for invoice in invoices}
    before = ledger_state(creditor)
    lines = [
        (PAID_ON, amount, "MENUISERIE ARNAUD" if by_name else "X", "",
         " ".join(invoices[i].number for i in quoted if i < len(invoices)) or "virement")
        for amount, quoted, by_name in payments
    ]
    run(creditor, *lines)
    for suggestion in Match.objects.filter(creditor=creditor, state="suggested"):
        match_apply(match=suggestion, actor="t")

    for line in StatementLine.objects.filter(creditor=creditor):
        allocated = sum(
            (a.amount for a in Allocation.objects.filter(payment__matches__line=line)), Decimal(0)
        )
        assert allocated <= line.amount
    for invoice in Invoice.objects.filter(creditor=creditor):
        allocated = sum((a.amount for a in invoice.allocations.all()), Decimal(0))
        assert allocated <= original[invoice.pk]
        assert invoice.open_amount == original[invoice.pk] - allocated >= 0
        assert invoice.status == ("paid" if invoice.open_amount == 0 else "open")

    applied = list(Match.objects.filter(creditor=creditor, state="applied"))
    for match in data.draw(st.permutations(applied)):
        match_undo(match=match, actor="t")
    assert ledger_state(creditor) == before
    assert debtor_credit(debtor=debtor) == Decimal("0.00")
