"""From the first reminder to the dossier (issue 17), day by day through the CLI.

A small portfolio is chased over simulated days (``relance run``, ``actions approve``, ``letters
batch``, ``actions deliver``), then ``relance dossier build`` makes each route's ZIP. The ZIP is
opened: the PDF's text (pdftotext) holds the décompte and the bordereau, every pièce is in it
with the SHA-256 the audit trail recorded, and the totals are those of ``relance interest``.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pytest

from relance.apps.audit.models import Event
from relance.apps.audit.services import chain_verify
from relance.apps.collection.models import Action, Scenario
from relance.apps.collection.pauses import dispute_open
from relance.apps.collection.scenarios import scenario_import, scenarios_load_defaults
from relance.apps.ledger.attach import invoice_pdfs_attach
from relance.apps.ledger.models import Allocation, Invoice, Payment
from tests.apps.legal.helpers import cli
from tests.factories import CreditorFactory, DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db
DUE = date(2026, 3, 2)
LAST = 50
SCENARIO = """
[scenario]
name = "Jusqu'au dossier"
debtor_kinds = ["business"]

[[steps]]
key = "reminder"
offset_days = 3
channel = "email"
template = "reminder"

[[steps]]
key = "reminder_letter"
offset_days = 10
channel = "letter"
template = "reminder_letter"

[[steps]]
key = "formal_notice"
offset_days = 18
channel = "registered_letter"
template = "formal_notice"
requires_approval = true

[[steps]]
key = "escalation"
offset_days = 40
channel = "task"
template = "escalation"
"""


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_URL = f"file://{tmp_path / 'outbox'}"


@pytest.fixture
def creditor(db):
    scenarios_load_defaults()
    Scenario.objects.update(is_default=False)
    scenario_import(text=SCENARIO, is_default=True)
    return CreditorFactory(
        name="Atelier Durand", siren="552100554", vat_number="FR40552100554",
        address="12 rue des Tanneurs", postal_code="69002", city="Lyon",
        iban="FR7630006000011234567890189", bic="AGRIFRPP", email="compta@durand.example",
        signature="Marie Durand, gérante",
    )


def debtor(creditor, account, *amounts, city="Lyon"):
    d = DebtorFactory(creditor=creditor, account=account, name=f"Client {account} SAS",
                      kind="business", siren="732829320", address="5 quai Saint-Vincent",
                      postal_code="69001", city=city, email=f"{account.lower()}@client.example")
    for n, amount in enumerate(amounts):
        InvoiceFactory(debtor=d, creditor=creditor, number=f"FA-{account}-{n + 1}",
                       issue_date=DUE - timedelta(days=30), due_date=DUE + timedelta(days=2 * n),
                       total_amount=Decimal(amount))
    return d


def day(n: int) -> date:
    return DUE + timedelta(days=n)


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "dossier.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def money(value) -> str:
    whole, cents = f"{Decimal(value):,.2f}".split(".")
    return f"{whole.replace(',', ' ')},{cents} €"


@pytest.mark.slow
def test_a_portfolio_chased_to_the_dossier(creditor, capsys, tmp_path):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    acme = debtor(creditor, "ACME", "1500.00", "800.00")
    silent = debtor(creditor, "MUET", "900.00")
    disputed = debtor(creditor, "LITIGE", "700.00")
    big = debtor(creditor, "GROS", "5200.00")
    # The invoice PDFs, as the invoicing tool keeps them.
    from weasyprint import HTML

    folder = tmp_path / "pdfs"
    folder.mkdir()
    for invoice in Invoice.objects.filter(debtor=acme):
        (folder / f"{invoice.number}.pdf").write_bytes(HTML(string=f"<p>Facture {invoice.number}</p>").write_pdf())
    assert not invoice_pdfs_attach(creditor=creditor, paths=[folder]).problems
    first = Invoice.objects.get(number="FA-ACME-1")
    notices: dict[str, int] = {}
    for n in range(LAST + 1):
        if n == 8:  # a partial payment on the first invoice
            pay = Payment.objects.create(creditor=creditor, debtor=acme, value_date=day(8),
                                         amount=Decimal("300.00"), origin="bank", reference="VIR ACME")
            Allocation.objects.create(payment=pay, invoice=first, amount=Decimal("300.00"))
            Invoice.objects.filter(pk=first.pk).update(open_amount=Decimal("1200.00"))
        if n == 25:
            for account, received in (("ACME", 22), ("GROS", 23), ("LITIGE", 23)):
                code, _, err = cli(capsys, "actions", "deliver", notices[account], "--tracking",
                                   f"1A0000000{account}", "--received", day(received).isoformat())
                assert code == 0, err
        if n == 30:
            dispute_open(creditor=creditor, invoice_number="FA-LITIGE-1", reason="livraison contestée",
                         as_of=day(30))
        code, _, err = cli(capsys, "run", "--as-of", day(n).isoformat())
        assert code == 0, err
        cli(capsys, "actions", "approve", "--all")
        code, _, err = cli(capsys, "letters", "batch", "--as-of", day(n).isoformat(), "--out",
                           tmp_path / f"batch-{n}.pdf")
        assert code == 0, err
        for a in Action.objects.filter(step_key="formal_notice").select_related("debtor"):
            notices[a.debtor.account] = a.pk
    # A message never seen to leave: it must never be cited as proof.
    Action.objects.filter(debtor=acme, step_key="reminder").update(state="uncertain")
    uncertain = Action.objects.get(debtor=acme, step_key="reminder")
    sent = list(Action.objects.filter(debtor=acme, state="sent", channel__in=("email", "letter", "registered_letter")))
    assert {a.step_key for a in sent} == {"reminder_letter", "formal_notice"}

    as_of = day(LAST)
    out = tmp_path / "acme.zip"
    code, stdout, err = cli(capsys, "dossier", "build", "--debtor", "ACME", "--route", "injonction",
                            "--as-of", as_of.isoformat(), "--out", out, "--json")
    assert code == 0, err
    summary = json.loads(stdout)
    archive = zipfile.ZipFile(io.BytesIO(out.read_bytes()))
    names = set(archive.namelist())
    claim = json.loads(archive.read("creance.json"))
    # The court: between businesses, the debtor's seat in Lyon, one of the twelve TAE.
    assert claim["court"]["name"] == "Tribunal des activités économiques de Lyon"
    assert claim["court"]["cerfa"] == "12946"
    # Every pièce with a file is in the ZIP, with the hash the audit trail recorded.
    recorded = {e.payload.get("sha256") for e in Event.objects.filter(creditor_id=creditor.pk)}
    files = [e for e in claim["exhibits"] if e["file"]]
    assert len(files) == 4  # two invoices, the reminder letter, the mise en demeure
    for exhibit in files:
        assert exhibit["file"] in names
        assert hashlib.sha256(archive.read(exhibit["file"])).hexdigest() == exhibit["sha256"]
        assert exhibit["sha256"] in recorded
    assert uncertain.sha256 not in {e["sha256"] for e in claim["exhibits"]}
    titles = [e["title"] for e in claim["exhibits"]]
    assert any(t.startswith("Avis de réception de la lettre recommandée n° 1A0000000ACME") for t in titles)
    # The dossier itself is stored and recorded like any document sent.
    (built,) = Event.objects.filter(kind="legal.dossier_built")
    assert built.payload["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest() == summary["sha256"]
    assert built.payload["pdf_sha256"] == hashlib.sha256(archive.read("dossier.pdf")).hexdigest()

    # The figures are the law engine's: each invoice as `relance interest` computes it.
    total = Decimal(0)
    for invoice in claim["invoices"]:
        args = ["interest", "--regime", "fr-b2b", "--principal", invoice["principal"], "--from",
                invoice["due_date"], "--to", as_of.isoformat(), "--json"]
        if invoice["number"] == "FA-ACME-1":
            args += ["--payment", f"{day(8).isoformat()}:300"]
        code, engine, err = cli(capsys, *args)
        assert code == 0, err
        engine = json.loads(engine)
        assert invoice["amount_due"] == engine["amount_due"]
        assert invoice["outstanding_interest"] == engine["outstanding_interest"]
        assert invoice["indemnity"] == engine["indemnity"] == "40.00"
        total += Decimal(engine["amount_due"])
    assert claim["totals"]["total"] == summary["total"] == str(total)
    # The PDF says it: the décompte lines with their fondement, the bordereau, the total.
    text = pdf_text(archive.read("dossier.pdf"), tmp_path)
    for line in claim["lines"]:
        if line["section"] == "interest" and line["rate"]:
            start, end = date.fromisoformat(line["start"]), date.fromisoformat(line["end"])
            assert f"du {start:%d/%m/%Y} au {end:%d/%m/%Y}, {line['days']} jours au taux de" in text
            assert f"Fondement : {line['basis']}" in text
        if line["section"] == "payment":
            assert f"Règlement reçu le {day(8):%d/%m/%Y}" in text
    assert "Principal : facture n° FA-ACME-1" in text
    assert "Principal : facture n° FA-ACME-2" in text
    assert "C. com. L441-10" in text
    assert "D441-5" in text
    assert "Bordereau des pièces" in text
    for exhibit in claim["exhibits"]:
        assert exhibit["title"][:40] in text
        if exhibit["sha256"]:
            assert exhibit["sha256"] in text.replace(" ", "")
    assert f"Total dû au {as_of.day} avril 2026 {money(total)}" in text
    # The CSV for the recipient's software has the same total.
    assert archive.read("creance.csv").decode().strip().splitlines()[-1].endswith(f",{total},,")

    # Refusals, each with its reason, and nothing recorded for them.
    code, _, err = cli(capsys, "dossier", "build", "--debtor", "MUET", "--route", "injonction",
                       "--as-of", as_of.isoformat(), "--out", tmp_path / "x.zip")
    assert code == 1
    assert "Aucune mise en demeure reçue" in err
    code, _, err = cli(capsys, "dossier", "build", "--debtor", "LITIGE", "--route", "injonction",
                       "--as-of", as_of.isoformat(), "--out", tmp_path / "x.zip")
    assert code == 1
    assert "Facture contestée (FA-LITIGE-1)" in err
    code, _, err = cli(capsys, "dossier", "build", "--debtor", "GROS", "--route", "psrpc",
                       "--as-of", as_of.isoformat(), "--out", tmp_path / "x.zip")
    assert code == 1
    assert "limitée à 5000.00 EUR" in err
    assert Event.objects.filter(kind="legal.dossier_built").count() == 1
    # The small-claims procedure needs no mise en demeure: the silent debtor's goes that way.
    code, _, err = cli(capsys, "dossier", "build", "--debtor", "MUET", "--route", "psrpc",
                       "--as-of", as_of.isoformat(), "--out", tmp_path / "muet.zip")
    assert code == 0, err
    # The hand-off to an agency: the mandate summary, the claim as CSV and JSON.
    code, _, err = cli(capsys, "dossier", "build", "--debtor", "GROS", "--route", "agency",
                       "--as-of", as_of.isoformat(), "--out", tmp_path / "gros.zip")
    assert code == 0, err
    handoff = zipfile.ZipFile(tmp_path / "gros.zip")
    assert {"dossier.pdf", "creance.csv", "creance.json"} <= set(handoff.namelist())
    assert "Résumé du mandat (CPCE R124-3)" in pdf_text(handoff.read("dossier.pdf"), tmp_path)
    assert not [a for a in Action.objects.filter(debtor=silent) if a.state == "uncertain"]
    assert disputed.pk
    assert big.pk
    assert chain_verify().ok
