"""What an edited template may not do: reach Python objects, import, call, include files, or
exhaust the machine. Each refusal names its line; edited sources are served by content."""

from __future__ import annotations

from dataclasses import replace

import pytest

from relance.documents.sandbox import shipped_source
from relance.documents.template_checks import validate_template
from relance.documents.templates import (
    TemplateRefusedError,
    creditor_sources,
    preview_step,
    register_source_provider,
    render_step,
    split_name,
)
from relance.domain.errors import NotFoundError
from tests.documents.samples import business_context

INJECTIONS = [
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "unsafe_attribute"),
    ("{{ debtor.__class__ }}", "unsafe_attribute"),
    ("{{ debtor['__class__'] }}", "unsafe_attribute"),
    ("{{ invoices.__len__() }}", "unsafe_attribute"),
    ("{{ cycler.__init__.__globals__.os.popen('id').read() }}", "unsafe_attribute"),
    ("{{ lipsum.__globals__ }}", "unsafe_attribute"),
    ("{{ config }}", "unknown_name"),
    ("{{ request.environ }}", "unknown_name"),
    ("{{ self }}", "unknown_name"),
    ("{{ range(10) }}", "call"),
    ("{{ debtor.name.upper() }}", "call"),
    ("{{ creditor|attr('name') }}", "unknown_filter"),
    ("{{ invoices|map(attribute='number')|join }}", "unknown_filter"),
    ("{{ 'x'|center(99999999) }}", "unknown_filter"),
    ("{{ '%s'|format(1) }}", "unknown_filter"),
    ("{% import 'fr/_payment.txt.j2' as p %}", "import"),
    ("{% from 'fr/_payment.txt.j2' import x %}", "import"),
    ("{% extends 'fr/reminder.txt.j2' %}", "import"),
    ("{% include '../../settings.py' %}", "include"),
    ("{% include debtor.name %}", "include"),
    ("{% import os %}", "syntax"),
]


@pytest.mark.parametrize(("source", "code"), INJECTIONS)
def test_an_injection_is_refused_on_the_line_it_sits(source, code):
    problems = validate_template(f"Bonjour,\n\n{source}\n")
    assert code in {p.code for p in problems}
    assert {p.line for p in problems} == {3}


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("{{ 'a' * 999999999999 }}", "repeating gives more than"),
        ("{{ invoices * 100000 }}", "repeating gives more than"),
        ("{{ 9 ** 999999 }}", "powers are limited"),
        ("{{ '%999999999d' % 1 }}", "only takes numbers"),
    ],
)
def test_arithmetic_that_would_exhaust_the_machine_is_refused_at_render(source, reason):
    result = preview_step(business_context("reminder"), "reminder.txt", f"a\n{source}\n")
    assert not isinstance(result, str)
    assert result[0].code == "unsafe"
    assert result[0].line == 2
    assert reason in result[0].message


def test_small_arithmetic_still_works():
    text = preview_step(
        business_context("reminder"), "reminder.txt", "{{ 2 ** 10 }} {{ 7 % 3 }} {{ '-' * 3 }}"
    )
    assert text == "1024 1 ---\n"


def test_a_misspelt_field_is_reported_with_its_line():
    result = preview_step(business_context("reminder"), "reminder.txt", "a\nb\n{{ debtor.nmae }}")
    assert [(p.code, p.line) for p in result] == [("render", 3)]


def test_the_edited_source_replaces_the_shipped_one_by_language_and_part():
    context = business_context("reminder", "fr")
    edited = replace(
        context,
        creditor=replace(
            context.creditor,
            templates=(
                ("fr/reminder.subject", "Objet {{ debtor.name }}"),
                ("fr/reminder.txt", "Texte pour {{ debtor.name }}"),
            ),
        ),
    )
    out = render_step(edited, "reminder")
    assert (out.subject, out.text) == (
        "Objet Boulangerie Martin SAS",
        "Texte pour Boulangerie Martin SAS\n",
    )
    assert render_step(edited, "reminder", "en").text == render_step(context, "reminder", "en").text
    # A changed source is a different cache entry: never the stale compiled one.
    again = replace(
        edited, creditor=replace(edited.creditor, templates=(("fr/reminder.txt", "Nouveau"),))
    )
    assert render_step(again, "reminder").text == "Nouveau\n"


def test_an_edited_source_that_became_unsafe_is_refused_at_render():
    context = business_context("reminder", "fr")
    bad = replace(
        context,
        creditor=replace(context.creditor, templates=(("fr/reminder.txt", "{{ x.__class__ }}"),)),
    )
    with pytest.raises(TemplateRefusedError) as info:
        render_step(bad, "reminder")
    assert info.value.problems[0].code == "unsafe_attribute"


def test_the_source_provider_is_consulted_by_creditor_key():
    register_source_provider(lambda key: [("fr/reminder.txt", f"pour {key}")] if key == "7" else [])
    try:
        assert creditor_sources("7") == (("fr/reminder.txt", "pour 7"),)
        assert creditor_sources("8") == ()
    finally:
        from relance.apps.editors.selectors import override_pairs

        register_source_provider(override_pairs)


def test_names():
    assert split_name("fr/reminder.txt.j2") == ("reminder", "txt")
    assert split_name("formal_notice.subject") == ("formal_notice", "subject")
    for bad in ("_payment.txt", "reminder", "reminder.html", "nope.txt"):
        with pytest.raises(NotFoundError):
            split_name(bad)
    assert shipped_source("fr/reminder.subject.j2")
