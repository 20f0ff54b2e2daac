"""Working for someone else: an agency's letters and e-mails carry every R124-4 mention (read
back from the printed PDF with pdftotext), and its remittance statements add up (R124-5)."""

from __future__ import annotations

import csv
import email
import email.policy
import io
import json
import shutil
import subprocess
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from relance.apps.collection.contexts import letter_context_for
from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.letters import letters_batch
from relance.apps.collection.models import Action
from relance.apps.collection.pauses import promise_add
from relance.apps.creditors.services import agency_clear, agency_set
from relance.apps.ledger.models import Allocation, Payment
from relance.cli import main
from relance.documents.agency import agency_missing
from relance.documents.context import ClaimLine
from relance.documents.formal_notice import check_formal_notice
from relance.documents.formatting import format_date, format_money
from relance.documents.pdf import render_letter
from relance.domain.errors import InvalidInputError
from relance.domain.law.agency import ACTIVITY_FR, L111_8_PARAGRAPHS
from tests.factories import CreditorFactory, DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db
needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext is not installed")
DUE = date(2026, 2, 2)
DECLARED = "déclaration au procureur de la République de Lyon n° 2025-117"


def pdftotext(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def folded(text: str) -> str:
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


@pytest.fixture
def creditor(db):
    creditor = CreditorFactory(
        name="Atelier Durand", siren="552100554", address="12 rue des Tanneurs", postal_code="69002",
        city="Lyon", iban="FR7630006000011234567890189", bic="AGRIFRPP",
    )
    agency_set(creditor=creditor, name="Recouvre Conseil SAS", address="8 quai Saint-Vincent",
               postal_code="69001", city="Lyon", activity=DECLARED, commission_rate=Decimal("12.50"),
               since=date(2026, 1, 1))
    return creditor


def debtor_owing(creditor):
    debtor = DebtorFactory(creditor=creditor, name="Garage Martin SARL", address="3 avenue Foch",
                           postal_code="42000", city="Saint-Étienne", siren="732829320")
    first = InvoiceFactory(debtor=debtor, creditor=creditor, number="FA-2026-001", issue_date=date(2026, 1, 2),
                           due_date=DUE, total_amount=Decimal("1500.00"))
    second = InvoiceFactory(debtor=debtor, creditor=creditor, number="FA-2026-007", issue_date=date(2026, 1, 3),
                            due_date=DUE + timedelta(days=1), total_amount=Decimal("480.00"))
    return debtor, first, second


def assert_r124_4(text, *, creditor, invoices, total, reference, first_date, interest_words=()):
    flat = folded(text)
    for words in ("Recouvre Conseil SAS", "8 quai Saint-Vincent, 69001 Lyon", ACTIVITY_FR, DECLARED,
                  "Atelier Durand, 12 rue des Tanneurs, 69002 Lyon", "Aucun frais de recouvrement",
                  "L111-8", "FR76 3000 6000 0112 3456 7890 189", *interest_words):
        assert folded(words) in flat, words
    for number, amount in invoices:
        assert f"facture {number} du" in flat
        assert folded(format_money(Decimal(amount))) in flat
    assert folded(f"Total réclamé : {format_money(total)}") in flat
    assert folded(f"Nous vous demandons de régler la somme de {format_money(total)}") in flat
    assert f"en rappelant la référence {reference}" in flat
    assert all(folded(p) in flat for p in L111_8_PARAGRAPHS)
    if first_date is None:
        assert f"Ce courrier est notre premier courrier : référence {reference} du" in flat
    else:
        assert f"Référence et date de notre premier courrier : {reference} du {format_date(first_date)}" in flat
    assert "frais de dossier" not in flat.lower()


@needs_pdftotext
def test_every_letter_and_e_mail_of_an_agency_carries_the_r124_4_mentions(creditor, outbox, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    debtor, _first, _second = debtor_owing(creditor)
    for n in range(-6, 30):
        day = DUE + timedelta(days=n)
        collection_run(creditor=creditor, as_of=day)
        letters_batch(as_of=day, creditor=creditor, workers=1)
    reference = f"R-2026-{Action.objects.filter(debtor=debtor).first().case_id:04d}"
    invoices = [("FA-2026-001", "1500.00"), ("FA-2026-007", "480.00")]
    mails = {}
    for path in outbox.glob("**/*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        mails[str(message["Subject"])] = message.get_body(("plain",)).get_content()
    sent = list(Action.objects.filter(debtor=debtor, state="sent").order_by("planned_date"))
    assert [a.step_key for a in sent] == ["courtesy", "reminder", "invoice_again", "reminder_letter"]
    courtesy, reminder, again, letter = sent
    # The first written message says it is the first; every later one repeats its reference.
    assert_r124_4(mails[courtesy.subject], creditor=creditor, invoices=invoices, total=Decimal("1980.00"),
                  reference=reference, first_date=None)
    for later in (reminder, again):
        assert_r124_4(mails[later.subject], creditor=creditor, invoices=invoices, total=Decimal("1980.00"),
                      reference=reference, first_date=courtesy.planned_date)
    printed = pdftotext((Path(settings.MEDIA_ROOT) / letter.document.name).read_bytes())
    assert_r124_4(printed, creditor=creditor, invoices=invoices, total=Decimal("1980.00"), reference=reference,
                  first_date=courtesy.planned_date,
                  interest_words=("courues à ce jour, non réclamées dans ce courrier : "
                                  f"{format_money(Decimal('96.31'))}",))
    assert agency_missing(printed, letter_context_for(case_or_debtor=debtor, step_key="reminder_letter",
                                                      as_of=DUE + timedelta(days=30)).agency,
                          creditor="Atelier Durand", total=folded(format_money(Decimal("1980.00"))),
                          reference=reference) == []
    # The mise en demeure claims the penalties and the indemnities too, each with its basis.
    day = DUE + timedelta(days=40)
    context = letter_context_for(case_or_debtor=debtor, step_key="formal_notice", as_of=day)
    notice = pdftotext(render_letter(context, "formal_notice"))
    assert_r124_4(notice, creditor=creditor, invoices=invoices, total=context.amount_claimed, reference=reference,
                  first_date=courtesy.planned_date,
                  interest_words=("Intérêts de retard :", "L441-10", "Indemnité forfaitaire pour frais de "
                                  f"recouvrement : {format_money(Decimal('80.00'))}", "D441-5"))
    assert context.amount_claimed > Decimal("2060.00")
    # The block says no collection cost is charged and quotes L111-8: the mise en demeure's check
    # takes none of it for a forbidden head of claim, to a business or to a consumer.
    assert [p.code for p in check_formal_notice(context)] == []
    person = DebtorFactory(creditor=creditor, kind="consumer", name="Jeanne Petit", address="5 rue Vaubecour",
                           postal_code="69002", city="Lyon")
    InvoiceFactory(debtor=person, creditor=creditor, issue_date=date(2026, 1, 2), due_date=DUE,
                   total_amount=Decimal("300.00"))
    consumer = letter_context_for(case_or_debtor=person, step_key="formal_notice", as_of=day)
    assert consumer.agency is not None
    assert [p.message for p in check_formal_notice(consumer) if p.code == "forbidden_claim"] == []
    fees = replace(context, other_claims=(ClaimLine("Frais de dossier", Decimal("50.00")),))
    assert "forbidden_claim" in [p.code for p in check_formal_notice(fees)]


def test_without_an_agency_a_letter_carries_no_agency_mention(creditor):
    debtor, _, _ = debtor_owing(creditor)
    agency_clear(creditor=creditor)
    context = letter_context_for(case_or_debtor=debtor, step_key="reminder_letter", as_of=DUE + timedelta(days=30))
    assert context.agency is None
    from relance.documents.templates import render_step

    assert "R124-4" not in render_step(context, "reminder_letter").text


@pytest.mark.parametrize(
    ("changes", "words"),
    [({"activity": " "}, "declared activity"), ({"commission_rate": Decimal("100")}, "percentage"),
     ({"commission_rate": Decimal("12.345")}, "percentage")],
)
def test_an_agency_without_its_r124_4_identity_or_with_a_bad_commission_is_refused(creditor, changes, words):
    values = {"name": "X", "address": "1 rue A", "postal_code": "75001", "city": "Paris", "activity": "decl",
              "commission_rate": Decimal("10"), "since": date(2026, 1, 1), **changes}
    with pytest.raises(InvalidInputError, match=words):
        agency_set(creditor=creditor, **values)


def pay(creditor, debtor, invoices, amount, day, origin="bank"):
    payment = Payment.objects.create(creditor=creditor, debtor=debtor, value_date=day, amount=Decimal(amount),
                                     reference=f"VIR {day}", origin=origin)
    left = Decimal(amount)
    for invoice in invoices:
        part = min(left, invoice.open_amount)
        Allocation.objects.create(payment=payment, invoice=invoice, amount=part)
        left -= part
    return payment


def test_the_remittance_lists_the_payments_of_the_period_with_the_commission_to_the_cent(
    creditor, tmp_path, capsys
):
    debtor, first, second = debtor_owing(creditor)
    other = DebtorFactory(creditor=creditor)
    third = InvoiceFactory(debtor=other, creditor=creditor, total_amount=Decimal("99.99"))
    pay(creditor, debtor, [first], "1234.50", date(2026, 3, 3))
    pay(creditor, other, [third], "99.99", date(2026, 3, 31))
    pay(creditor, debtor, [second], "480.00", date(2026, 4, 1))  # after the period
    pay(creditor, debtor, [first], "265.50", date(2026, 2, 27))  # before it
    Payment.objects.create(creditor=creditor, value_date=date(2026, 3, 10), amount=Decimal("500.00"),
                           origin="ledger", reference="ledger import #1")  # the creditor's own books
    # A proposal to pay later, recorded in the period, is reported too (R124-5 al. 2).
    promise_add(creditor=creditor, debtor_account=other.account, amount=Decimal("50.00"),
                promised_date=timezone.localdate() + timedelta(days=20), as_of=timezone.localdate())
    csv_path, pdf_path = tmp_path / "releve.csv", tmp_path / "releve.pdf"
    assert main(["agency", "remittance", "--from", "2026-03-01", "--to", "2026-03-31", "--csv", str(csv_path),
                 "--pdf", str(pdf_path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["proposals"] == []  # recorded today, outside March 2026
    today = timezone.localdate().isoformat()
    assert main(["agency", "remittance", "--from", today, "--to", today, "--json"]) == 0
    [proposal] = json.loads(capsys.readouterr().out)["proposals"]
    assert (proposal["kind"], proposal["amount"], proposal["account"]) == ("promise", "50.00", other.account)
    # 1234.50 × 12.5 % = 154.3125 → 154.31; 99.99 × 12.5 % = 12.49875 → 12.50
    assert [(p["amount"], p["commission"], p["net"], p["invoices"]) for p in out["payments"]] == [
        ("1234.50", "154.31", "1080.19", "FA-2026-001"), ("99.99", "12.50", "87.49", third.number)]
    assert (out["collected"], out["commission"], out["net"]) == ("1334.49", "166.81", "1167.68")
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"))))
    assert [r["amount"] for r in rows] == ["1234.50", "99.99", "1334.49"]
    assert (rows[-1]["debtor"], rows[-1]["commission"], rows[-1]["net"]) == ("TOTAL", "166.81", "1167.68")
    if shutil.which("pdftotext"):
        text = folded(pdftotext(pdf_path.read_bytes()))
        assert "R124-5" in text
        assert "Recouvre Conseil SAS" in text
        for amount in ("1334.49", "166.81", "1167.68", "154.31"):
            assert folded(format_money(Decimal(amount))) in text


def test_a_remittance_needs_an_agency_and_a_period_that_ends_after_it_starts(db, capsys):
    CreditorFactory()
    assert main(["agency", "remittance", "--from", "2026-03-01", "--to", "2026-03-31"]) == 1
    assert "No agency collects" in capsys.readouterr().err
