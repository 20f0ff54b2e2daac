"""A problem keeps what its English message is made of, for a page to say it in French."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from relance.domain.money import AmountError, parse_amount
from relance.domain.problems import N_, OneOf, Phrase, Problem


def test_a_problem_made_from_a_template_reads_as_before_in_english() -> None:
    made = Problem.of("bad_date", N_("%(value)r is not a date"), 3, "due_date", value="31/02")
    assert made == Problem("bad_date", "'31/02' is not a date", 3, "due_date")
    assert made.as_dict() == {
        "code": "bad_date",
        "message": "'31/02' is not a date",
        "line": 3,
        "column": "due_date",
    }


def test_an_error_becomes_a_problem_with_its_template() -> None:
    try:
        parse_amount("12,3,4")
    except AmountError as exc:
        problem = Problem.from_error("bad_amount", exc, 2, "total")
    assert problem.message == "'12,3,4' is not an amount"
    assert problem.template == "%(value)r is not an amount"
    assert dict(problem.params) == {"value": "12,3,4"}


def test_nested_phrases_and_names_read_in_english() -> None:
    what = Phrase.of(N_("entry at line %(line)s"), line=7)
    problem = Problem.of(
        "x", N_("%(what)s: no amount in %(names)s"), what=what, names=OneOf(("a", "b"))
    )
    assert problem.message == "entry at line 7: no amount in 'a' or 'b'"


def test_the_wording_survives_json() -> None:
    what = Phrase.of(N_("entry at line %(line)s"), line=7)
    problem = Problem.of(
        "x",
        N_("%(what)s on %(day)s: %(amount)s in %(names)s"),
        4,
        what=what,
        day=date(2026, 1, 5),
        amount=Decimal("12.50"),
        names=OneOf(("a", "b")),
    )
    stored = json.loads(json.dumps(problem.as_dict() | problem.wording()))
    again = Problem.from_dict(stored)
    assert again == problem
    assert again.template == problem.template
    assert again.params["day"] == date(2026, 1, 5)
    assert again.params["amount"] == Decimal("12.50")
    assert again.params["names"] == OneOf(("a", "b"))
    assert again.params["what"] == what


def test_a_stored_problem_without_wording_reads_back() -> None:
    again = Problem.from_dict({"code": "c", "message": "m", "line": None, "column": None})
    assert again == Problem("c", "m")
    assert again.template == ""
