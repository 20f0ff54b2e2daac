"""Rate tables: the shipped figures of legal-fr.md, unknown periods, overrides."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest

from relance.domain.law import (
    TABLE_NAMES,
    InvalidRateError,
    RateOverride,
    UnknownRateError,
    UnknownTableError,
    compute_interest,
    load_tables,
    rate_on,
    rate_override,
    row_on,
    table_rows,
    with_overrides,
)

D = Decimal
TABLES = load_tables()

# legal-fr.md §1.3: MRO on 1 January / 1 July for every semester 2009 H1 → 2026 H1.
MRO_BY_SEMESTER = {
    "2009": ("2.50", "1.00"), "2010": ("1.00", "1.00"), "2011": ("1.00", "1.25"),
    "2012": ("1.00", "1.00"), "2013": ("0.75", "0.50"), "2014": ("0.25", "0.15"),
    "2015": ("0.05", "0.05"), "2016": ("0.05", "0.00"), "2017": ("0.00", "0.00"),
    "2018": ("0.00", "0.00"), "2019": ("0.00", "0.00"), "2020": ("0.00", "0.00"),
    "2021": ("0.00", "0.00"), "2022": ("0.00", "0.00"), "2023": ("2.50", "4.00"),
    "2024": ("4.50", "4.25"), "2025": ("3.15", "2.15"), "2026": ("2.15", None),
}  # fmt: skip
# legal-fr.md §1.3 floor column: 3 × TIL "autres cas", 2015 H1 → 2026 H1.
FLOORS = {
    "2015": ("2.79", "2.97"), "2016": ("3.03", "2.79"), "2017": ("2.70", "2.70"),
    "2018": ("2.67", "2.64"), "2019": ("2.58", "2.61"), "2020": ("2.61", "2.52"),
    "2021": ("2.37", "2.28"), "2022": ("2.28", "2.31"), "2023": ("6.18", "12.66"),
    "2024": ("15.21", "14.76"), "2025": ("11.13", "8.28"), "2026": ("7.86", None),
}  # fmt: skip
# legal-fr.md §3: (particuliers, autres cas) per semester.
LEGAL = {
    "2015-01-01": ("4.06", "0.93"), "2015-07-01": ("4.29", "0.99"),
    "2016-01-01": ("4.54", "1.01"), "2016-07-01": ("4.35", "0.93"),
    "2017-01-01": ("4.16", "0.90"), "2017-07-01": ("3.94", "0.90"),
    "2018-01-01": ("3.73", "0.89"), "2018-07-01": ("3.60", "0.88"),
    "2019-01-01": ("3.40", "0.86"), "2019-07-01": ("3.26", "0.87"),
    "2020-01-01": ("3.15", "0.87"), "2020-07-01": ("3.11", "0.84"),
    "2021-01-01": ("3.14", "0.79"), "2021-07-01": ("3.12", "0.76"),
    "2022-01-01": ("3.13", "0.76"), "2022-07-01": ("3.15", "0.77"),
    "2023-01-01": ("4.47", "2.06"), "2023-07-01": ("6.82", "4.22"),
    "2024-01-01": ("8.01", "5.07"), "2024-07-01": ("8.16", "4.92"),
    "2025-01-01": ("7.21", "3.71"), "2025-07-01": ("6.65", "2.76"),
    "2026-01-01": ("6.67", "2.62"),
}  # fmt: skip
ANNUAL = {
    2008: "3.99",
    2009: "3.79",
    2010: "0.65",
    2011: "0.38",
    2012: "0.71",
    2013: "0.04",
    2014: "0.04",
}
# legal-fr.md §9.2: UK reference rate (BoE on 31 Dec / 30 Jun before the half-year).
UK_REFERENCE = {
    date(2009, 6, 30): "0.50", date(2016, 12, 31): "0.25", date(2017, 6, 30): "0.25",
    date(2017, 12, 31): "0.50", date(2018, 12, 31): "0.75", date(2019, 12, 31): "0.75",
    date(2020, 6, 30): "0.10", date(2021, 6, 30): "0.10", date(2021, 12, 31): "0.25",
    date(2022, 6, 30): "1.25", date(2022, 12, 31): "3.50", date(2023, 6, 30): "5.00",
    date(2023, 12, 31): "5.25", date(2024, 6, 30): "5.25", date(2024, 12, 31): "4.75",
    date(2025, 6, 30): "4.25", date(2025, 12, 31): "3.75",
}  # fmt: skip


@pytest.mark.parametrize("year", sorted(MRO_BY_SEMESTER))
def test_ecb_rate_on_1_january_and_1_july_matches_legal_fr(year):
    h1, h2 = MRO_BY_SEMESTER[year]
    assert rate_on(TABLES["ecb_mro"], date(int(year), 1, 1)) == D(h1)
    if h2 is not None:
        assert rate_on(TABLES["ecb_mro"], date(int(year), 7, 1)) == D(h2)


@pytest.mark.parametrize("year", sorted(FLOORS))
def test_three_times_the_legal_rate_gives_the_published_floor(year):
    for month, floor in zip((1, 7), FLOORS[year], strict=True):
        if floor is not None:
            til = rate_on(TABLES["fr_legal_professional"], date(int(year), month, 1))
            assert 3 * til == D(floor)


@pytest.mark.parametrize("semester", sorted(LEGAL))
def test_legal_rates_per_semester_match_legal_fr(semester):
    day = date.fromisoformat(semester)
    individual, professional = LEGAL[semester]
    assert rate_on(TABLES["fr_legal_individual"], day) == D(individual)
    assert rate_on(TABLES["fr_legal_professional"], day) == D(professional)


@pytest.mark.parametrize("year", sorted(ANNUAL))
def test_annual_legal_rates_before_2015_apply_to_both_categories(year):
    for name in ("fr_legal_individual", "fr_legal_professional"):
        assert rate_on(TABLES[name], date(year, 3, 1)) == D(ANNUAL[year])
        assert rate_on(TABLES[name], date(year, 12, 31)) == D(ANNUAL[year])


@pytest.mark.parametrize("reference", sorted(UK_REFERENCE))
def test_bank_rate_on_the_uk_reference_dates_matches_legal_fr(reference):
    assert rate_on(TABLES["boe_base"], reference) == D(UK_REFERENCE[reference])


def test_ecb_table_uses_effective_not_announcement_dates():
    assert rate_on(TABLES["ecb_mro"], date(2025, 4, 22)) == D("2.65")
    assert rate_on(TABLES["ecb_mro"], date(2025, 4, 23)) == D("2.40")
    assert rate_on(TABLES["ecb_mro"], date(2024, 9, 18)) == D("3.65")


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_every_row_names_its_source_and_rows_are_in_date_order(name):
    rows = table_rows(TABLES[name])
    assert all(row.source.strip() and row.origin == "shipped" for row in rows)
    assert [row.from_date for row in rows] == sorted({row.from_date for row in rows})
    assert all(isinstance(row.rate, Decimal) for row in rows)


@pytest.mark.parametrize("name", ["fr_legal_individual", "fr_legal_professional"])
def test_legal_rate_rows_are_contiguous_from_2008_to_2026_h1(name):
    rows = table_rows(TABLES[name])
    assert rows[0].from_date == date(2008, 1, 1)
    for previous, row in itertools.pairwise(rows):
        assert previous.to_date + timedelta(days=1) == row.from_date
    assert TABLES[name].known_until == date(2026, 6, 30)


def test_row_as_json_gives_strings():
    row = row_on(TABLES["fr_legal_professional"], date(2025, 8, 1))
    assert row.as_json() == {
        "from": "2025-07-01",
        "to": "2025-12-31",
        "rate": "2.76",
        "source": row.source,
        "origin": "shipped",
    }
    assert row_on(TABLES["ecb_mro"], date(2025, 8, 1)).as_json()["to"] is None


def test_nothing_is_known_for_2026_h2():
    with pytest.raises(UnknownRateError) as error:
        rate_on(TABLES["fr_legal_professional"], date(2026, 7, 1))
    assert error.value.period == "2026 H2"
    assert error.value.command == (
        "relance rates add --table fr_legal_professional --from 2026-07-01 --rate R --source TEXT"
    )
    with pytest.raises(UnknownRateError, match="known from 2007-06-13 to 2026-02-05"):
        rate_on(TABLES["ecb_mro"], date(2026, 3, 1))


def test_before_the_first_row_is_unknown_too():
    with pytest.raises(UnknownRateError, match="2007 H1"):
        rate_on(TABLES["fr_legal_individual"], date(2007, 5, 1))
    with pytest.raises(UnknownRateError):
        rate_on(TABLES["boe_base"], date(2007, 1, 1))


def test_fr_b2b_in_2026_h2_names_the_table_the_period_and_the_command():
    with pytest.raises(UnknownRateError) as error:
        compute_interest(
            regime="fr-b2b", principal=D("1000.00"), start=date(2026, 6, 15), end=date(2026, 7, 10)
        )
    message = str(error.value)
    assert error.value.table == "ecb_mro"
    assert "ecb_mro" in message
    assert "2026 H2" in message
    assert "relance rates add --table ecb_mro --from 2026-07-01 --rate R --source TEXT" in message
    assert error.value.code == "unknown_rate"


def test_an_override_row_fills_the_unknown_semester():
    tables = load_tables(
        [
            rate_override(
                table="ecb_mro",
                from_date=date(2026, 7, 1),
                rate=D("2.40"),
                source="ECB, 1 Jul 2026",
            )
        ]
    )
    c = compute_interest(
        regime="fr-b2b",
        principal=D("1000.00"),
        start=date(2026, 6, 29),
        end=date(2026, 7, 2),
        tables=tables,
    )
    assert [(p.days, p.rate) for p in c.periods] == [(1, D("12.15")), (2, D("12.40"))]
    assert table_rows(tables["ecb_mro"])[-1].origin == "override"
    assert TABLES["ecb_mro"].known_until == date(2026, 2, 5)  # shipped tables untouched
    assert tables["ecb_mro"].known_until == date(2026, 7, 1)
    with pytest.raises(UnknownRateError):  # still nothing guessed after the override's date
        rate_on(tables["ecb_mro"], date(2026, 7, 2))


def test_an_override_with_the_same_date_replaces_the_shipped_row_and_later_rows_win():
    til = TABLES["fr_legal_professional"]
    corrected = with_overrides(
        til,
        [
            RateOverride("fr_legal_professional", date(2025, 7, 1), D("2.77"), "erratum"),
            RateOverride("fr_legal_professional", date(2025, 7, 1), D("2.78"), "second erratum"),
        ],
    )
    assert len(table_rows(corrected)) == len(table_rows(til))
    row = row_on(corrected, date(2025, 9, 1))
    assert (row.rate, row.source, row.origin) == (D("2.78"), "second erratum", "override")
    assert rate_on(til, date(2025, 9, 1)) == D("2.76")


def test_a_legal_rate_override_covers_only_its_half_year_never_more():
    tables = load_tables(
        [RateOverride("fr_legal_individual", date(2027, 1, 1), D("5.00"), "arrêté 2027")]
    )
    assert rate_on(tables["fr_legal_individual"], date(2027, 6, 30)) == D("5.00")
    with pytest.raises(UnknownRateError, match="2026 H2"):
        rate_on(tables["fr_legal_individual"], date(2026, 10, 1))
    with pytest.raises(UnknownRateError, match="2027 H2"):
        rate_on(tables["fr_legal_individual"], date(2027, 7, 1))


def test_load_tables_without_overrides_returns_the_shipped_tables():
    assert load_tables() is load_tables([])
    assert list(load_tables()) == list(TABLE_NAMES)


@pytest.mark.parametrize(
    ("kwargs", "error", "text"),
    [
        ({"table": "euribor"}, UnknownTableError, "Unknown rate table"),
        ({"rate": 2.4}, InvalidRateError, "decimal number"),
        ({"rate": D("NaN")}, InvalidRateError, "decimal number"),
        ({"rate": D("-0.10")}, InvalidRateError, "not plausible"),
        ({"source": "  "}, InvalidRateError, "--source"),
        (
            {"table": "fr_legal_individual", "from_date": date(2026, 8, 1)},
            InvalidRateError,
            "half-year",
        ),
    ],
)
def test_rate_override_refuses_what_rates_add_must_not_store(kwargs, error, text):
    arguments = {
        "table": "ecb_mro",
        "from_date": date(2026, 7, 1),
        "rate": D("2.40"),
        "source": "ECB",
    }
    arguments.update(kwargs)
    with pytest.raises(error, match=text):
        rate_override(**arguments)
    with pytest.raises(error, match=text):
        load_tables([RateOverride(**arguments)])


def test_rate_override_strips_the_source():
    assert (
        rate_override(
            table="boe_base", from_date=date(2026, 3, 19), rate=D("3.50"), source=" BoE "
        ).source
        == "BoE"
    )


def test_a_missing_uk_rate_names_the_reference_date_and_the_half_year_it_serves():
    from datetime import date as day
    from decimal import Decimal as D

    from relance.domain.law import UnknownRateError, penalties_on_invoice

    with pytest.raises(UnknownRateError) as info:
        penalties_on_invoice(regime="uk-b2b", principal=D("1000.00"), due_date=day(2026, 6, 30),
                             as_of=day(2026, 9, 1), currency="GBP")
    message = str(info.value)
    # Interest from 1 July 2026 takes the Bank Rate of 30 June 2026, not "2026 H1".
    assert "for 2026-06-30, reference date for 2026 H2 (needed on 2026-06-30" in message
    assert "--from 2026-06-30" in message
    assert "record the rate in force on 2026-06-30 (even if unchanged" in message
    assert info.value.from_date == day(2026, 6, 30)


def test_a_missing_semester_of_the_taux_legal_says_its_first_day():
    from datetime import date as day

    from relance.domain.law import UnknownRateError, load_tables, row_on

    with pytest.raises(UnknownRateError) as info:
        row_on(load_tables()["fr_legal_professional"], day(2030, 8, 20))
    assert "record the 2030 H2 rate, from 2030-07-01, the first day it applies" in str(info.value)


def test_a_step_rate_recorded_on_the_day_needed_covers_it():
    from datetime import date as day
    from decimal import Decimal as D

    from relance.domain.law import load_tables, rate_override, row_on

    tables = load_tables([rate_override(table="ecb_mro", from_date=day(2026, 7, 1), rate=D("2.15"),
                                        source="ECB, unchanged")])
    assert row_on(tables["ecb_mro"], day(2026, 7, 1)).rate == D("2.15")
