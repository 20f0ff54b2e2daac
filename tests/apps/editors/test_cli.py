"""The template files end to end through ``relance.cli.main``: list, export, import (refused
with line and reason), reset, then `relance render` with the edited text; scenario assign."""

from __future__ import annotations

import email
import json
from email import policy

import pytest

from relance import cli
from relance.apps.collection.models import Case
from relance.apps.editors.models import ScenarioAssignment, TemplateOverride
from relance.apps.editors.services import scenario_edit, scenario_parse
from relance.documents.templates import STEPS
from tests.apps.collection.test_letters import make_debtor
from tests.apps.editors.test_services import MINE

pytestmark = pytest.mark.django_db


def run(capsys, *args):
    code = cli.main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_export_edit_import_render_reset(creditor, capsys, tmp_path):
    make_debtor(creditor)
    code, out, _ = run(capsys, "template", "list", "--json")
    assert code == 0
    rows = json.loads(out)
    assert {(r["name"], r["lang"]): r["edited"] for r in rows}[("reminder.txt", "fr")] is False
    assert len(rows) == 4 * len(STEPS)  # each step: subject and text, French and English

    path = tmp_path / "reminder.txt.j2"
    assert run(capsys, "template", "export", "reminder.txt", "--out", str(path))[0] == 0
    shipped = path.read_text(encoding="utf-8")
    assert "{{" in shipped
    path.write_text("VERSION FICHIER pour {{ debtor.name }}\n" + shipped, encoding="utf-8")
    code, out, err = run(
        capsys, "template", "import", str(path), "--name", "reminder.txt", "--lang", "fr"
    )
    assert code == 0, err
    assert "saved" in out

    code, out, _ = run(capsys, "template", "list")
    assert any(line.split()[:3] == ["reminder.txt", "fr", "edited"] for line in out.splitlines())
    code, out, _ = run(capsys, "template", "export", "reminder.txt")
    assert out.startswith("VERSION FICHIER pour {{ debtor.name }}")

    eml = tmp_path / "r.eml"
    assert (
        run(
            capsys,
            "render",
            "--debtor",
            "411DUPONT",
            "--step",
            "reminder",
            "--as-of",
            "2026-04-15",
            "--out",
            str(eml),
        )[0]
        == 0
    )
    text = (
        email.message_from_bytes(eml.read_bytes(), policy=policy.default)
        .get_body(("plain",))
        .get_content()
    )
    assert text.startswith("VERSION FICHIER pour Dupont Bâtiment NT")

    code, out, _ = run(capsys, "template", "reset", "reminder.txt")
    assert code == 0
    assert "back to the shipped text (fr)" in out
    assert not TemplateOverride.objects.exists()
    assert run(capsys, "template", "export", "reminder.txt")[1] == shipped


@pytest.mark.parametrize(
    ("source", "where", "reason"),
    [
        ("Bonjour\n\n{{ ''.__class__.__mro__ }}\n", ":3:", "not allowed"),
        ("{% import os %}\n", ":1:", "[syntax]"),
        (
            "Bonjour {{ debtor.name }}\n{{ debtor.__init__.__globals__ }}\n",
            ":2:",
            "[unsafe_attribute]",
        ),
    ],
)
def test_a_broken_or_unsafe_file_is_refused_with_line_and_reason(
    creditor, capsys, tmp_path, source, where, reason
):
    path = tmp_path / "bad.j2"
    path.write_text(source, encoding="utf-8")
    code, _, err = run(capsys, "template", "import", str(path), "--name", "reminder.txt")
    assert code == 1
    assert f"{path}{where}" in err
    assert reason in err
    assert "nothing saved" in err
    assert not TemplateOverride.objects.exists()


def test_an_unknown_template_name_is_a_clear_error(creditor, capsys, tmp_path):
    path = tmp_path / "x.j2"
    path.write_text("x", encoding="utf-8")
    code, _, err = run(capsys, "template", "import", str(path), "--name", "relance_3.txt")
    assert code == 1
    assert "No editable template 'relance_3.txt'" in err


def test_scenario_assign(creditor, capsys):
    debtor, case = make_debtor(creditor)
    mine = scenario_edit(creditor=creditor, scenario=scenario_parse(MINE))
    code, out, _ = run(
        capsys, "scenario", "assign", "--debtor", "411DUPONT", "--scenario", "Clients fidèles"
    )
    assert code == 0
    assert "now follows 'Clients fidèles'" in out
    assert Case.objects.get(pk=case.pk).scenario_id == mine.pk
    assert ScenarioAssignment.objects.get(debtor=debtor).scenario_id == mine.pk
    code, _, err = run(
        capsys, "scenario", "assign", "--debtor", "411NOPE", "--scenario", "Clients fidèles"
    )
    assert code == 1
    assert "no debtor with account '411NOPE'" in err
