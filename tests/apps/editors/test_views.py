"""The editor pages: who may see and change what, preview before save, errors with line and
reason, and one creditor never reaching another's templates, debtors or assignments."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from relance.apps.collection.models import Scenario
from relance.apps.collection.scenarios import scenarios_load_defaults
from relance.apps.editors.models import ScenarioAssignment, TemplateOverride
from relance.apps.editors.services import scenario_edit, scenario_parse, template_save
from tests.apps.editors.test_services import MINE
from tests.apps.workspace.conftest import make_user

pytestmark = pytest.mark.django_db

URL = reverse("workspace:template", args=["fr", "reminder.txt"])
EDITED = "Bonjour {{ debtor.name }},\nMODÈLE ÉDITÉ : {{ totals.principal|money }}.\n"


def test_the_template_list_and_page_in_french(viewer_a):
    page = viewer_a.get(reverse("workspace:templates"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Modèles de messages" in html
    assert "fr/reminder.txt" in html
    page = viewer_a.get(URL)
    html = page.content.decode()
    assert "texte livré" in html
    assert "Enregistrer le modèle" not in html  # a viewer cannot save
    assert "Aperçu" in html


def test_an_admin_previews_then_saves(admin_a, creditor_a, debtor_a):
    page = admin_a.post(
        URL, {"action": "preview", "source": EDITED, "debtor": debtor_a.pk, "as_of": "2026-11-23"}
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "MODÈLE ÉDITÉ" in html
    assert "Boulangerie Durand SARL" in html
    assert not TemplateOverride.objects.exists()
    page = admin_a.post(URL, {"action": "save", "source": EDITED})
    assert page.status_code == 302
    assert TemplateOverride.objects.get(creditor=creditor_a).source == EDITED
    html = admin_a.get(URL).content.decode()
    assert "MODÈLE ÉDITÉ" in html
    assert "Texte livré" in html  # shipped text shown beside the edited one
    page = admin_a.post(URL, {"action": "reset"})
    assert page.status_code == 302
    assert not TemplateOverride.objects.exists()


@pytest.mark.parametrize(
    ("source", "line", "fragment"),
    [
        ("Bonjour\n{{ ''.__class__.__mro__ }}", 2, "est interdit"),
        ("{% import os %}", 1, "erreur de syntaxe"),
        ("a\nb\n{{ debtor.name.__class__.__init__.__globals__ }}", 3, "est interdit"),
        ("{{ lipsum() }}", 1, "appeler"),
    ],
)
def test_an_unsafe_template_is_refused_on_preview_and_on_save(
    admin_a, debtor_a, source, line, fragment
):
    for action in ("preview", "save"):
        page = admin_a.post(URL, {"action": action, "source": source, "debtor": debtor_a.pk})
        assert page.status_code == 422
        html = page.content.decode()
        assert "Refusé : rien n’a été enregistré." in html
        assert f"Ligne {line}" in html
        assert fragment in html
    assert not TemplateOverride.objects.exists()


def test_collectors_and_viewers_preview_but_cannot_save_or_reset(collector_a, creditor_a, debtor_a):
    assert collector_a.post(URL, {"action": "save", "source": EDITED}).status_code == 403
    template_save(creditor=creditor_a, name="reminder.txt", lang="fr", source=EDITED)
    assert collector_a.post(URL, {"action": "reset"}).status_code == 403
    assert TemplateOverride.objects.filter(creditor=creditor_a).exists()
    page = collector_a.post(URL, {"action": "preview", "source": EDITED, "debtor": debtor_a.pk})
    assert page.status_code == 200


def test_creditor_a_never_reaches_creditor_b(admin_a, creditor_b, debtor_b):
    template_save(
        creditor=creditor_b, name="reminder.txt", lang="fr", source="SECRET DE B {{ debtor.name }}"
    )
    assert "SECRET DE B" not in admin_a.get(URL).content.decode()
    # Previewing with B's debtor, or assigning it, is a 404.
    page = admin_a.post(URL, {"action": "preview", "source": EDITED, "debtor": debtor_b.pk})
    assert page.status_code == 404
    assert admin_a.get(reverse("workspace:debtor_scenario", args=[debtor_b.pk])).status_code == 404
    scenarios_load_defaults()
    scenario = Scenario.objects.first()
    page = admin_a.post(
        reverse("workspace:debtor_scenario", args=[debtor_b.pk]), {"scenario": scenario.pk}
    )
    assert page.status_code == 404
    assert not ScenarioAssignment.objects.exists()
    # Saving changes A's text only.
    admin_a.post(URL, {"action": "save", "source": EDITED})
    assert TemplateOverride.objects.get(creditor=creditor_b).source.startswith("SECRET DE B")
    assert "Secret Client B" not in admin_a.get(reverse("workspace:scenarios")).content.decode()


def test_unknown_template_names_are_404(viewer_a):
    assert (
        viewer_a.get(reverse("workspace:template", args=["fr", "_payment.txt"])).status_code == 404
    )
    assert (
        viewer_a.get(reverse("workspace:template", args=["de", "reminder.txt"])).status_code == 302
    )


def test_scenario_pages_and_editing(admin_a, creditor_a, debtor_a):
    viewer_a = Client()
    viewer_a.force_login(make_user("victor", "viewer", creditor_a))
    scenarios_load_defaults()
    default = Scenario.objects.get(name="B2B standard")
    html = viewer_a.get(reverse("workspace:scenarios")).content.decode()
    assert "B2B standard" in html
    page = viewer_a.get(reverse("workspace:scenario", args=[default.pk]))
    assert "formal_notice" in page.content.decode()
    assert "Modifier en TOML" not in page.content.decode()
    assert (
        viewer_a.post(reverse("workspace:scenario_new"), {"mode": "toml", "toml": MINE}).status_code
        == 403
    )

    # Admin of a creditor: a default scenario is install-wide, so saving it under its own name
    # is refused.
    page = admin_a.post(
        reverse("workspace:scenario", args=[default.pk]),
        {"mode": "toml", "toml": MINE.replace("Clients fidèles", "B2B standard")},
    )
    assert page.status_code == 422
    assert "est commun à toute l’installation" in page.content.decode()
    # Broken TOML and a step out of order are refused with the engine's reason.
    page = admin_a.post(
        reverse("workspace:scenario_new"), {"mode": "toml", "toml": "[scenario\nname="}
    )
    assert page.status_code == 422
    assert "TOML invalide" in page.content.decode()
    page = admin_a.post(
        reverse("workspace:scenario_new"),
        {"mode": "toml", "toml": MINE.replace("offset_days = 30", "offset_days = 1")},
    )
    assert "offset_days" in page.content.decode()
    assert not Scenario.objects.filter(name="Clients fidèles").exists()

    page = admin_a.post(reverse("workspace:scenario_new"), {"mode": "toml", "toml": MINE})
    mine = Scenario.objects.get(name="Clients fidèles")
    assert page.status_code == 302
    # The form: change a day, drop a step, add one.
    form = {
        "mode": "form",
        "rows": "4",
        "name": "Clients fidèles",
        "description": "revu",
        "debtor_kinds": ["business"],
        "key_0": "reminder",
        "offset_0": "5",
        "channel_0": "email",
        "template_0": "reminder",
        "key_1": "",
        "offset_1": "30",
        "channel_1": "letter",
        "template_1": "reminder_letter",
        "key_2": "formal_notice",
        "offset_2": "40",
        "channel_2": "registered_letter",
        "template_2": "formal_notice",
        "approval_2": "1",
        "key_3": "",
    }
    page = admin_a.post(reverse("workspace:scenario", args=[mine.pk]), form)
    assert page.status_code == 302
    assert [
        (s.key, s.offset_days, s.requires_approval) for s in mine.steps.order_by("position")
    ] == [("reminder", 5, False), ("formal_notice", 40, True)]
    page = admin_a.post(reverse("workspace:scenario", args=[mine.pk]), {**form, "offset_2": "deux"})
    assert page.status_code == 422
    assert "le décalage doit être un nombre entier de jours" in page.content.decode()
    assert mine.steps.count() == 2

    # Assign it to the debtor; the scenario page shows who follows it.
    page = admin_a.post(
        reverse("workspace:debtor_scenario", args=[debtor_a.pk]), {"scenario": mine.pk}
    )
    assert page.status_code == 302
    assert ScenarioAssignment.objects.get(debtor=debtor_a).scenario_id == mine.pk
    html = admin_a.get(reverse("workspace:scenario", args=[mine.pk])).content.decode()
    assert "Boulangerie Durand SARL" in html
    assert (
        viewer_a.post(
            reverse("workspace:debtor_scenario", args=[debtor_a.pk]), {"scenario": ""}
        ).status_code
        == 403
    )
    admin_a.post(reverse("workspace:debtor_scenario", args=[debtor_a.pk]), {"scenario": ""})
    assert not ScenarioAssignment.objects.exists()


def test_english_pages(admin_a, creditor_a):
    admin_a.cookies["django_language"] = "en"
    html = admin_a.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Save template" in html
    assert "Preview" in html


def test_scenario_edit_service_used_by_the_page_is_the_same(creditor_a):
    row = scenario_edit(creditor=creditor_a, scenario=scenario_parse(MINE))
    assert row.steps.count() == 2


def test_assign_from_the_scenario_page(admin_a, creditor_a, debtor_a, debtor_b):
    mine = scenario_edit(creditor=creditor_a, scenario=scenario_parse(MINE))
    url = reverse("workspace:scenario_assign", args=[mine.pk])
    page = admin_a.post(url, {"account": debtor_a.account})
    assert page.status_code == 302
    assert ScenarioAssignment.objects.get(debtor=debtor_a).scenario_id == mine.pk
    # Another creditor's account is not found.
    assert admin_a.post(url, {"account": debtor_b.account}).status_code == 404
    assert not ScenarioAssignment.objects.filter(debtor=debtor_b).exists()
    page = admin_a.get(reverse("workspace:debtor_scenario", args=[debtor_a.pk]))
    assert "Clients fidèles" in page.content.decode()
