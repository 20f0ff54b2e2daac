"""``relance interest``, ``relance rates``, ``relance prescription`` and ``relance terms check``.

Run in-process through ``relance.cli.main`` against the database under test, plus one run of
the installed console script in a fresh folder, as a newcomer would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from relance.cli import main
from tests.environment import TEST_SECRET_KEY

pytestmark = pytest.mark.django_db

TC1 = ["interest", "--regime", "fr-b2b", "--principal", "10000", "--from", "2025-03-31",
       "--to", "2025-04-30"]


def run_json(capsys, *argv: str):
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def run_error(capsys, *argv: str) -> str:
    assert main(list(argv)) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("relance: error: ")
    return captured.err


# --- relance interest -----------------------------------------------------------------------


def test_interest_tc1_gives_108_08_and_the_40_euro_indemnity(capsys):
    data = run_json(capsys, *TC1)
    assert (data["regime"], data["currency"], data["principal"]) == ("fr-b2b", "EUR", "10000.00")
    assert (data["interest"], data["indemnity"], data["penalties_total"]) == ("108.08", "40.00", "148.08")
    assert (data["outstanding_principal"], data["amount_due"]) == ("10000.00", "10148.08")
    assert [(p["start"], p["end"], p["days"], p["rate"], p["base"]) for p in data["periods"]] == [
        ("2025-04-01", "2025-04-30", 30, "13.15", "10000.00"),
    ]
    assert data["periods"][0]["interest"] == "108.082192"
    assert (data["payments"], data["warnings"]) == ([], [])


def test_interest_tc11_imputes_the_partial_payment_on_interest_first(capsys):
    data = run_json(capsys, "interest", "--regime", "fr-b2b", "--principal", "8000.00",
                    "--from", "2025-01-31", "--to", "2025-07-15", "--payment", "2025-03-02:3000.00")
    assert data["payments"] == [
        {"date": "2025-03-02", "amount": "3000.00", "to_interest": "86.47",
         "to_principal": "2913.53", "unapplied": "0.00"},
    ]
    assert (data["outstanding_principal"], data["interest"]) == ("5086.47", "331.77")
    assert data["amount_due"] == "5371.77"
    assert [(p["days"], p["rate"]) for p in data["periods"]] == [(30, "13.15"), (120, "13.15"), (15, "12.15")]


def test_interest_tc13_uk_b2b_keeps_the_reference_rate_and_adds_the_fixed_sum_in_pounds(capsys):
    data = run_json(capsys, "interest", "--regime", "uk-b2b", "--principal", "5000",
                    "--from", "2025-02-28", "--to", "2025-09-30")
    assert data["currency"] == "GBP"
    assert [(p["days"], p["rate"]) for p in data["periods"]] == [(214, "12.75")]
    assert (data["interest"], data["indemnity"], data["penalties_total"]) == ("373.77", "70.00", "443.77")


def test_interest_tc8_fr_civil_runs_from_the_mise_en_demeure_without_indemnity(capsys):
    data = run_json(capsys, "interest", "--regime", "fr-civil", "--principal", "2500",
                    "--from", "2025-02-10", "--to", "2025-08-20", "--creditor-kind", "professional")
    assert [(p["start"], p["end"], p["days"], p["rate"]) for p in data["periods"]] == [
        ("2025-02-11", "2025-06-30", 140, "3.71"),
        ("2025-07-01", "2025-08-20", 51, "2.76"),
    ]
    assert (data["interest"], data["indemnity"]) == ("45.22", "0.00")


def test_interest_options_reach_the_engine(capsys):
    # TC6: a contractual rate of 8.28 % (3 × taux légal 2025 H2) → 20.87.
    data = run_json(capsys, "interest", "--regime", "fr-b2b", "--principal", "1000",
                    "--from", "2025-07-31", "--to", "2025-10-31", "--contract-rate", "8,28")
    assert (data["interest"], data["warnings"]) == ("20.87", [])
    # TC3 on the actual day count → 440.26; TC9 for an individual creditor → 203.07.
    data = run_json(capsys, "interest", "--regime", "fr-b2b", "--principal", "12345.67",
                    "--from", "2023-11-30", "--to", "2024-02-29", "--day-count", "actual")
    assert data["interest"] == "440.26"
    data = run_json(capsys, "interest", "--regime", "fr-civil", "--principal", "3000",
                    "--from", "2024-03-01", "--to", "2024-12-31", "--creditor-kind", "individual")
    assert data["interest"] == "203.07"
    # TC10: judgment signified the day it was pronounced → 510.90; TC12: capitalised → 5347.75.
    data = run_json(capsys, "interest", "--regime", "fr-judgment", "--principal", "10000",
                    "--from", "2025-01-15", "--to", "2025-09-30", "--signified", "2025-01-15")
    assert data["interest"] == "510.90"
    data = run_json(capsys, "interest", "--regime", "fr-civil", "--principal", "50000",
                    "--from", "2023-06-30", "--to", "2025-12-31", "--capitalise-from", "2023-06-30")
    assert data["interest"] == "5347.75"
    data = run_json(capsys, "interest", "--regime", "eu-b2b", "--principal", "10000",
                    "--from", "2025-03-31", "--to", "2025-04-30", "--margin", "7", "--currency", "eur")
    assert ([p["rate"] for p in data["periods"]], data["currency"]) == (["10.15"], "EUR")


def test_interest_issued_before_2013_claims_no_indemnity(capsys):
    # Issued 15/11/2012, due 15/12/2012, paid 14/01/2013: 16 days at 11.00 % and 14 at 10.75 %
    # on 1000 = 4.821918 + 4.123288 = 8.95, and no 40 EUR (décret n° 2012-1115).
    data = run_json(capsys, "interest", "--regime", "fr-b2b", "--principal", "1000",
                    "--from", "2012-12-15", "--to", "2013-01-14", "--issued", "2012-11-15")
    assert (data["interest"], data["indemnity"], data["penalties_total"]) == ("8.95", "0.00", "8.95")
    assert "15/11/2012" in data["warnings"][0]
    data = run_json(capsys, "interest", "--regime", "fr-b2b", "--principal", "1000",
                    "--from", "2013-02-19", "--to", "2013-03-21", "--issued", "2013-01-21")
    assert data["indemnity"] == "40.00"


def test_interest_without_json_explains_each_line_in_french(capsys):
    assert main(TC1) == 0
    text = capsys.readouterr().out
    assert "L441-10" in text
    assert "01/04/2025 → 30/04/2025" in text
    assert "13,15 %" in text
    assert "Montant dû au 30/04/2025 : 10 148,08 EUR" in text


def test_interest_refuses_a_period_with_no_known_rate_and_names_the_command(capsys):
    err = run_error(capsys, "interest", "--regime", "fr-b2b", "--principal", "10000",
                    "--from", "2026-06-30", "--to", "2026-07-31")
    assert "ecb_mro" in err
    assert "2026 H2" in err
    assert "relance rates add --table ecb_mro --from 2026-07-01" in err


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (["--principal", "abc"], "--principal: 'abc' is not an amount"),
        (["--principal", "-5"], "--principal: the amount must be positive"),
        (["--payment", "2025-01-01"], "--payment '2025-01-01' must be written DATE:AMOUNT"),
        (["--payment", "2025-04-01:"], "must be written DATE:AMOUNT"),
        (["--payment", "01/04/2025:100"], "is not a date"),
        (["--payment", "2025-04-01:lots"], "--payment: 'lots' is not an amount"),
        (["--regime", "fr-b2c"], "--regime: 'fr-b2c' is not one of fr-b2b, fr-public, fr-civil"),
        (["--from", "31/03/2025"], "--from: '31/03/2025' is not a date (YYYY-MM-DD)"),
        (["--to", "2025-03-01"], "before the start date"),
        (["--day-count", "360"], "--day-count: '360' is not one of 365, actual"),
        (["--creditor-kind", "company"], "--creditor-kind: 'company' is not one of"),
        (["--currency", "EURO"], "--currency: 'EURO' is not an ISO 4217 code"),
        (["--contract-rate", "ten"], "--contract-rate: 'ten' is not a rate in percent"),
        (["--margin", "2"], "applies only to eu-b2b"),
    ],
)
def test_interest_refuses_bad_input_with_a_clear_message(capsys, change, message):
    argv = list(TC1)
    option = change[0]
    if option in argv and option != "--payment":
        argv[argv.index(option) + 1] = change[1]
    else:
        argv += change
    assert message in run_error(capsys, *argv)


def test_interest_fr_public_fixes_the_rate_on_the_semester_interest_started(capsys):
    # legal-fr.md §1.5: 10000 × (3.15 + 8) % × 183 / 365 = 559.03, plus 40 EUR (D2192-35).
    data = run_json(capsys, "interest", "--regime", "fr-public", "--principal", "10000",
                    "--from", "2025-03-31", "--to", "2025-09-30")
    assert [(p["days"], p["rate"]) for p in data["periods"]] == [(183, "11.15")]
    assert (data["interest"], data["indemnity"], data["penalties_total"]) == ("559.03", "40.00", "599.03")
    assert "R2192-31" in data["periods"][0]["basis"]


def test_interest_fr_public_counts_the_payment_period_from_the_request(capsys):
    # A public hospital received the request on 15/09/2025: 50 days → 04/11/2025; 77 days at
    # 2.15 + 8 = 10.15 % on 1234.56 to 20/01/2026 = 9648.70368 / 365 = 26.43, plus 40.
    data = run_json(capsys, "interest", "--regime", "fr-public", "--principal", "1234.56",
                    "--received", "2025-09-15", "--buyer", "health", "--to", "2026-01-20")
    assert (data["start"], data["interest"], data["indemnity"]) == ("2025-11-04", "26.43", "40.00")
    data = run_json(capsys, "interest", "--regime", "fr-public", "--principal", "1000",
                    "--received", "2025-03-01", "--to", "2025-04-30")
    assert data["start"] == "2025-03-31"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--regime", "fr-public", "--principal", "1", "--to", "2025-04-30"], "--from is required"),
        (["--regime", "fr-b2b", "--principal", "1", "--received", "2025-03-01",
          "--to", "2025-04-30"], "--received applies only to fr-public"),
        (["--regime", "fr-public", "--principal", "1", "--received", "2025-03-01",
          "--from", "2025-03-31", "--to", "2025-04-30"], "not both"),
        (["--regime", "fr-public", "--principal", "1", "--received", "2025-03-01",
          "--buyer", "mairie", "--to", "2025-04-30"], "Unknown kind of public buyer 'mairie'"),
        (["--regime", "fr-b2b", "--principal", "1", "--buyer", "health",
          "--from", "2025-03-01", "--to", "2025-04-30"], "--buyer goes with --received"),
    ],
)
def test_interest_fr_public_refuses_inconsistent_dates(capsys, argv, message):
    assert message in run_error(capsys, "interest", *argv)


AUTO = ["interest", "--auto", "--principal", "10000", "--from", "2025-03-31", "--to", "2025-04-30"]


@pytest.mark.parametrize(
    ("facts", "regime", "interest", "indemnity"),
    [
        # TC1: a French business, in euros → fr-b2b, 108.08 + 40.
        (["--debtor-kind", "business"], "fr-b2b", "108.08", "40.00"),
        # A commune: 10000 × 11.15 % × 30 / 365 = 91.643836 → 91.64, + 40 (D2192-35).
        (["--debtor-kind", "public"], "fr-public", "91.64", "40.00"),
        # A German business: ECB 3.15 + 8 = 11.15 %, the same 91.64, + 40 (directive, art. 6).
        (["--debtor-kind", "business", "--debtor-country", "DE"], "eu-b2b", "91.64", "40.00"),
        # A consumer, no mise en demeure yet: nothing has started.
        (["--debtor-kind", "consumer"], "fr-civil", "0.00", "0.00"),
    ],
)
def test_interest_auto_chooses_the_regime_and_says_why(capsys, facts, regime, interest, indemnity):
    data = run_json(capsys, *AUTO, *facts)
    assert data["choice"]["regime"] == regime
    assert data["choice"]["reason"]
    assert (data["computation"]["regime"], data["computation"]["interest"]) == (regime, interest)
    assert data["computation"]["indemnity"] == indemnity


def test_interest_auto_reproduces_tc8_tc9_and_tc13(capsys):
    tc8 = run_json(capsys, "interest", "--auto", "--debtor-kind", "consumer", "--principal", "2500",
                   "--from", "2025-01-31", "--notice", "2025-02-10", "--to", "2025-08-20")
    assert (tc8["computation"]["interest"], tc8["computation"]["indemnity"]) == ("45.22", "0.00")
    tc9 = run_json(capsys, "interest", "--auto", "--debtor-kind", "business", "--creditor-kind",
                   "individual", "--principal", "3000", "--from", "2024-02-01",
                   "--notice", "2024-03-01", "--to", "2024-12-31")
    assert (tc9["choice"]["regime"], tc9["computation"]["interest"]) == ("fr-civil", "203.07")
    tc13 = run_json(capsys, "interest", "--auto", "--debtor-kind", "business", "--debtor-country",
                    "GB", "--currency", "GBP", "--principal", "5000", "--from", "2025-02-28",
                    "--to", "2025-09-30")
    assert tc13["choice"]["regime"] == "uk-b2b"
    assert (tc13["computation"]["interest"], tc13["computation"]["penalties_total"]) == (
        "373.77", "443.77")


def test_interest_auto_prints_the_choice_then_the_computation(capsys):
    assert main([*AUTO, "--debtor-kind", "public"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Régime choisi : fr-public — Débiteur public")
    assert "Montant dû au 30/04/2025 : 10 131,64 EUR" in text


def test_interest_auto_claims_nothing_for_a_pair_it_cannot_compute(capsys):
    data = run_json(capsys, *AUTO, "--debtor-kind", "business", "--currency", "GBP")
    assert data == {"choice": data["choice"], "computation": None}
    assert data["choice"]["regime"] is None
    assert "Facture en GBP à un débiteur établi en FR" in data["choice"]["reason"]
    assert main([*AUTO, "--debtor-kind", "business", "--debtor-country", "US"]) == 0
    assert capsys.readouterr().out.startswith("Aucun régime : Débiteur établi en US")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--regime", "fr-b2b", "--debtor-kind", "business"], "not both"),
        ([], "--auto needs --debtor-kind"),
        (["--debtor-kind", "company"], "debtor kind must be one of"),
        (["--debtor-kind", "business", "--margin", "7"], "--margin needs an explicit --regime"),
    ],
)
def test_interest_auto_refuses_incomplete_facts(capsys, extra, message):
    assert message in run_error(capsys, *AUTO, *extra)


def test_interest_needs_a_regime_or_auto(capsys):
    assert "--regime is required" in run_error(capsys, "interest", "--principal", "1",
                                               "--from", "2025-03-31", "--to", "2025-04-30")


def test_interest_says_to_run_init_when_the_database_is_not_ready(capsys, monkeypatch):
    from django.db import OperationalError

    def not_ready():
        raise OperationalError("no such table: legal_rateoverride")

    monkeypatch.setattr("relance.apps.legal.selectors.rate_tables", not_ready)
    assert "run `relance init` first" in run_error(capsys, *TC1)


# --- relance rates --------------------------------------------------------------------------


def test_rates_list_shows_the_ecb_cut_of_june_2025_with_its_source(capsys):
    rows = run_json(capsys, "rates", "list", "--table", "ecb_mro")
    june = next(row for row in rows if row["from"] == "2025-06-11")
    assert (june["table"], june["rate"], june["origin"]) == ("ecb_mro", "2.15", "shipped")
    assert june["source"]
    assert {row["table"] for row in rows} == {"ecb_mro"}


def test_rates_list_as_text_says_how_far_each_table_is_known(capsys):
    assert main(["rates", "list"]) == 0
    text = capsys.readouterr().out
    assert "ecb_mro: known up to 2026-02-05" in text
    assert "fr_legal_individual: known up to 2026-06-30" in text


def test_rates_add_then_interest_uses_the_recorded_rate(capsys):
    data = run_json(capsys, "rates", "add", "--table", "ecb_mro", "--from", "2026-07-01",
                    "--rate", "2.15", "--source", "ECB press release")
    assert data == {"table": "ecb_mro", "from": "2026-07-01", "rate": "2.15", "source": "ECB press release"}
    data = run_json(capsys, "interest", "--regime", "fr-b2b", "--principal", "10000",
                    "--from", "2026-06-30", "--to", "2026-07-31")
    assert ([(p["days"], p["rate"]) for p in data["periods"]], data["interest"]) == ([(31, "12.15")], "103.19")
    rows = run_json(capsys, "rates", "list", "--table", "ecb_mro")
    assert rows[-1]["origin"] == "database"
    assert main(["rates", "add", "--table", "ecb_mro", "--from", "2026-07-01", "--rate", "2,40",
                 "--source", "ECB, corrected"]) == 0
    assert "Recorded ecb_mro from 2026-07-01: 2.40 %" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--table", "euribor", "--from", "2026-07-01", "--rate", "2", "--source", "x"], "--table: 'euribor' is not one of"),
        (["--table", "ecb_mro", "--from", "2026-07-01", "--rate", "two", "--source", "x"], "--rate: 'two' is not a rate in percent"),
        (["--table", "fr_legal_professional", "--from", "2026-08-01", "--rate", "2", "--source", "JO"], "1 January or 1 July"),
        (["--table", "ecb_mro", "--from", "2026-07-01", "--rate", "2", "--source", " "], "--source"),
    ],
)
def test_rates_add_refuses_a_row_that_cannot_be_right(capsys, argv, message):
    assert message in run_error(capsys, "rates", "add", *argv)


def test_rates_list_refuses_an_unknown_table(capsys):
    assert "'euribor' is not one of" in run_error(capsys, "rates", "list", "--table", "euribor")


# --- relance prescription, relance terms check ----------------------------------------------


def test_prescription_b2c_restarts_from_an_acknowledgement(capsys):
    data = run_json(capsys, "prescription", "--kind", "b2c", "--from", "2023-01-10",
                    "--event", "2024-06-01:acknowledgement")
    assert (data["expires"], data["period_years"]) == ("2026-06-01", 2)
    assert [event["kind"] for event in data["restarted_by"]] == ["acknowledgement"]
    assert main(["prescription", "--kind", "b2c", "--from", "2023-01-10",
                 "--event", "2024-06-01:acknowledgement"]) == 0
    text = capsys.readouterr().out
    assert "L218-2" in text
    assert "prescrite après le 01/06/2026" in text


def test_prescription_b2b_with_a_claim_adds_a_note(capsys):
    data = run_json(capsys, "prescription", "--kind", "b2b", "--from", "2020-03-15",
                    "--event", "2022-01-10:claim")
    assert data["expires"] == "2027-01-10"
    assert main(["prescription", "--kind", "b2b", "--from", "2020-03-15", "--event", "2022-01-10:claim"]) == 0
    assert "Note : Demande en justice" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--kind", "b2b", "--from", "2020-03-15", "--event", "2021-01-01:mise_en_demeure"], "does not interrupt"),
        (["--kind", "b2b", "--from", "2020-03-15", "--event", "2021-01-01"], "DATE:acknowledgement, DATE:claim, DATE:enforcement"),
        (["--kind", "consumer", "--from", "2020-03-15"], "--kind: 'consumer' is not one of b2b, b2c, civil"),
    ],
)
def test_prescription_refuses_what_does_not_interrupt_it(capsys, argv, message):
    assert message in run_error(capsys, "prescription", *argv)


def test_terms_check_warns_beyond_sixty_days(capsys):
    data = run_json(capsys, "terms", "check", "--issue", "2025-01-01", "--due", "2025-05-30")
    assert data["ok"] is False
    assert "L441-10 I" in data["warnings"][0]
    assert main(["terms", "check", "--issue", "2025-01-01", "--due", "2025-05-30"]) == 0
    assert capsys.readouterr().out.startswith("Attention : ")
    assert main(["terms", "check", "--issue", "2025-01-01", "--due", "2025-02-10"]) == 0
    assert "dans les délais légaux" in capsys.readouterr().out


# --- the installed console script, as a newcomer runs it ------------------------------------


def test_a_newcomer_records_a_rate_and_computes_interest_with_the_installed_script(tmp_path):
    script = Path(sys.executable).parent / "relance"
    assert script.is_file(), f"{script} not installed (pip install -e .)"
    env = {
        **os.environ,
        "RELANCE_HOME": str(tmp_path),
        "RELANCE_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "RELANCE_SECRET_KEY": TEST_SECRET_KEY,
    }

    def relance(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(script), *argv], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=120, check=False)

    init = relance("init")
    assert init.returncode == 0, init.stderr
    period = ["--regime", "fr-b2b", "--principal", "10000", "--from", "2026-06-30", "--to", "2026-07-31"]
    refused = relance("interest", *period, "--json")
    assert refused.returncode == 1
    assert "relance rates add --table ecb_mro --from 2026-07-01" in refused.stderr
    added = relance("rates", "add", "--table", "ecb_mro", "--from", "2026-07-01", "--rate", "2.15",
                    "--source", "ECB press release", "--json")
    assert added.returncode == 0, added.stderr
    done = relance("interest", *period, "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["interest"], data["indemnity"], data["amount_due"]) == ("103.19", "40.00", "10143.19")


def test_prescription_public_with_a_written_claim_and_a_mediation(capsys):
    data = run_json(capsys, "prescription", "--kind", "public", "--from", "2021-05-10",
                    "--event", "2023-03-01:written_claim")
    assert data["expires"] == "2027-12-31"
    data = run_json(capsys, "prescription", "--kind", "b2b", "--from", "2020-03-15",
                    "--event", "2024-09-15:suspension:2024-10-15")
    assert data["expires"] == "2025-04-15"
    assert main(["prescription", "--kind", "b2b", "--from", "2020-03-15",
                 "--event", "2024-09-15:suspension"]) == 0
    assert "suspendue tant que la médiation dure" in capsys.readouterr().out
    assert main(["prescription", "--kind", "b2b", "--from", "2020-03-15",
                 "--event", "2024-09-15:suspension:2024-10-15"]) == 0
    assert "Suspendue le 15/09/2024" in capsys.readouterr().out


def test_interest_with_a_contractual_multiple_and_its_terms(capsys):
    data = run_json(capsys, "interest", "--regime", "fr-b2b", "--principal", "10000.00", "--from", "2025-03-31",
                    "--to", "2025-08-31", "--contract-multiple", "3.5", "--terms-ref", "CGV 2025, art. 9")
    assert data["interest"] == "487.82"
    assert "CGV 2025, art. 9" in data["periods"][0]["basis"]
    assert "below the floor of 3" in run_error(capsys, "interest", "--regime", "fr-b2b", "--principal", "100",
                                               "--from", "2025-03-31", "--to", "2025-08-31",
                                               "--contract-multiple", "2")


def test_interest_adds_justified_costs_above_the_indemnity_and_never_for_a_consumer(capsys):
    # TC1 (10,000.00 from 31/03/2025 to 30/04/2025: 108.08 and 40.00) with 350.00 of costs on
    # proof: 350.00 − 40.00 = 310.00 more (C. com. L441-10 II), 10,458.08 in all.
    data = run_json(capsys, "interest", "--regime", "fr-b2b", "--principal", "10000", "--from", "2025-03-31",
                    "--to", "2025-04-30", "--justified-costs", "350")
    assert data["justified_costs"] == {"costs": "350.00", "indemnities": "40.00", "complement": "310.00",
                                       "basis": "C. com. L441-10 II"}
    assert (data["amount_due"], data["amount_due_with_costs"]) == ("10148.08", "10458.08")
    assert main(["interest", "--regime", "fr-b2b", "--principal", "10000", "--from", "2025-03-31",
                 "--to", "2025-04-30", "--justified-costs", "350"]) == 0
    assert "Indemnisation complémentaire sur justification" in capsys.readouterr().out
    message = run_error(capsys, "interest", "--auto", "--debtor-kind", "consumer", "--principal", "1000",
                        "--from", "2025-03-31", "--to", "2025-04-30", "--notice", "2025-03-31",
                        "--justified-costs", "350")
    assert "L111-8" in message
