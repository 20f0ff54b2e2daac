"""The routes out of the amicable path and the write-off entry: law as data, pure functions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relance.domain.law.routes import ROUTES, TAE_CITIES, ClaimFacts, choose_court, route_refusals
from relance.domain.law.write_off import REASONS, write_off_lines


def facts(**kwargs):
    base = {"debtor_kind": "business", "total": Decimal("1000"), "notice_received": True}
    return ClaimFacts(**{**base, **kwargs})


def test_a_sound_claim_may_go_every_way_its_debtor_allows():
    for name in ("injonction", "psrpc", "agency", "lawyer"):
        assert route_refusals(ROUTES[name], facts()) == []
    assert route_refusals(ROUTES["refere-provision"], facts(debtor_kind="public")) == []


def test_each_obstacle_is_named_and_all_of_them_at_once():
    reasons = route_refusals(ROUTES["injonction"], facts(
        expired=("FA-1",), disputed=("FA-2",), under_plan=True, notice_received=False,
    ))
    assert len(reasons) == 4
    assert reasons[0].startswith("Créance prescrite (FA-1)")
    assert reasons[1].startswith("Facture contestée (FA-2)")
    assert "échéancier" in reasons[2]
    assert "Aucune mise en demeure reçue" in reasons[3]


def test_only_the_routes_that_need_a_notice_ask_for_one():
    needing = {name for name, route in ROUTES.items() if route_refusals(route, facts(
        debtor_kind="public" if name == "refere-provision" else "business", notice_received=False))}
    assert needing == {"injonction", "refere-provision"}


def test_the_small_claims_ceiling_is_5000_euros_principal_and_interest():
    psrpc = ROUTES["psrpc"]
    assert route_refusals(psrpc, facts(total=Decimal("5000.00"))) == []
    (reason,) = route_refusals(psrpc, facts(total=Decimal("5000.01")))
    assert "CPCE L125-1" in reason
    (reason,) = route_refusals(psrpc, facts(is_consumer_credit=True))
    assert "crédit à la consommation" in reason.lower()


def test_a_public_buyer_goes_to_the_administrative_court_and_no_one_else_does():
    assert "référé-provision" in route_refusals(ROUTES["injonction"], facts(debtor_kind="public"))[0]
    assert route_refusals(ROUTES["refere-provision"], facts(debtor_kind="business"))


@pytest.mark.parametrize(
    ("kind", "creditor", "city", "credit", "cerfa", "name"),
    [
        ("business", "professional", "Lyon", False, "12946", "Tribunal des activités économiques de Lyon"),
        ("business", "professional", "le havre", False, "12946", "Tribunal des activités économiques de Le Havre"),
        ("business", "professional", "Tours", False, "12946", "Tribunal de commerce dont relève le siège du débiteur (Tours)"),
        ("business", "individual", "Lyon", False, "12948", "Tribunal judiciaire dont relève le domicile du débiteur (Lyon)"),
        ("consumer", "professional", "Paris", False, "12948", "Tribunal judiciaire dont relève le domicile du débiteur (Paris)"),
        ("consumer", "professional", "Paris", True, "16040", "Juge des contentieux de la protection"),
    ],
)
def test_the_court_follows_cpc_1406(kind, creditor, city, credit, cerfa, name):
    court = choose_court(debtor_kind=kind, creditor_kind=creditor, city=city, is_consumer_credit=credit)
    assert court.cerfa == cerfa
    assert court.name.startswith(name)
    assert "CPC 1406" in court.source


def test_the_twelve_experimental_courts():
    assert len(TAE_CITIES) == 12


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999.99"), places=2)


@given(st.lists(amounts, min_size=1, max_size=5), st.sampled_from(sorted(REASONS)),
       st.sampled_from([None, Decimal("20"), Decimal("5.5"), Decimal("0")]))
def test_a_write_off_entry_always_balances_and_credits_what_was_owed(owed, reason, rate):
    lines = write_off_lines(reason=reason, vat_rate=rate, account="411X", name="X",
                            invoices=[(f"F{n}", a) for n, a in enumerate(owed)])
    assert sum(x.debit for x in lines) == sum(x.credit for x in lines) == sum(owed)
    vat = sum(x.debit for x in lines if x.account == "44571")
    assert (vat > 0) == (rate is not None and rate > 0 and REASONS[reason].reclaims_vat
                         and any(a * rate / (100 + rate) > Decimal("0.005") for a in owed))
