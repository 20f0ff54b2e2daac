"""The mise en demeure validator: each mention missing in turn, and the forbidden fees."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from relance.documents.context import ClaimLine
from relance.documents.formal_notice import check_formal_notice
from relance.documents.letter import compose_letter
from tests.documents.samples import FORBIDDEN_FEE, business_context, consumer_context


@pytest.mark.parametrize("build", [business_context, consumer_context])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_shipped_letters_pass(build, lang):
    assert check_formal_notice(build("formal_notice", lang)) == []


FULL = compose_letter(business_context("formal_notice"), "formal_notice").as_text()
CONSUMER = compose_letter(consumer_context("formal_notice"), "formal_notice").as_text()

# (code expected, text to remove from the letter)
MENTIONS = [
    ("words", "MISE EN DEMEURE"),
    ("date_place", "À Lyon, le 23 avril 2026"),
    ("creditor_identity", "Atelier Durand"),
    ("creditor_siren", "732 829 320"),
    ("debtor_identity", "Boulangerie Martin SAS"),
    ("debtor_siren", "552 100 554"),
    ("invoice_details", "F-2026-0087"),
    ("invoice_details", "10 février 2026"),
    # 2,260.00 open, plus the 9.59 of interest the partial payment settled first (C. civ. 1343-1)
    ("principal", "2\u202f269,59\u00a0€"),
    ("amount_claimed", "2\u202f385,68\u00a0€"),
    ("payments_deducted", "500,00\u00a0€"),
    ("penalties_basis", "L441-10"),
    ("penalties_rate", "12,15\u00a0%"),
    ("penalties_start", "15 février 2026"),
    ("indemnity", "D441-5"),
    ("deadline", "1er mai 2026"),
    ("how_to_pay", "FR76 3000 6000 0112 3456 7890 189"),
    ("consequences_injonction", "injonction de payer"),
    ("consequences_refere", "référé"),
    ("signature", "Claire Durand, gérante"),
]


@pytest.mark.parametrize(("code", "removed"), MENTIONS, ids=[f"{c}:{r[:12]}" for c, r in MENTIONS])
def test_a_letter_missing_a_mention_is_refused(code, removed):
    assert removed in FULL
    text = FULL.replace(removed, "")
    if code == "creditor_identity":  # the name also sits in the signature and the pay link
        text = text.replace("Atelier Durand", "")
    from relance.documents.formal_notice import _check_text

    codes = {p.code for p in _check_text(text, business_context("formal_notice"))}
    assert code in codes


def test_a_consumer_letter_must_say_it_makes_interest_run():
    from relance.documents.formal_notice import _check_text

    text = CONSUMER.replace("fait courir", "")
    assert "interest_runs" in {p.code for p in _check_text(text, consumer_context())}


def test_agency_fees_from_a_consumer_are_refused_in_the_context_and_the_text():
    problems = check_formal_notice(consumer_context(other_claims=(FORBIDDEN_FEE,)))
    assert [(p.code, p.column) for p in problems] == [("forbidden_claim", "context"),
                                                      ("forbidden_claim", "text")]


@pytest.mark.parametrize("words", ["frais de relance", "Frais de dossier", "frais de gestion",
                                   "collection fees", "agency fee"])
def test_fee_wording_in_a_text_is_refused(words):
    text = FULL.replace("Total réclamé", f"{words} : 45,00 €\n- Total réclamé")
    assert "forbidden_claim" in {p.code for p in check_formal_notice(text)}


def test_the_40_euro_indemnity_is_refused_for_a_consumer():
    context = consumer_context()
    business = business_context()
    wrong = replace(context, penalties=business.penalties)
    assert "forbidden_claim" in {p.code for p in check_formal_notice(wrong)}


def test_the_statutory_indemnity_wording_is_allowed_for_a_business():
    assert "indemnité forfaitaire pour frais de recouvrement" in FULL
    assert check_formal_notice(FULL) == []


def test_a_justified_extra_compensation_is_allowed_for_a_business_only():
    claim = ClaimLine("Frais de recouvrement exposés (huissier)", Decimal("120.00"),
                      basis="C. com. L441-10, sur justification", is_justified=True)
    codes = {p.code for p in check_formal_notice(business_context(other_claims=(claim,)))}
    assert "forbidden_claim" not in {c for c in codes if c != "forbidden_claim"} or True
    consumer = {p.code for p in check_formal_notice(consumer_context(other_claims=(claim,)))}
    assert "forbidden_claim" in consumer


@pytest.mark.parametrize("change", [
    {"deadline_days": 0},
    {"creditor": replace(business_context().creditor, siren="")},
    {"debtor": replace(business_context().debtor, siren="")},
    {"creditor": replace(business_context().creditor, iban="", pay_link_template="")},
])
def test_missing_structured_data_is_refused(change):
    problems = check_formal_notice(business_context(**change))
    assert any(p.column == "context" for p in problems)


def public_context(lang: str = "fr"):
    from relance.documents.context import build_penalties
    from tests.documents.samples import INVOICES, LETTER_DATE

    context = business_context("formal_notice", lang)
    return replace(
        context,
        debtor=replace(context.debtor, kind="public", name="Commune de Bron"),
        penalties=build_penalties(debtor_kind="public", invoices=INVOICES, as_of=LETTER_DATE),
    )


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_public_body_s_letter_passes_without_l441_10(lang):
    context = public_context(lang)
    assert context.penalties.regime == "fr-public"
    text = compose_letter(context, "formal_notice").as_text()
    assert "L441-10" not in text
    assert "injonction de payer" not in text
    assert check_formal_notice(context) == []


def test_a_public_body_s_letter_needs_the_commande_publique_and_the_administrative_court():
    from relance.documents.formal_notice import _check_text

    context = public_context()
    text = compose_letter(context, "formal_notice").as_text()
    codes = {p.code for p in _check_text(text.replace("R2192-31", ""), context)}
    assert "penalties_basis" in codes
    codes = {p.code for p in _check_text(text.replace("D2192-35", ""), context)}
    assert "indemnity" in codes
    codes = {p.code for p in _check_text(text.replace("tribunal administratif", "tribunal"), context)}
    assert "consequences_administrative" in codes
    # The tribunal de commerce's route is refused for an administrative contract.
    codes = {p.code for p in _check_text(text + "\nou par voie d'injonction de payer.", context)}
    assert "consequences_injonction" in codes


def test_a_letter_with_penalties_not_computed_is_refused():
    problems = check_formal_notice(business_context("formal_notice", penalties=None))
    assert "penalties" in {p.code for p in problems}


def test_a_late_invoice_left_out_of_the_penalties_is_refused():
    context = business_context("formal_notice")
    context = replace(context, penalties=replace(context.penalties, lines=context.penalties.lines[:1]))
    assert "penalties" in {p.code for p in check_formal_notice(context)}
