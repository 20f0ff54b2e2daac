"""Golden texts for every step in French and English, and the template sandbox."""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from relance.documents.formatting import format_date, format_money
from relance.documents.letter import compose_letter
from relance.documents.sandbox import shipped_source
from relance.documents.template_checks import validate_template
from relance.documents.templates import (
    LETTER_STEPS,
    STEPS,
    TemplateRefusedError,
    preview,
    render_source,
    render_step,
    step_name,
)
from tests.documents.samples import business_context, consumer_context

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("RELANCE_UPDATE_GOLDEN") == "1"
CASES = [(lang, "business", step) for lang in ("fr", "en") for step in STEPS] + [
    (lang, "consumer", step)
    for lang in ("fr", "en")
    for step in ("reminder", "formal_notice", "escalation", "thank_you")
]


def rendered(lang: str, debtor: str, step: str) -> str:
    build = business_context if debtor == "business" else consumer_context
    context = build(step, lang)
    if step in LETTER_STEPS:
        return compose_letter(context, step).as_text()
    result = render_step(context, step)
    return f"Subject: {result.subject}\n\n{result.text}"


@pytest.mark.parametrize(("lang", "debtor", "step"), CASES)
def test_rendered_text_matches_its_golden_file(lang, debtor, step):
    path = GOLDEN / f"{lang}_{debtor}_{step}.txt"
    text = rendered(lang, debtor, step)
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", [f"{lang}/{step}.{part}.j2" for lang in ("fr", "en")
                                  for step in STEPS for part in ("subject", "txt")])
def test_every_shipped_template_passes_validation(name):
    assert validate_template(shipped_source(name)) == []


def test_letters_never_claim_fees_from_a_consumer():
    for lang in ("fr", "en"):
        for step in STEPS:
            text = rendered(lang, "consumer", step).lower()
            assert "frais de recouvrement" not in text
            assert "recovery costs" not in text


def test_a_consumer_letter_states_no_40_euro_indemnity():
    text = rendered("fr", "consumer", "formal_notice")
    assert "D441-5" not in text


def test_the_html_is_derived_from_the_text_and_escaped():
    context = business_context("reminder", debtor=business_context().debtor.__class__(
        name="<script>x</script>", postcode="75001", city="Paris", contact_name="<b>Bob</b>"))
    result = render_step(context, "reminder")
    assert "<b>Bob</b>" in result.text
    assert "&lt;b&gt;Bob&lt;/b&gt;" in result.html
    assert "<li>" in result.html


def test_step_aliases_map_to_the_shipped_names():
    assert [step_name(s) for s in ("reminder_1", "resend_invoice", "call_first")] == [
        "reminder", "invoice_again", "call"]


def test_filters_write_money_and_dates_the_french_and_english_way():
    assert format_money(Decimal("1234.56"), "fr") == "1\u202f234,56\u00a0€"
    assert format_money(Decimal("1234.56"), "en") == "€1,234.56"
    assert format_date(date(2026, 11, 23), "fr") == "23 novembre 2026"
    assert format_date(date(2026, 11, 23), "en") == "23 November 2026"


INJECTIONS = [
    "{{ ''.__class__.__mro__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{% for x in ().__class__.__base__.__subclasses__() %}{{ x }}{% endfor %}",
    "{{ debtor.__class__ }}",
    "{{ debtor['__class__'] }}",
    "{{ debtor.items() }}",
    "{{ creditor.name.upper() }}",
    "{{ lipsum() }}",
    "{{ range(10) }}",
    "{{ self._TemplateReference__context }}",
    "{{ config }}",
    "{% include '/etc/passwd' %}",
    "{% import 'fr/_invoices.txt.j2' as x %}",
    "{{ debtor|attr('__class__') }}",
    "{{ invoices|map(attribute='__class__')|list }}",
    "{{ '%s'.format(debtor) }}",
    "{{ debtor.name|nonexistent }}",
    "{% if %}",
    "{{ unknown_name }}",
]


@pytest.mark.parametrize("source", INJECTIONS)
def test_the_sandbox_refuses_injection_attempts(source):
    problems = validate_template(source)
    assert problems
    assert all(p.line == 1 for p in problems)
    with pytest.raises(TemplateRefusedError):
        render_source(source, business_context().as_template_vars())


def test_refusals_say_the_line_and_the_reason():
    problems = validate_template("Bonjour,\n\n{{ debtor.__class__ }}\n{{ secret }}")
    assert [(p.line, p.code) for p in problems] == [(3, "unsafe_attribute"), (4, "unknown_name")]


def test_attribute_access_on_context_values_never_reaches_python():
    # Even past validation, the environment only does dict lookups.
    from relance.documents.sandbox import text_environment

    template = text_environment().from_string("{{ letter.date.year }}")
    with pytest.raises(Exception, match=r"unsafe|undefined|not safely"):
        template.render(business_context().as_template_vars())


def test_preview_renders_a_valid_template_and_lists_problems_otherwise():
    context = business_context("reminder")
    assert preview("{{ debtor.name }} : {{ totals.principal|money }}", context) == (
        "Boulangerie Martin SAS : 2\u202f260,00\u00a0€")
    problems = preview("{{ debtor.name.__len__() }}", context)
    assert isinstance(problems, list)
    assert problems


def test_a_creditors_edited_template_overrides_the_shipped_one():
    context = business_context("reminder")
    result = render_step(context, "reminder", sources={"subject": "Facture {{ invoices[0].number }}"})
    assert result.subject == "Facture F-2026-0042"
