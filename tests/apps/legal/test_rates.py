"""Rates recorded in the database override the shipped tables; penalties on an invoice.

``rate_add``/``rates_list``/``rate_tables`` and ``invoice_penalties`` (the legal app's services
and selectors), against the database under test.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from relance.apps.audit.models import Event
from relance.apps.audit.services import chain_verify
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Allocation, Debtor, Invoice, Payment
from relance.apps.legal.models import RateOverride
from relance.apps.legal.selectors import (
    invoice_penalties,
    invoice_regime,
    payments_net,
    rate_tables,
    rates_list,
)
from relance.apps.legal.services import rate_add
from relance.domain.errors import InvalidInputError
from relance.domain.law import (
    InvalidRateError,
    UnknownRateError,
    UnknownTableError,
    compute_interest,
    rate_on,
)
from tests.factories import CreditorFactory, DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

D = Decimal


def fr_b2b_2026_h2():
    # 10,000.00 due 2026-06-30, paid 2026-07-31: 31 days of 2026 H2, ECB rate on 1 July 2026.
    return compute_interest(
        regime="fr-b2b",
        principal=D("10000.00"),
        start=date(2026, 6, 30),
        end=date(2026, 7, 31),
        tables=rate_tables(),
    )


def add_ecb_2026_h2(rate: str = "2.15", source: str = "ECB press release of 11 June 2026"):
    return rate_add(table="ecb_mro", from_date=date(2026, 7, 1), rate=D(rate), source=source)


# --- rate_add, rate_tables ------------------------------------------------------------------


def test_an_unknown_half_year_is_refused_with_the_command_that_records_its_rate():
    with pytest.raises(UnknownRateError) as caught:
        fr_b2b_2026_h2()
    assert caught.value.table == "ecb_mro"
    assert "2026 H2" in caught.value.message
    assert "relance rates add --table ecb_mro --from 2026-07-01" in caught.value.message


def test_a_recorded_rate_overrides_the_shipped_table():
    row = add_ecb_2026_h2()
    assert (row.table, row.from_date, row.rate) == ("ecb_mro", date(2026, 7, 1), D("2.15"))
    result = fr_b2b_2026_h2()
    assert [(p.days, str(p.rate)) for p in result.periods] == [(31, "12.15")]
    # 10000 × 12.15 % × 31 / 365 = 103.191781
    assert result.interest == D("103.19")
    assert result.indemnity == D("40.00")


def test_a_recorded_rate_replaces_a_shipped_row_of_the_same_date():
    rate_add(table="ecb_mro", from_date=date(2025, 6, 11), rate=D("2.20"), source="correction")
    assert rate_on(rate_tables()["ecb_mro"], date(2025, 7, 1)) == D("2.20")
    event = Event.objects.get(kind="legal.rate_added")
    assert event.payload["shipped_rate"] == "2.15"


def test_recording_a_rate_writes_an_audit_event_without_a_creditor():
    row = add_ecb_2026_h2()
    event = Event.objects.get(kind="legal.rate_added")
    assert (event.subject_type, event.subject_id, event.creditor_id) == ("rate", row.pk, None)
    assert event.payload == {
        "table": "ecb_mro",
        "from": "2026-07-01",
        "rate": "2.15",
        "source": "ECB press release of 11 June 2026",
        "previous": None,
        "shipped_rate": None,
    }
    assert chain_verify().ok


def test_recording_the_same_date_again_with_another_rate_updates_it_and_says_so():
    add_ecb_2026_h2()
    add_ecb_2026_h2(rate="2.40", source="ECB press release, corrected")
    row = RateOverride.objects.get()
    assert (row.rate, row.source) == (D("2.40"), "ECB press release, corrected")
    events = list(Event.objects.filter(kind="legal.rate_added").order_by("id"))
    assert len(events) == 2
    assert events[1].payload["previous"] == {"rate": "2.15", "source": "ECB press release of 11 June 2026"}
    assert [str(p.rate) for p in fr_b2b_2026_h2().periods] == ["12.40"]


def test_recording_the_same_rate_twice_writes_nothing_more():
    add_ecb_2026_h2()
    add_ecb_2026_h2()
    assert RateOverride.objects.count() == 1
    assert Event.objects.filter(kind="legal.rate_added").count() == 1


def test_a_taux_legal_is_recorded_per_half_year():
    rate_add(table="fr_legal_professional", from_date=date(2026, 7, 1), rate=D("2.62"), source="JO")
    assert rate_on(rate_tables()["fr_legal_professional"], date(2026, 12, 31)) == D("2.62")
    with pytest.raises(InvalidRateError, match="1 January or 1 July"):
        rate_add(table="fr_legal_individual", from_date=date(2026, 8, 1), rate=D("6"), source="JO")


@pytest.mark.parametrize(
    ("table", "rate", "source", "error", "match"),
    [
        ("ecb_rate", "2.15", "ECB", UnknownTableError, "Unknown rate table 'ecb_rate'"),
        ("ecb_mro", "-0.5", "ECB", InvalidRateError, "not plausible"),
        ("ecb_mro", "2.15", "  ", InvalidRateError, "--source"),
        ("ecb_mro", "2.123456", "ECB", InvalidRateError, "at most 4 decimal places"),
        ("ecb_mro", "1000", "ECB", InvalidRateError, "not plausible"),
    ],
)
def test_a_rate_that_cannot_be_right_is_refused_and_nothing_is_stored(table, rate, source, error, match):
    with pytest.raises(error, match=match):
        rate_add(table=table, from_date=date(2026, 7, 1), rate=D(rate), source=source)
    assert not RateOverride.objects.exists()
    assert not Event.objects.exists()


# --- rates_list -----------------------------------------------------------------------------


def test_rates_list_shows_each_row_with_its_source_and_origin():
    add_ecb_2026_h2()
    rows = rates_list(table="ecb_mro")
    assert {row["table"] for row in rows} == {"ecb_mro"}
    june = next(row for row in rows if row["from"] == "2025-06-11")
    assert june == {
        "table": "ecb_mro",
        "from": "2025-06-11",
        "to": "2026-06-30",
        "rate": "2.15",
        "source": june["source"],
        "origin": "shipped",
    }
    assert "ECB" in june["source"]
    assert rows[-1] == {
        "table": "ecb_mro",
        "from": "2026-07-01",
        "to": None,
        "rate": "2.15",
        "source": "ECB press release of 11 June 2026",
        "origin": "database",
    }


def test_rates_list_without_a_table_lists_all_four_and_refuses_an_unknown_one():
    tables = {row["table"] for row in rates_list()}
    assert tables == {"ecb_mro", "fr_legal_professional", "fr_legal_individual", "boe_base"}
    periodic = next(row for row in rates_list(table="fr_legal_individual") if row["from"] == "2025-07-01")
    assert (periodic["to"], periodic["rate"]) == ("2025-12-31", "6.65")
    with pytest.raises(UnknownTableError):
        rates_list(table="euribor")


# --- invoice_penalties ----------------------------------------------------------------------


def make_invoice(*, debtor_kind=Debtor.Kind.BUSINESS, creditor_kind=Creditor.Kind.PROFESSIONAL,
                 currency="EUR", total="10000.00", due=date(2025, 3, 31),
                 debtor_country="FR") -> Invoice:
    creditor = CreditorFactory(kind=creditor_kind)
    debtor = DebtorFactory(creditor=creditor, kind=debtor_kind, country=debtor_country)
    return InvoiceFactory(
        creditor=creditor, debtor=debtor, currency=currency, total_amount=D(total),
        issue_date=due, due_date=due,
    )


def pay(invoice: Invoice, day: date, amount: str, origin=Payment.Origin.BANK) -> None:
    payment = Payment.objects.create(
        creditor=invoice.creditor, debtor=invoice.debtor, value_date=day, amount=D(amount),
        currency=invoice.currency, origin=origin,
    )
    Allocation.objects.create(payment=payment, invoice=invoice, amount=D(amount))


def test_a_business_invoice_in_euros_bears_the_l441_10_penalties():
    # legal-fr.md TC1: 10,000.00 due 2025-03-31, as of 2025-04-30.
    invoice = make_invoice()
    result = invoice_penalties(invoice=invoice, as_of=date(2025, 4, 30))
    assert result.regime == "fr-b2b"
    assert (result.interest, result.indemnity, result.penalties_total) == (
        D("108.08"), D("40.00"), D("148.08"),
    )


def test_payments_allocated_to_the_invoice_are_imputed_on_interest_first():
    # legal-fr.md TC11: 8,000.00 due 2025-01-31, 3,000.00 paid 2025-03-02, as of 2025-07-15.
    invoice = make_invoice(total="8000.00", due=date(2025, 1, 31))
    pay(invoice, date(2025, 3, 2), "3000.00")
    pay(invoice, date(2025, 8, 1), "5371.77")  # after as_of: not counted
    result = invoice_penalties(invoice=invoice, as_of=date(2025, 7, 15))
    assert [(p.date, p.to_interest, p.to_principal) for p in result.payments] == [
        (date(2025, 3, 2), D("86.47"), D("2913.53")),
    ]
    assert result.outstanding_principal == D("5086.47")
    assert result.amount_due == D("5371.77")
    assert result.interest == D("331.77")
    assert not result.warnings


def test_a_settlement_reported_by_the_ledger_leaves_penalties_on_the_balance_it_gives():
    # The export gives no payment date: penalties run on the balance from the due date, never
    # on the original total up to the import day (issue 14).
    invoice = make_invoice()
    pay(invoice, date(2025, 4, 30), "5000.00", origin=Payment.Origin.LEDGER)
    result = invoice_penalties(invoice=invoice, as_of=date(2025, 4, 30))
    assert (result.principal, result.payments) == (D("5000.00"), ())
    assert result.interest == D("54.04")  # half of TC1's 108.08, to the cent
    assert "solde restant dû de 5 000,00 EUR" in result.warnings[-1]


def test_an_invoice_the_ledger_settled_on_no_known_date_bears_no_penalties():
    invoice = make_invoice()
    pay(invoice, date(2025, 4, 30), "10000.00", origin=Payment.Origin.LEDGER)
    with pytest.raises(InvalidInputError) as caught:
        invoice_penalties(invoice=invoice, as_of=date(2025, 4, 30))
    assert caught.value.code == "settled_without_date"


def test_a_reversed_settlement_is_as_if_it_had_not_been_paid():
    invoice = make_invoice()
    pay(invoice, date(2025, 4, 10), "10000.00", origin=Payment.Origin.LEDGER)
    pay(invoice, date(2025, 4, 20), "-10000.00", origin=Payment.Origin.LEDGER)
    result = invoice_penalties(invoice=invoice, as_of=date(2025, 4, 30))
    assert result.payments == ()
    assert result.interest == D("108.08")


def test_payments_net_never_leaves_a_negative_payment():
    assert payments_net([(date(2025, 1, 1), D("-5"))]) == []
    assert payments_net([(date(2025, 1, 1), D("10")), (date(2025, 2, 1), D("-25"))]) == []


def test_a_consumer_debtor_owes_no_interest_before_a_mise_en_demeure():
    invoice = make_invoice(debtor_kind=Debtor.Kind.CONSUMER, total="2500.00", due=date(2025, 1, 31))
    result = invoice_penalties(invoice=invoice, as_of=date(2025, 8, 20))
    assert result.regime == "fr-civil"
    assert (result.interest, result.indemnity, result.amount_due) == (D("0.00"), D("0"), D("2500.00"))
    assert "mise en demeure" in result.warnings[0]


def test_a_consumer_debtor_owes_the_taux_legal_from_the_mise_en_demeure():
    # legal-fr.md TC8: 2,500.00, mise en demeure 2025-02-10, as of 2025-08-20 → 45.22, no 40 €.
    invoice = make_invoice(debtor_kind=Debtor.Kind.CONSUMER, total="2500.00", due=date(2025, 1, 31))
    result = invoice_penalties(invoice=invoice, as_of=date(2025, 8, 20), notice_date=date(2025, 2, 10))
    assert [(p.days, str(p.rate)) for p in result.periods] == [(140, "3.71"), (51, "2.76")]
    assert (result.interest, result.indemnity) == (D("45.22"), D("0"))


def test_a_creditor_not_acting_professionally_claims_the_taux_legal_particuliers():
    invoice = make_invoice(creditor_kind=Creditor.Kind.INDIVIDUAL, total="3000.00", due=date(2024, 2, 1))
    assert invoice_regime(invoice=invoice) == "fr-civil"
    # legal-fr.md TC9: mise en demeure 2024-03-01, as of 2024-12-31 → 203.07.
    result = invoice_penalties(invoice=invoice, as_of=date(2024, 12, 31), notice_date=date(2024, 3, 1))
    assert result.interest == D("203.07")


def test_a_public_body_owes_the_moratory_interest_of_the_commande_publique():
    # legal-fr.md §1.5: 10,000.00, period expired 2025-03-31, as of 2025-09-30 → 559.03 + 40.
    invoice = make_invoice(debtor_kind=Debtor.Kind.PUBLIC)
    assert invoice_regime(invoice=invoice) == "fr-public"
    result = invoice_penalties(invoice=invoice, as_of=date(2025, 9, 30))
    assert (result.interest, result.indemnity) == (D("559.03"), D("40.00"))


def test_a_uk_business_invoice_in_pounds_falls_under_the_late_payment_act():
    # legal-fr.md TC13: £5,000.00 due 2025-02-28, as of 2025-09-30 → £373.77 + £70.00.
    invoice = make_invoice(currency="GBP", total="5000.00", due=date(2025, 2, 28),
                           debtor_country="GB")
    result = invoice_penalties(invoice=invoice, as_of=date(2025, 9, 30))
    assert (result.regime, result.currency) == ("uk-b2b", "GBP")
    assert (result.interest, result.indemnity, result.penalties_total) == (
        D("373.77"), D("70.00"), D("443.77"),
    )


def test_an_explicit_regime_wins_over_the_one_chosen_from_the_parties():
    invoice = make_invoice()
    result = invoice_penalties(invoice=invoice, as_of=date(2025, 4, 30), regime="eu-b2b")
    assert result.regime == "eu-b2b"
    assert str(result.periods[0].rate) == "11.15"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"currency": "GBP"}, "Facture en GBP à un débiteur établi en FR"),
        ({"currency": "USD"}, "Facture en USD"),
        ({"debtor_country": "US"}, "Débiteur établi en US"),
        ({"total": "-100.00"}, "credit note"),
    ],
)
def test_what_relance_does_not_model_is_refused_not_guessed(kwargs, match):
    invoice = make_invoice(**kwargs)
    with pytest.raises(InvalidInputError, match=match):
        invoice_penalties(invoice=invoice, as_of=date(2025, 4, 30))


def test_a_judgment_regime_is_not_computed_from_an_invoice():
    with pytest.raises(InvalidInputError, match="fr-judgment"):
        invoice_penalties(invoice=make_invoice(), as_of=date(2025, 4, 30), regime="fr-judgment")
    with pytest.raises(InvalidInputError, match="Unknown regime"):
        invoice_penalties(invoice=make_invoice(), as_of=date(2025, 4, 30), regime="fr-b2c")


def test_penalties_on_an_invoice_refuse_a_period_with_no_known_rate_until_it_is_recorded():
    invoice = make_invoice(due=date(2026, 6, 30))
    with pytest.raises(UnknownRateError, match="relance rates add --table ecb_mro --from 2026-07-01"):
        invoice_penalties(invoice=invoice, as_of=date(2026, 7, 31))
    add_ecb_2026_h2()
    assert invoice_penalties(invoice=invoice, as_of=date(2026, 7, 31)).interest == D("103.19")


def test_an_invoice_not_yet_due_bears_nothing():
    result = invoice_penalties(invoice=make_invoice(), as_of=date(2025, 3, 1))
    assert (result.interest, result.indemnity, result.periods) == (D("0.00"), D("0"), ())
