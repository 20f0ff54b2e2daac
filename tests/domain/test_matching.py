"""Matching bank credits to open invoices: the CFONB sample, the rules, and the invariants."""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relance.domain.banking import LineRecord
from relance.domain.matching import (
    Allocation,
    InvoiceIndex,
    MatchProposal,
    OpenInvoice,
    match_lines,
    number_candidates,
)
from relance.formats.cfonb import read_cfonb

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples"
D = Decimal


def invoice(
    number: str,
    debtor: str,
    name: str,
    amount: str,
    due: date = date(2023, 12, 1),
    currency: str = "EUR",
) -> OpenInvoice:
    return OpenInvoice(number, number, debtor, name, D(amount), currency, due)


def credit(amount: str, *, key: str = "L", **fields: str) -> LineRecord:
    return LineRecord(date(2024, 1, 13), D(amount), "EUR", fingerprint=key, **fields)  # type: ignore[arg-type]


def by_key(proposals: list[MatchProposal]) -> dict[str, MatchProposal]:
    return {proposal.line_key: proposal for proposal in proposals}


# --- the CFONB sample ---------------------------------------------------------------------------

CFONB_INVOICES = [
    invoice("F230875", "411MJB", "Ma Jolie Boutique", "1040.17"),
    invoice("F230866", "411DUR", "Durancia Montgenèvre", "400.00", date(2023, 11, 1)),
    invoice("F230765", "411DUR", "Durancia Montgenèvre", "521.00", date(2023, 10, 1)),
    invoice("F238765", "411DUR", "Durancia Montgenèvre", "400.00", date(2023, 12, 1)),
    invoice("F230987", "411DIT", "Ditri Camping Nord", "3000.00", date(2023, 10, 15)),
    invoice("F231234", "411DIT", "Ditri Camping Nord", "2500.00", date(2023, 11, 15)),
    invoice("F235678", "411ECO", "Econymo Software", "2000.00"),
    invoice("F239765", "411RATP", "RATP", "50.00"),
    invoice("F237654", "411RATP", "RATP", "60.00"),
    invoice("F239875", "411RATP", "RATP", "70.00"),
    invoice("F240001", "411RATP", "RATP", "38.80"),
    invoice("F229876", "411DGA", "DGA France", "510.80"),
    invoice("F240500", "411PRI", "SARL Print", "1552.23"),
]


@pytest.fixture
def cfonb_lines() -> list[LineRecord]:
    path = SAMPLES / "cfonb" / "oca-cfonb_classic.cfo"
    if not path.is_file():
        pytest.skip(f"sample not found at {path.resolve()} (clone with shared/ beside the repo)")
    return list(read_cfonb(path.read_bytes()).lines)


def test_cfonb_sample_invoice_numbers_are_matched(cfonb_lines: list[LineRecord]) -> None:
    proposals = match_lines(cfonb_lines, CFONB_INVOICES)
    payer = {line.fingerprint: line.counterparty_name for line in cfonb_lines}
    found = {payer[p.line_key]: p for p in proposals}

    boutique = found["MA JOLIE BOUTIQUE"]
    assert boutique.allocations == (Allocation("F230875", D("1040.17")),)
    assert boutique.state == "applied"
    assert "invoice number F230875 found in remittance text" in boutique.reasons
    assert "amount equals the open amount" in boutique.reasons

    durancia = found["DURANCIA MONTGENEVRE"]  # three numbers, one payment, oldest due first
    assert durancia.allocations == (
        Allocation("F230765", D("521.00")),
        Allocation("F230866", D("400.00")),
        Allocation("F238765", D("400.00")),
    )
    assert durancia.state == "applied"

    ditri = found["DITRI CAMPING NORD"]  # a deposit: partial payment
    assert ditri.allocations == (
        Allocation("F230987", D("3000.00")),
        Allocation("F231234", D("1772.91")),
    )
    assert ditri.overpayment == 0
    assert any(reason.startswith("partial payment") for reason in ditri.reasons)

    econymo = found["Econymo Software SARL"]  # pays more than is open: a credit is kept
    assert econymo.allocations == (Allocation("F235678", D("2000.00")),)
    assert econymo.overpayment == D("341.12")
    assert econymo.debtor_account == "411ECO"

    ratp = found["RATP"]  # F239765/F237654/F239875/F240001
    assert sorted(str(a.invoice_id) for a in ratp.allocations) == [
        "F237654",
        "F239765",
        "F239875",
        "F240001",
    ]
    assert ratp.allocated_amount == D("218.80")

    dga = found["DGA FRANCE"]  # F238765+F229876, the first already paid by Durancia above
    assert dga.allocations == (Allocation("F229876", D("510.80")),)
    assert dga.debtor_account == "411DGA"

    printer = found["PRINT SARL"]  # no number: the name and the exact amount
    assert printer.allocations == (Allocation("F240500", D("1552.23")),)
    assert "payer name 'PRINT SARL' ~ 'SARL Print' 100%" in printer.reasons

    # BROMBIJ quotes numbers we do not know; PRARIAL quotes Durancia's settled invoice;
    # the direct debits are debits. None of them is proposed.
    assert "BROMBIJ BV" not in found
    assert "PRARIAL OT MONTG" not in found
    assert all(line.amount > 0 for line in cfonb_lines if line.fingerprint in by_key(proposals))


def test_cfonb_sample_matching_is_repeatable(cfonb_lines: list[LineRecord]) -> None:
    assert match_lines(cfonb_lines, CFONB_INVOICES) == match_lines(cfonb_lines, CFONB_INVOICES)


# --- the rules ---------------------------------------------------------------------------------


def test_debits_get_no_proposal() -> None:
    invoices = [invoice("F1001", "411A", "Alpha", "10.00")]
    assert match_lines([credit("-10.00", remittance="F1001")], invoices) == []


def test_unrelated_credit_gets_no_proposal() -> None:
    invoices = [invoice("F1001", "411A", "Alpha", "10.00")]
    line = credit("77.00", remittance="remboursement", counterparty_name="Zeta Industries")
    assert match_lines([line], invoices) == []


def test_rf_creditor_reference_is_validated_and_read() -> None:
    invoices = [invoice("F230875", "411A", "Alpha", "100.00")]
    # RF + check digits + the invoice number: ISO 11649 computed for "F230875".
    from stdnum import iso11649

    reference = (
        "RF"
        + next(f"{check:02d}" for check in range(100) if iso11649.is_valid(f"RF{check:02d}F230875"))
        + "F230875"
    )
    (proposal,) = match_lines([credit("100.00", structured_reference=reference)], invoices)
    assert proposal.allocations == (Allocation("F230875", D("100.00")),)
    assert proposal.confidence == D("1.00")
    assert any(
        reason.startswith("invoice number F230875 found in RF reference RF")
        for reason in proposal.reasons
    )


def test_invalid_rf_reference_is_not_read_as_one() -> None:
    invoices = [invoice("F230875", "411A", "Alpha", "100.00")]
    (proposal,) = match_lines([credit("100.00", remittance="RF00F230875 F230875")], invoices)
    assert "invoice number F230875 found in remittance text" in proposal.reasons


def test_known_iban_without_number_matches_the_exact_invoice() -> None:
    invoices = [
        invoice("F1", "411A", "Alpha", "50.00", date(2023, 1, 1)),
        invoice("F2", "411A", "Alpha", "80.00", date(2023, 2, 1)),
    ]
    line = credit("80.00", counterparty_iban="FR76 3000 6000 0112 3456 7890 189")
    (proposal,) = match_lines([line], invoices, known_ibans={"FR7630006000011234567890189": "411A"})
    assert proposal.allocations == (Allocation("F2", D("80.00")),)
    assert proposal.state == "applied"
    assert "IBAN known from earlier matches" in proposal.reasons


def test_known_iban_partial_payment_waits_as_a_suggestion() -> None:
    invoices = [
        invoice("F1", "411A", "Alpha", "50.00", date(2023, 1, 1)),
        invoice("F2", "411A", "Alpha", "80.00", date(2023, 2, 1)),
    ]
    line = credit("60.00", counterparty_iban="FR7630006000011234567890189")
    (proposal,) = match_lines([line], invoices, known_ibans={"FR7630006000011234567890189": "411A"})
    assert proposal.allocations == (Allocation("F1", D("50.00")), Allocation("F2", D("10.00")))
    assert proposal.state == "suggested"


def test_fuzzy_payer_name_is_explained() -> None:
    invoices = [invoice("F1", "411M", "Martin SARL", "120.00")]
    (proposal,) = match_lines([credit("120.00", counterparty_name="SARL MARTIN")], invoices)
    assert "payer name 'SARL MARTIN' ~ 'Martin SARL' 100%" in proposal.reasons
    (near,) = match_lines([credit("120.00", counterparty_name="Ets Martinn")], invoices)
    assert near.debtor_account == "411M"
    assert near.state == "suggested"
    assert any("~ 'Martin SARL' 9" in reason for reason in near.reasons)


def test_fuzzy_name_is_not_used_when_a_number_matched() -> None:
    invoices = [
        invoice("F1001", "411A", "Alpha", "10.00"),
        invoice("F1002", "411M", "Martin", "10.00"),
    ]
    (proposal,) = match_lines(
        [credit("10.00", remittance="F1001", counterparty_name="Martin")], invoices
    )
    assert proposal.debtor_account == "411A"


def test_known_debtor_without_open_invoice_keeps_a_credit() -> None:
    invoices = [invoice("F1001", "411A", "Alpha", "10.00")]
    lines = [
        credit("10.00", key="a", remittance="F1001"),
        credit("25.00", key="b", counterparty_iban="BE71096123456769"),
    ]
    first, second = match_lines(lines, invoices, known_ibans={"BE71096123456769": "411A"})
    assert second.allocations == ()
    assert second.overpayment == D("25.00")
    assert second.debtor_account == "411A"
    assert second.state == "suggested"
    assert first.state == "applied"


def test_an_invoice_consumed_by_one_line_has_less_for_the_next() -> None:
    invoices = [invoice("F1001", "411A", "Alpha", "100.00")]
    lines = [
        credit("70.00", key="a", remittance="F1001"),
        credit("70.00", key="b", remittance="F1001"),
    ]
    first, second = match_lines(lines, invoices)
    assert first.allocations == (Allocation("F1001", D("70.00")),)
    assert second.allocations == (Allocation("F1001", D("30.00")),)
    assert second.overpayment == D("40.00")


def test_amount_alone_is_only_a_suggestion_and_only_when_unique() -> None:
    invoices = [
        invoice("F1", "411A", "Alpha", "12.34"),
        invoice("F2", "411B", "Beta", "56.78"),
        invoice("F3", "411C", "Gamma", "56.78"),
    ]
    (proposal,) = match_lines([credit("12.34")], invoices)
    assert (proposal.state, proposal.confidence) == ("suggested", D("0.40"))
    assert match_lines([credit("56.78")], invoices) == []


def test_currency_must_agree() -> None:
    invoices = [invoice("F1001", "411A", "Alpha", "10.00", currency="USD")]
    assert match_lines([credit("10.00", remittance="F1001")], invoices) == []


def test_threshold_decides_the_state() -> None:
    invoices = [invoice("F1001", "411A", "Alpha", "100.00")]
    line = credit("100.00", remittance="F1001")
    assert match_lines([line], invoices, threshold=D("0.99"))[0].state == "suggested"
    assert match_lines([line], invoices, threshold=D("0.50"))[0].state == "applied"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("F230866 F230765 F238765", {"F230866", "F230765", "F238765"}),
        ("F238765+F229876", {"F238765", "F229876"}),
        ("Akretion factures F239765/F237654", {"F239765", "F237654"}),
        ("facture FA-2017-0010", {"FA20170010"}),
        ("facture FA 2017 0010", {"FA20170010"}),
        ("RCN F230987, F231234", {"F230987", "F231234"}),
    ],
)
def test_numbers_are_found_in_free_text(text: str, expected: set[str]) -> None:
    assert expected <= set(number_candidates(text))


# --- invariants --------------------------------------------------------------------------------

amounts = st.decimals(min_value=D("0.01"), max_value=D("500.00"), places=2)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[LineRecord], list[OpenInvoice], dict[str, str]]:
    debtors = [("411A", "Alpha SARL"), ("411B", "Beta"), ("411C", "Gamma Services")]
    count = draw(st.integers(min_value=0, max_value=12))
    invoices = []
    for i in range(count):
        account, name = draw(st.sampled_from(debtors))
        due = date(2023, 1, 1) + timedelta(days=draw(st.integers(0, 365)))
        invoices.append(
            OpenInvoice(f"id{i}", f"F{1000 + i}", account, name, draw(amounts), "EUR", due)
        )
    numbers = [inv.number for inv in invoices] + ["F9999", "RF18539007547034"]
    lines = []
    for j in range(draw(st.integers(min_value=0, max_value=10))):
        quoted = draw(st.lists(st.sampled_from(numbers), max_size=3))
        separator = draw(st.sampled_from([" ", "+", "/", ", "]))
        lines.append(
            LineRecord(
                date(2024, 1, 13),
                draw(st.one_of(amounts, amounts.map(lambda a: -a))),
                "EUR",
                remittance=separator.join(quoted),
                counterparty_name=draw(
                    st.sampled_from(["", "ALPHA", "SARL BETA", "Gama Services", "Omega"])
                ),
                counterparty_iban=draw(
                    st.sampled_from(["", "FR7630006000011234567890189", "BE71096123456769"])
                ),
                fingerprint=f"line{j}",
            )
        )
    ibans = {"FR7630006000011234567890189": "411A"}
    return lines, invoices, ibans


@given(scenarios())
@settings(max_examples=300, deadline=None)
def test_allocations_never_exceed_a_line_or_an_invoice(
    scenario: tuple[list[LineRecord], list[OpenInvoice], dict[str, str]],
) -> None:
    lines, invoices, ibans = scenario
    proposals = match_lines(lines, invoices, known_ibans=ibans)
    amount_of = {line.fingerprint: line.amount for line in lines}
    open_of = {inv.id: inv.open_amount for inv in invoices}
    taken: dict[object, Decimal] = defaultdict(Decimal)
    assert len({p.line_key for p in proposals}) == len(proposals)
    for proposal in proposals:
        line_amount = amount_of[proposal.line_key]
        assert line_amount > 0, "debits are never proposed"
        assert all(allocation.amount > 0 for allocation in proposal.allocations)
        assert proposal.allocated_amount <= line_amount
        assert proposal.overpayment >= 0
        assert proposal.allocated_amount + proposal.overpayment <= line_amount
        assert D("0") <= proposal.confidence <= D("1")
        assert proposal.reasons
        for allocation in proposal.allocations:
            taken[allocation.invoice_id] += allocation.amount
    for invoice_id, total in taken.items():
        assert total <= open_of[invoice_id]


# --- scale -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_matching_scales_without_scanning_lines_times_invoices() -> None:
    """20,000 lines against 200,000 invoices; the full 100k x 1M run is the benchmark's."""
    invoices = [
        OpenInvoice(
            i,
            f"F{i:07d}",
            f"411{i // 10:06d}",
            f"Client {i // 10:06d} SARL",
            D("100.00") + i % 97,
            "EUR",
            date(2023, 1, 1) + timedelta(days=i % 300),
        )
        for i in range(200_000)
    ]
    lines = []
    for j in range(20_000):
        i = (j * 7919) % 200_000
        if j % 4 == 0:
            fields = {"remittance": f"facture F{i:07d}"}
        elif j % 4 == 1:
            fields = {"counterparty_name": f"SARL CLIENT {i // 10:06d}"}
        elif j % 4 == 2:
            fields = {"remittance": "virement", "counterparty_name": "Quelqu'un d'autre"}
        else:
            fields = {"remittance": f"F{i:07d}+F{(i + 1) % 200_000:07d}"}
        lines.append(
            LineRecord(date(2024, 1, 13), D("100.00") + i % 97, "EUR", fingerprint=str(j), **fields)  # type: ignore[arg-type]
        )
    started = time.perf_counter()
    index = InvoiceIndex(invoices)
    proposals = match_lines(lines, index)
    elapsed = time.perf_counter() - started
    assert len(proposals) >= 15_000
    assert elapsed < 30, f"matching took {elapsed:.1f}s"  # an O(lines x invoices) scan takes hours
