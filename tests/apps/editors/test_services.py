"""Edited templates and scenario assignments through the services, on SQLite and PostgreSQL:
validation with line and reason, nothing saved when refused, the audit trail, and the edited
text reaching letters, `relance render`'s e-mail and the letters batch."""

from __future__ import annotations

import email
import subprocess
from email import policy

import pytest

from relance.apps.audit.models import Event
from relance.apps.audit.services import chain_verify
from relance.apps.collection.letters import letters_batch
from relance.apps.collection.messages import document_render
from relance.apps.collection.models import Action, Case, Scenario
from relance.apps.collection.scenarios import scenarios_load_defaults
from relance.apps.editors.models import ScenarioAssignment, TemplateOverride
from relance.apps.editors.selectors import (
    assigned_scenario_ids,
    scenario_reach,
    template_get,
    templates_list,
)
from relance.apps.editors.services import (
    scenario_assign,
    scenario_edit,
    scenario_parse,
    template_preview,
    template_reset,
    template_save,
)
from relance.documents.templates import TemplateRefusedError
from relance.domain.errors import InvalidInputError, NotFoundError
from tests.apps.collection.test_letters import AS_OF, make_debtor, planned
from tests.factories import CreditorFactory, DebtorFactory

pytestmark = pytest.mark.django_db

EDITED = (
    "Bonjour {{ debtor.name }},\nTEXTE MAISON : vous nous devez {{ totals.principal|money }}.\n"
)


def pdftotext(data: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def test_a_saved_template_is_kept_with_its_hash_and_an_audit_event(creditor):
    row = template_save(
        creditor=creditor, name="reminder.txt", lang="fr", source=EDITED, actor="user:adele"
    )
    assert (row.name, row.lang, row.updated_by) == ("reminder.txt", "fr", "user:adele")
    event = Event.objects.get(kind="template.saved")
    assert event.creditor_id == creditor.pk
    assert event.payload["sha256"] == row.sha256
    assert event.payload["previous_sha256"] is None
    again = template_save(
        creditor=creditor, name="fr/reminder.txt.j2", lang="fr", source=EDITED + "Merci.\n"
    )
    assert again.pk == row.pk
    assert (
        Event.objects.filter(kind="template.saved").last().payload["previous_sha256"] == row.sha256
    )
    detail = template_get(creditor=creditor, name="reminder.txt", lang="fr")
    assert detail.edited
    assert detail.source.endswith("Merci.\n")
    assert "{{" in detail.shipped
    assert detail.shipped != detail.source
    rows = {(r.name, r.lang): r.edited for r in templates_list(creditor=creditor)}
    assert rows[("reminder.txt", "fr")] is True
    assert rows[("reminder.txt", "en")] is False
    assert chain_verify().ok


@pytest.mark.parametrize(
    ("source", "line", "code"),
    [
        ("Bonjour\n{{ ''.__class__.__mro__ }}", 2, "unsafe_attribute"),
        ("{% import os %}", 1, "syntax"),
        ("{% import 'os' as os %}", 1, "import"),
        ("ok\nok\n{{ debtor.name.upper() }}", 3, "call"),
        ("{{ settings.SECRET_KEY }}", 1, "unknown_name"),
        ("{{ creditor|attr('__dict__') }}", 1, "unknown_filter"),
        ("{% include '/etc/passwd' %}", 1, "include"),
        ("{% for x in %}", 1, "syntax"),
        ("   \n", 1, "empty"),
    ],
)
def test_a_broken_or_unsafe_template_is_refused_with_its_line_and_nothing_is_saved(
    creditor, source, line, code
):
    template_save(creditor=creditor, name="reminder.txt", lang="fr", source=EDITED)
    with pytest.raises(TemplateRefusedError) as info:
        template_save(creditor=creditor, name="reminder.txt", lang="fr", source=source)
    problem = info.value.problems[0]
    assert (problem.line, problem.code) == (line, code)
    assert TemplateOverride.objects.get().source == EDITED
    assert Event.objects.filter(kind="template.saved").count() == 1


def test_unknown_names_and_languages_are_refused(creditor):
    with pytest.raises(NotFoundError):
        template_save(creditor=creditor, name="_payment.txt", lang="fr", source="x")
    with pytest.raises(InvalidInputError):
        template_save(creditor=creditor, name="reminder.txt", lang="de", source="x")
    assert not TemplateOverride.objects.exists()


def test_reset_goes_back_to_the_shipped_text(creditor):
    template_save(
        creditor=creditor, name="reminder.subject", lang="en", source="Hello {{ debtor.name }}"
    )
    assert template_reset(creditor=creditor, name="reminder.subject", lang="en", actor="user:adele")
    assert not template_reset(creditor=creditor, name="reminder.subject", lang="en")
    assert not TemplateOverride.objects.exists()
    assert Event.objects.filter(kind="template.reset").count() == 1


def test_preview_renders_against_a_real_debtor_in_the_sandbox(creditor):
    debtor, _ = make_debtor(creditor)
    text = template_preview(
        creditor=creditor, name="reminder.txt", lang="fr", source=EDITED, debtor=debtor, as_of=AS_OF
    )
    assert (
        text
        == "Bonjour Dupont Bâtiment NT,\nTEXTE MAISON : vous nous devez 1\u202f700,00\u00a0€.\n"
    )
    subject = template_preview(
        creditor=creditor,
        name="reminder.subject",
        lang="en",
        source="Unpaid:\n{{ invoices|length }} invoices",
        debtor=debtor,
        as_of=AS_OF,
    )
    assert subject == "Unpaid: 2 invoices"
    problems = template_preview(
        creditor=creditor,
        name="reminder.txt",
        lang="fr",
        source="a\n{{ x.__class__ }}",
        debtor=debtor,
        as_of=AS_OF,
    )
    assert [(p.line, p.code) for p in problems] == [(2, "unsafe_attribute"), (2, "unknown_name")]
    assert not TemplateOverride.objects.exists()
    other = DebtorFactory(creditor=CreditorFactory())
    with pytest.raises(InvalidInputError):
        template_preview(
            creditor=creditor,
            name="reminder.txt",
            lang="fr",
            source=EDITED,
            debtor=other,
            as_of=AS_OF,
        )


def test_render_uses_the_creditor_s_edited_template_and_not_another_s(creditor):
    make_debtor(creditor)
    other = CreditorFactory(name="Autre SAS")
    make_debtor(other, "411AUTRE")
    template_save(creditor=creditor, name="reminder.txt", lang="fr", source=EDITED)
    template_save(
        creditor=creditor,
        name="reminder.subject",
        lang="fr",
        source="Objet maison {{ letter.reference }}",
    )

    doc = document_render(
        creditor=creditor, debtor_account="411DUPONT", step_key="reminder", as_of=AS_OF, kind="eml"
    )
    msg = email.message_from_bytes(doc.data, policy=policy.default)
    assert msg["Subject"].startswith("Objet maison R-")
    assert "TEXTE MAISON" in msg.get_body(("plain",)).get_content()
    assert "TEXTE MAISON" in msg.get_body(("html",)).get_content()

    theirs = document_render(
        creditor=other, debtor_account="411AUTRE", step_key="reminder", as_of=AS_OF, kind="eml"
    )
    assert b"TEXTE MAISON" not in theirs.data

    # Edited again: the new text is served at once, never a stale compiled one.
    template_save(
        creditor=creditor,
        name="reminder.txt",
        lang="fr",
        source=EDITED.replace("MAISON", "NOUVEAU"),
    )
    doc = document_render(
        creditor=creditor, debtor_account="411DUPONT", step_key="reminder", as_of=AS_OF, kind="eml"
    )
    text = (
        email.message_from_bytes(doc.data, policy=policy.default).get_body(("plain",)).get_content()
    )
    assert "TEXTE NOUVEAU" in text
    assert "TEXTE MAISON" not in text
    template_reset(creditor=creditor, name="reminder.txt", lang="fr")
    doc = document_render(
        creditor=creditor, debtor_account="411DUPONT", step_key="reminder", as_of=AS_OF, kind="eml"
    )
    assert b"TEXTE" not in doc.data


def test_the_letter_pdf_and_the_batch_use_the_edited_letter(creditor, media):
    d1, c1 = make_debtor(creditor, "411AA")
    template_save(
        creditor=creditor,
        name="reminder_letter.txt",
        lang="fr",
        source="LETTRE MAISON pour {{ debtor.name }}\n{% include 'fr/_payment.txt.j2' %}\n",
    )
    pdf = document_render(
        creditor=creditor, debtor_account="411AA", step_key="reminder_letter", as_of=AS_OF
    )
    assert "LETTRE MAISON pour Dupont Bâtiment AA" in pdftotext(pdf.data)

    action = planned(d1, c1, "reminder_letter", "letter", state=Action.State.PLANNED)
    result = letters_batch(as_of=AS_OF, workers=1)
    assert [x["action"] for x in result.letters] == [action.pk]
    action.refresh_from_db()
    assert "LETTRE MAISON" in action.body_text
    assert "LETTRE MAISON" in pdftotext(result.pdf)


# --- scenarios ----------------------------------------------------------------------------------

MINE = """[scenario]
name = "Clients fidèles"
debtor_kinds = ["business"]

[[steps]]
key = "reminder"
offset_days = 7
channel = "email"
template = "reminder"

[[steps]]
key = "reminder_letter"
offset_days = 30
channel = "letter"
template = "reminder_letter"
"""


def test_a_scenario_is_checked_by_the_engine_and_against_the_templates():
    assert [s.key for s in scenario_parse(MINE).steps] == ["reminder", "reminder_letter"]
    with pytest.raises(InvalidInputError, match="offset_days"):
        scenario_parse(MINE.replace("offset_days = 30", "offset_days = 1"))
    with pytest.raises(InvalidInputError, match="no template named 'relance_3'"):
        scenario_parse(MINE.replace('template = "reminder_letter"', 'template = "relance_3"'))
    with pytest.raises(InvalidInputError, match="not valid TOML"):
        scenario_parse("[scenario\nname=")


def test_a_default_scenario_is_not_changed_from_one_creditor_s_workspace(creditor):
    scenarios_load_defaults()
    default = Scenario.objects.get(name="B2B standard")
    with pytest.raises(InvalidInputError, match="only an install administrator changes it"):
        scenario_edit(
            creditor=creditor,
            scenario=scenario_parse(MINE.replace("Clients fidèles", "B2B standard")),
        )
    assert default.steps.count() == 7
    row = scenario_edit(creditor=creditor, scenario=scenario_parse(MINE), actor="user:adele")
    assert row.steps.count() == 2
    assert row.creditor_id == creditor.pk  # the creditor's own
    assert Event.objects.filter(kind="scenario.edited", creditor_id=creditor.pk).exists()


def test_only_an_install_administrator_changes_an_install_wide_scenario_on_no_creditor(creditor):
    scenarios_load_defaults()
    edited = MINE.replace("Clients fidèles", "B2B standard")
    row = scenario_edit(
        creditor=creditor, scenario=scenario_parse(edited), install_admin=True, actor="user:root"
    )
    assert (row.name, row.creditor_id, row.is_default, row.steps.count()) == (
        "B2B standard",
        None,
        True,
        2,
    )
    event = Event.objects.filter(kind="scenario.edited").latest("id")
    assert (event.subject_id, event.creditor_id) == (row.pk, None)


def test_assigning_a_scenario_moves_the_open_case_and_is_kept_for_later_cases(creditor):
    debtor, case = make_debtor(creditor)
    mine = scenario_edit(creditor=creditor, scenario=scenario_parse(MINE))
    scenario_assign(creditor=creditor, debtor=debtor, scenario=mine, actor="user:adele")
    case.refresh_from_db()
    assert case.scenario_id == mine.pk
    assert ScenarioAssignment.objects.get(debtor=debtor).scenario_id == mine.pk
    assert assigned_scenario_ids(creditor=creditor) == {debtor.pk: mine.pk}
    reach = scenario_reach(scenario=mine, creditor=creditor)
    assert reach.open_cases == [debtor]
    assert reach.assigned == [debtor]
    event = Event.objects.get(kind="scenario.assigned")
    assert event.payload["open_cases"] == [case.pk]
    consumer = DebtorFactory(creditor=creditor, kind="consumer")
    with pytest.raises(InvalidInputError, match="for business debtors"):
        scenario_assign(creditor=creditor, debtor=consumer, scenario=mine)
    other = DebtorFactory(creditor=CreditorFactory())
    with pytest.raises(InvalidInputError):
        scenario_assign(creditor=creditor, debtor=other, scenario=mine)
    assert not Case.objects.filter(debtor=other).exists()
    # It is the creditor's own: another creditor can neither assign nor change it.
    with pytest.raises(NotFoundError):
        scenario_assign(
            creditor=other.creditor, debtor=DebtorFactory(creditor=other.creditor), scenario=mine
        )
    theirs = scenario_edit(creditor=other.creditor, scenario=scenario_parse(MINE))
    assert theirs.pk != mine.pk
    assert theirs.creditor_id == other.creditor_id
    assert mine.steps.count() == 2


def test_a_misspelt_field_is_refused_at_save_with_its_line(creditor):
    with pytest.raises(TemplateRefusedError) as info:
        template_save(
            creditor=creditor, name="reminder.txt", lang="fr", source="Bonjour\n{{ debtor.nmae }}\n"
        )
    (problem,) = info.value.problems
    assert (problem.code, problem.line) == ("render", 2)
    assert "nmae" in problem.message
    assert "sample business debtor" in problem.message
    assert not TemplateOverride.objects.exists()
    # Every shipped text passes the same check, in both languages.
    from relance.apps.editors.services import template_check
    from relance.documents.sandbox import shipped_source
    from relance.documents.templates import editable_names

    for name in editable_names():
        for lang in ("fr", "en"):
            assert template_check(shipped_source(f"{lang}/{name}.j2"), name, lang) == [], (
                lang,
                name,
            )
