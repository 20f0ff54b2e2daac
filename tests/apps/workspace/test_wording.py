"""Messages built below Django (import problems, the mise en demeure's check, the template
sandbox, services' errors) read in French on the workspace's pages, while the CLI and the JSON
outputs keep the English ``message`` scripts rely on."""

from __future__ import annotations

import ast
import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from relance import cli
from relance.apps.editors.selectors import action_text
from relance.apps.editors.services import action_text_save
from relance.apps.ledger.selectors import BUCKETS
from relance.apps.workspace.models import ImportUpload
from relance.apps.workspace.services import creditor_settings_update
from relance.documents.formal_notice import check_formal_notice
from relance.documents.template_checks import validate_template
from relance.documents.templates import TemplateRefusedError
from relance.domain import vocabulary
from relance.domain.errors import InvalidInputError
from tests.apps.workspace.test_desk import desk_for, record_missing_rates

pytestmark = pytest.mark.django_db

SRC = Path(__file__).resolve().parents[3] / "src" / "relance"
# Words that read the same in both languages.
SAME_IN_FRENCH = {"date", "%(problems)s"}
# Errors services raise as plain English sentences: the page asks the catalogue for the whole
# message (relance.apps.workspace.wording.error_text).
PLAIN_ERRORS = [
    "the pay link must be a web address starting with https://",
    "a creditor needs a name",
    "payment terms must be between 0 and 365 days",
    "the file is empty",
    "this file has problems: fix them and upload it again",
    "the uploaded file is gone: upload it again",
    "settle is full or partial",
    "this file has no columns to map",
    "give a field for each column of the file",
    "the logo must be a PNG or JPEG image",
    "the logo must be at most 1 MB",
    "a promise is for a positive amount",
    "the promised date is already past",
    "that debtor belongs to another creditor",
    "a promise needs an amount and a date",
    "a dispute names the invoice(s) it is about",
    "a dispute needs its reason",
    "a call back needs the date to call on",
    "choose at least one invoice the credit pays",
    "each invoice may be named only once",
    "nothing of the credit is left for the invoices chosen",
    "a debtor needs a name",
    "a contact needs a name, an e-mail or a phone number",
    "the port is a number between 1 and 65535",
]

HEADER = "Numéro facture;Compte client;Raison sociale;Date facture;Date échéance;Montant TTC\n"
GOOD_ROW = "FA-900;411900;Menuiserie Lefèvre SARL;01/01/2026;31/01/2026;1200,00\n"
# A date that does not exist and an amount with two decimal marks.
BAD_CSV = HEADER + GOOD_ROW + "FA-901;411901;Client;31/02/2026;31/03/2026;12,3,4\n"


def run_cli(capsys, *args: str) -> tuple[int, str]:
    code = cli.main(list(args))
    return code, capsys.readouterr().out


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def marked_templates() -> dict[str, str]:
    """Every English template marked ``N_`` in the project's source, and where."""
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "N_"
                and isinstance(node.args[0], ast.Constant)
            ):
                found[node.args[0].value] = f"{path.relative_to(SRC)}:{node.lineno}"
    return found


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\((\w+)\)", text))


def test_every_marked_template_and_plain_error_has_its_french() -> None:
    marked = marked_templates()
    assert len(marked) > 100
    with translation.override("fr"):
        missing = [
            f"{where}: {template!r}"
            for template, where in marked.items()
            if translation.gettext(template) == template and template not in SAME_IN_FRENCH
        ]
        wrong = [
            template
            for template in marked
            if placeholders(translation.gettext(template)) != placeholders(template)
        ]
        plain = [e for e in PLAIN_ERRORS if translation.gettext(e) == e]
    how = (
        "add the French to src/relance/apps/workspace/locale/fr/LC_MESSAGES/django.po, then "
        "msgfmt -c -o …/django.mo …/django.po"
    )
    assert missing == [], how
    assert wrong == [], how
    assert plain == [], how


def test_an_import_with_a_bad_date_and_a_bad_amount_is_explained_in_french(
    collector_a, settings, tmp_path, capsys
):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("bad.csv", BAD_CSV.encode())
    response = collector_a.post("/imports/", {"kind": "ledger", "file": upload}, follow=True)
    text = page_text(response)
    assert "« 31/02/2026 » n’est pas une date" in text
    assert "« 12,3,4 » n’est pas un montant" in text
    assert "is not a date" not in text
    assert "is not an amount" not in text
    assert "[bad_date]" in text  # the code stays, for support
    # The same file through the CLI: English, as scripts expect.
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV, encoding="utf-8")
    code, out = run_cli(capsys, "import", "ledger", str(path), "--dry-run", "--json")
    assert code != 0
    messages = [p["message"] for p in json.loads(out)["problems"]]
    assert "'31/02/2026' is not a date" in messages
    assert "'12,3,4' is not an amount" in messages
    assert all(set(p) == {"code", "message", "line", "column"} for p in json.loads(out)["problems"])


def test_a_bank_file_with_a_bad_date_is_explained_in_french(collector_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    data = "Date;Libellé;Montant\n2026-13-45;VIR DURAND;120,00\n".encode()
    upload = SimpleUploadedFile("releve.csv", data)
    response = collector_a.post("/imports/", {"kind": "bank", "file": upload}, follow=True)
    text = page_text(response)
    assert "« 2026-13-45 » n’est pas une date" in text
    assert "is not a date" not in text
    # The stored dry run keeps the English message beside what the page needs to translate it.
    [problem] = ImportUpload.objects.get().dry_run["problems"]
    assert problem["message"] == "'2026-13-45' is not a date"


@pytest.fixture
def notice(creditor_a, today):
    _, _, late, notice = desk_for(creditor_a, today, "A")
    record_missing_rates(late, today)
    return notice


def test_a_mise_en_demeure_edited_without_a_mention_is_refused_in_french(
    collector_a, notice, creditor_a, today
):
    current = action_text(action=notice)
    gutted = "\n\n".join(p for p in current.text.split("\n\n") if "injonction de payer" not in p)
    page = collector_a.post(
        f"/actions/{notice.pk}/text/",
        {"action": "save", "subject": current.subject, "text": gutted},
    )
    assert page.status_code == 422
    text = page_text(page)
    assert "Les suites ne sont pas annoncées : injonction de payer." in text
    assert "The consequences are not stated" not in text
    # The service, as the CLI and the API use it, still says it in English.
    with pytest.raises(TemplateRefusedError) as refused:
        action_text_save(
            creditor=creditor_a,
            action_id=notice.pk,
            subject=current.subject,
            text=gutted,
            as_of=today,
        )
    messages = [p.message for p in refused.value.problems]
    assert "The consequences are not stated: injonction de payer." in messages


def test_the_approval_preview_names_a_missing_mention_in_french(
    collector_a, notice, creditor_a, today
):
    creditor_a.siren = ""
    creditor_a.save(update_fields=["siren"])
    page = collector_a.get(f"/worklist/actions/{notice.pk}/preview/")
    text = page_text(page)
    assert "Le SIREN du créancier manque." in text
    assert "The creditor's SIREN is missing." not in text
    # The check itself, as the CLI's letters commands use it, says it in English.
    problems = check_formal_notice(_context(notice, today))
    assert "The creditor's SIREN is missing." in [p.message for p in problems]


def _context(notice, today):
    from relance.apps.collection.contexts import action_request, letter_contexts

    request = action_request(notice, debtor=notice.debtor, case=notice.case)
    (built,) = letter_contexts([request], as_of=today, without_unknown_rates=True)
    return built.context


@pytest.mark.parametrize(
    ("source", "french", "english"),
    [
        (
            "Bonjour\n{{ ''.__class__ }}",
            "l’accès à « __class__ » est interdit",
            "access to '__class__' is not allowed",
        ),
        (
            "Bonjour\n{% if %}",
            "erreur de syntaxe : une expression est attendue, pas la fin du bloc d’instruction",
            "Expected an expression, got 'end of statement block'",
        ),
        (
            "Bonjour\n{% for i in invoices %}",
            "erreur de syntaxe : fin du modèle inattendue : il manque une de ces balises : "
            "« endfor » ou « else » ; le bloc à fermer est « for ».",
            "Unexpected end of template. Jinja was looking for the following tags: "
            "'endfor' or 'else'. The innermost block that needs to be closed is 'for'.",
        ),
        (
            "Bonjour\n{{ lipsum() }}",
            "appeler « lipsum » est interdit",
            "calling 'lipsum' is not allowed",
        ),
        (
            "Bonjour\n{{ debtor.name|majuscules }}",
            "aucun filtre ne s’appelle « majuscules »",
            "no filter named 'majuscules'",
        ),
    ],
)
def test_a_broken_or_unsafe_template_is_refused_in_french(
    admin_a, capsys, tmp_path, source, french, english
):
    page = admin_a.post("/templates/fr/reminder.txt/", {"action": "save", "source": source})
    assert page.status_code == 422
    text = page_text(page)
    assert "Ligne 2 :" in text
    assert french in text
    assert english not in text
    # The CLI's JSON keeps the English reason.
    path = tmp_path / "bad.j2"
    path.write_text(source, encoding="utf-8")
    code, out = run_cli(capsys, "template", "import", str(path), "--name", "reminder.txt", "--json")
    assert code == 1
    problem = json.loads(out)["problems"][0]
    assert english in problem["message"]
    assert problem == validate_template(source)[0].as_dict()


def test_a_service_refusal_on_the_settings_page_is_in_french(
    admin_a, creditor_a, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    identity = {"form": "identity", "name": "Alpha SAS", "payment_terms_days": 30}
    bad = admin_a.post("/settings/", {**identity, "siren": "123456789"})
    assert bad.status_code == 400
    text = page_text(bad)
    assert "le SIREN « 123456789 » n’est pas valide" in text
    assert "is not valid" not in text
    logo = SimpleUploadedFile("logo.gif", b"GIF89a....", "image/gif")
    refused = admin_a.post("/settings/", {"form": "logo", "logo": logo})
    assert "le logo doit être une image PNG ou JPEG" in page_text(refused)
    # The service says it in English to the CLI and the API.
    with pytest.raises(InvalidInputError) as error:
        creditor_settings_update(creditor=creditor_a, actor="test", siren="123456789")
    assert error.value.message == "SIREN '123456789' is not valid"


def test_english_pages_stay_english(collector_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    collector_a.cookies["django_language"] = "en"
    upload = SimpleUploadedFile("bad.csv", BAD_CSV.encode())
    response = collector_a.post(
        "/imports/", {"kind": "ledger", "file": upload}, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    text = page_text(response)
    assert "'31/02/2026' is not a date" in text
    assert "n’est pas une date" not in text


SCENARIO = """[scenario]
name = "Clients fidèles"

[[steps]]
key = "reminder"
offset_days = 30
channel = "email"

[[steps]]
key = "reminder_letter"
offset_days = 7
channel = "fax"
"""


def test_a_scenario_the_engine_refuses_is_explained_in_french(admin_a):
    from django.urls import reverse

    from relance.apps.editors.services import scenario_parse

    page = admin_a.post(reverse("workspace:scenario_new"), {"mode": "toml", "toml": SCENARIO})
    assert page.status_code == 422
    text = page_text(page)
    assert (
        "scénario « Clients fidèles » : les étapes doivent suivre l’ordre de leur décalage "
        "(offset_days) ; étape « reminder_letter » : le canal « fax » n’est pas l’un de ceux-ci"
    ) in text
    assert "must be in the order" not in text
    with pytest.raises(InvalidInputError) as error:
        scenario_parse(SCENARIO)
    assert error.value.message.startswith(
        "scenario 'Clients fidèles': steps must be in the order of their offset_days; "
        "step 'reminder_letter': channel 'fax' is not one of "
    )


def test_a_call_outcome_refused_by_the_service_is_said_in_french(collector_a, creditor_a, today):
    from datetime import timedelta

    from django.utils import formats

    _, call, _, _ = desk_for(creditor_a, today, "A")
    yesterday = today - timedelta(days=1)
    response = collector_a.post(
        f"/worklist/calls/{call.pk}/",
        {
            "outcome": "promise",
            f"c{call.pk}-promise-amount": "100",
            f"c{call.pk}-promise-date": yesterday.isoformat(),
        },
    )
    assert response.status_code == 400
    text = page_text(response)
    with translation.override("fr"):
        written = formats.date_format(yesterday)  # "22 novembre 2026"
    assert f"la date promise ({written}) est déjà passée" in text
    assert "already past" not in text


def test_an_imports_notes_are_in_french_too(collector_a, settings, tmp_path, capsys):
    settings.MEDIA_ROOT = tmp_path
    csv = HEADER.replace("\n", ";Commentaire\n") + GOOD_ROW.replace("\n", ";à rappeler\n")
    upload = SimpleUploadedFile("export.csv", csv.encode())
    response = collector_a.post("/imports/", {"kind": "ledger", "file": upload}, follow=True)
    text = page_text(response)
    assert "Colonnes ignorées : 'Commentaire'." in text
    assert "Columns ignored" not in text
    path = tmp_path / "export.csv"
    path.write_text(csv, encoding="utf-8")
    code, out = run_cli(capsys, "import", "ledger", str(path), "--dry-run", "--json")
    assert code == 0
    assert "Columns ignored: 'Commentaire'." in json.loads(out)["notes"]


def test_the_daily_pass_warnings_on_the_worklist_are_in_french(collector_a, creditor_a, today):
    from datetime import timedelta

    from relance.apps.collection.daily_pass import collection_run
    from relance.apps.collection.models import Scenario
    from tests.factories import DebtorFactory, InvoiceFactory

    for scenario in Scenario.objects.filter(is_default=True):
        if "public" in (scenario.debtor_kinds or []):
            scenario.is_default = False
            scenario.save(update_fields=["is_default"])
    town = DebtorFactory(creditor=creditor_a, name="Mairie de Lyon", kind="public")
    InvoiceFactory(
        debtor=town,
        creditor=creditor_a,
        number="P-1",
        issue_date=today - timedelta(days=60),
        due_date=today - timedelta(days=30),
    )
    response = collector_a.post("/worklist/run/", follow=True)
    text = page_text(response)
    assert "aucun scénario par défaut pour les débiteurs publics" in text
    assert "no default scenario" not in text
    result = collection_run(as_of=today, creditor=creditor_a, dispatch=False)
    assert "no default scenario for public debtors: import one with is_default" in [
        p.message for p in result.problems
    ]


# --- no raw code on a French page (issue #15) -------------------------------------------------

# The codes Relance stores and a page must say in words: steps, origins, events, states,
# buckets, import kinds and states, an import's question.
RAW_CODES = {
    *vocabulary.STEPS, *vocabulary.ORIGINS, *vocabulary.EVENTS, *vocabulary.STATES, *BUCKETS,
    "committed", "refused", "full_or_partial",
}


class _VisibleText(HTMLParser):
    """The text a reader sees: no tags, attributes, scripts or styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self._hidden += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def raw_codes_on(response) -> set[str]:
    assert response.status_code == 200
    parser = _VisibleText()
    parser.feed(response.content.decode())
    text = " ".join(parser.parts)
    found = {
        code: match.string[max(match.start() - 60, 0) : match.end() + 60]
        for code in RAW_CODES
        if (match := re.search(rf"(?<![\w.-]){re.escape(code)}(?![\w.-])", text))
    }
    return set(found.items())


def test_no_french_page_shows_a_raw_code(collector_a, creditor_a, settings, tmp_path, today):
    from datetime import timedelta
    from decimal import Decimal

    from relance.apps.banking.services import statement_import
    from relance.apps.ledger.models import Invoice
    from relance.apps.workspace import figures
    from tests.apps.banking._helpers import bank_csv

    settings.MEDIA_ROOT = tmp_path
    issued, due = today - timedelta(days=60), today - timedelta(days=30)
    rows = "".join(
        f"FA-{n:03d};411C{n % 2};Client {n % 2} SARL;{issued:%d/%m/%Y};{due:%d/%m/%Y};100,00\n" for n in range(1, 14)
    )
    first = collector_a.post("/imports/", {"kind": "ledger", "file": SimpleUploadedFile("a.csv", (HEADER + rows).encode())})
    collector_a.post(f"{first['Location']}confirm/", {"decision": "confirm"})
    statement_import(creditor=creditor_a, data=bank_csv((today, "100.00", "Client 1 SARL", "", "Facture FA-001")),
                     filename="releve.csv", as_of=today)
    collector_a.post("/imports/", {"kind": "ledger", "file": SimpleUploadedFile("bad.csv", BAD_CSV.encode())})
    # The same ledger again, FA-001 still open in it, most invoices left out: a conflict and the question.
    stale = collector_a.post("/imports/", {"kind": "ledger", "file": SimpleUploadedFile(
        "b.csv", (HEADER + rows.splitlines(keepends=True)[0]).encode())})
    review = collector_a.get(stale["Location"])
    assert "Facture FA-001" not in page_text(review)
    assert "absente du fichier" in page_text(review)
    assert raw_codes_on(review) == set()
    done = collector_a.post(f"{stale['Location']}confirm/", {"decision": "full"})
    assert "le paiement est conservé" in page_text(done)
    assert raw_codes_on(done) == set()
    figures.invalidate()
    debtor = Invoice.objects.get(creditor=creditor_a, number="FA-001").debtor
    for path in ["/", "/imports/", f"/debtors/{debtor.pk}/"]:
        response = collector_a.get(path)
        assert raw_codes_on(response) == set(), path
    timeline = page_text(collector_a.get(f"/debtors/{debtor.pk}/"))
    assert "Comptabilité en désaccord avec un paiement reçu" in timeline
    assert Decimal("0.00") == Invoice.objects.get(creditor=creditor_a, number="FA-001").open_amount
