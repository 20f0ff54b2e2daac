"""The escalation notice cites the mise en demeure by its date and its receipt (issue 5)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from relance.documents.context import Attempt
from relance.documents.templates import render_step
from tests.documents.samples import ATTEMPTS, business_context

SENT, RECEIVED = date(2026, 4, 6), date(2026, 4, 8)


def text(lang: str = "fr", **changes) -> str:
    return " ".join(
        render_step(business_context("escalation", lang, **changes), "escalation").text.split()
    )


def test_it_cites_the_letter_s_date_and_its_receipt():
    assert (
        "Notre mise en demeure adressée par lettre recommandée avec accusé de réception du "
        "6 avril 2026, reçue le 8 avril 2026, vous demandait"
    ) in text()
    assert (
        "Our formal notice sent by registered letter with acknowledgement of receipt on "
        "6 April 2026, received on 8 April 2026, asked you"
    ) in text("en")


def test_a_letter_not_claimed_is_said_so():
    fr = text(notice_date=None, notice_not_claimed=True)
    assert "accusé de réception du 6 avril 2026, non réclamée, vous demandait" in fr
    assert "received on" not in text("en", notice_date=None, notice_not_claimed=True)
    assert "6 April 2026, not claimed, asked you" in text(
        "en", notice_date=None, notice_not_claimed=True
    )


def test_the_letter_s_date_comes_from_the_attempts_when_not_given():
    attempts = (*ATTEMPTS, Attempt(SENT, "registered_letter", "mise en demeure"))
    assert "réception du 6 avril 2026, reçue le 8 avril 2026," in text(
        notice_sent_date=None, attempts=attempts
    )


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_without_a_known_letter_it_speaks_of_the_steps_in_general(lang):
    plain = text(lang, notice_sent_date=None, notice_date=None)
    assert "mise en demeure adressée" not in plain
    assert "formal notice sent" not in plain
    assert ("Nos démarches amiables" if lang == "fr" else "Our amicable steps") in plain


def test_a_receipt_wins_over_an_earlier_return():
    context = replace(business_context("escalation"), notice_not_claimed=True)
    assert "non réclamée" not in render_step(context, "escalation").text
