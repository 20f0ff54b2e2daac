"""Letters from the models: the context, the reminder letter, the mise en demeure, the day's
batch with its stored proof, and registered-letter delivery."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from relance.apps.audit.models import Event
from relance.apps.audit.services import chain_verify
from relance.apps.collection.contexts import letter_context_for
from relance.apps.collection.letters import letter_deliver, letters_batch
from relance.apps.collection.messages import document_render
from relance.apps.collection.models import Action, Case
from relance.apps.collection.pauses import case_for
from relance.apps.ledger.models import Allocation, Payment
from relance.documents.formal_notice import check_formal_notice
from relance.domain.errors import InvalidInputError
from relance.domain.law.rates import UnknownRateError
from tests.factories import CreditorFactory, DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db
needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext is not installed")
AS_OF = date(2026, 4, 15)


def pdftotext(data: bytes, *args: str) -> str:
    return subprocess.run(["pdftotext", *args, "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def creditor(db):
    return CreditorFactory(
        name="Atelier Durand", siren="552100554", vat_number="FR40552100554", address="12 rue des Tanneurs",
        postal_code="69002", city="Lyon", iban="FR7630006000011234567890189", bic="AGRIFRPP",
        email="compta@durand.example", phone="04 78 00 00 00", signature="Marie Durand, gérante",
        pay_link_template="https://pay.durand.example/{debtor}?amount={amount}",
    )


def _sent(debtor, case, step, channel, day, **extra):
    moment = timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=9))
    return Action.objects.create(
        creditor=debtor.creditor, debtor=debtor, case=case, step_key=step, channel=channel, template=step,
        planned_date=day, state=extra.pop("state", Action.State.SENT), sent_at=moment,
        idempotency_key=f"{debtor.pk}:{step}:{day}", **extra,
    )


def make_debtor(creditor, account="411DUPONT", *, siren="732829320", kind="business"):
    debtor = DebtorFactory(creditor=creditor, account=account, name=f"Dupont Bâtiment {account[-2:]}", kind=kind,
                           siren=siren, address="5 avenue Foch", postal_code="75016", city="Paris",
                           email="compta@dupont.example")
    InvoiceFactory(debtor=debtor, creditor=creditor, number=f"FA-{account}-1", issue_date=date(2026, 1, 5),
                   due_date=date(2026, 2, 4), total_amount=Decimal("1200.00"))
    inv = InvoiceFactory(debtor=debtor, creditor=creditor, number=f"FA-{account}-2", issue_date=date(2026, 1, 20),
                         due_date=date(2026, 2, 19), total_amount=Decimal("800.00"), open_amount=Decimal("500.00"))
    pay = Payment.objects.create(creditor=creditor, debtor=debtor, value_date=date(2026, 3, 2),
                                 amount=Decimal("300.00"), origin=Payment.Origin.BANK, reference="VIR DUPONT")
    Allocation.objects.create(payment=pay, invoice=inv, amount=Decimal("300.00"))
    case = case_for(debtor=debtor, as_of=date(2026, 2, 7))
    _sent(debtor, case, "reminder", "email", date(2026, 2, 7), subject="Rappel : facture échue")
    _sent(debtor, case, "invoice_again", "email", date(2026, 2, 14), subject="Votre facture en copie")
    _sent(debtor, case, "call", "call", date(2026, 2, 19), state=Action.State.PLANNED,
          outcome={"summary": "le comptable va vérifier"})
    # Never reached the debtor: not an attempt.
    _sent(debtor, case, "courtesy", "email", date(2026, 1, 30), state=Action.State.SKIPPED)
    return debtor, case


def planned(debtor, case, step, channel, *, state=Action.State.APPROVED, day=AS_OF):
    return Action.objects.create(
        creditor=debtor.creditor, debtor=debtor, case=case, step_key=step, channel=channel, template=step,
        planned_date=day, state=state, requires_approval=state == Action.State.APPROVED,
        idempotency_key=f"{debtor.pk}:{step}:planned",
    )


def test_the_context_from_the_models(creditor):
    debtor, case = make_debtor(creditor)
    ctx = letter_context_for(case_or_debtor=debtor, step_key="reminder_letter", as_of=AS_OF, lang="fr")
    assert [i.number for i in ctx.invoices] == ["FA-411DUPONT-1", "FA-411DUPONT-2"]
    assert ctx.principal == Decimal("1700.00")
    assert ctx.invoices[1].payments == ((date(2026, 3, 2), Decimal("300.00")),)
    assert [(a.date, a.channel) for a in ctx.attempts] == [
        (date(2026, 2, 7), "email"), (date(2026, 2, 14), "email"), (date(2026, 2, 19), "call")]
    assert ctx.attempts[2].summary == "le comptable va vérifier"
    assert ctx.channel == "letter"
    assert ctx.reference == f"R-2026-{case.pk:04d}"
    assert ctx.penalties is not None
    assert len(ctx.penalties.lines) == 2
    assert ctx.penalties.indemnity_total == Decimal("80.00")
    assert ctx.penalties.lines[0].start == date(2026, 2, 5)
    assert ctx.pay_link().startswith("https://pay.durand.example/411DUPONT?amount=")
    assert ctx.notice_date is None
    assert ctx.payment is not None
    assert ctx.payment.amount == Decimal("300.00")
    # The same context from the case.
    assert letter_context_for(case_or_debtor=case, step_key="reminder_letter", as_of=AS_OF).invoices == ctx.invoices


def test_an_unpublished_semester_is_refused_naming_rates_add(creditor):
    debtor, _ = make_debtor(creditor)
    with pytest.raises(UnknownRateError) as info:
        letter_context_for(case_or_debtor=debtor, step_key="formal_notice", as_of=date(2026, 8, 17))
    assert "relance rates add" in str(info.value)
    assert "2026 H2" in str(info.value)
    # A step that states no penalty needs no rate.
    ctx = letter_context_for(case_or_debtor=debtor, step_key="reminder", as_of=date(2026, 8, 17))
    assert ctx.penalties is None


@needs_pdftotext
def test_the_reminder_letter_restates_invoices_and_earlier_attempts(creditor):
    make_debtor(creditor)
    doc = document_render(creditor=creditor, debtor_account="411DUPONT", step_key="reminder_letter", as_of=AS_OF)
    assert doc.kind == "pdf"
    assert doc.data.startswith(b"%PDF")
    text = " ".join(pdftotext(doc.data).split())
    for needle in ("FA-411DUPONT-1", "FA-411DUPONT-2", "5 janvier 2026", "4 février 2026", "1 200,00 €",
                   "500,00 €", "7 février 2026", "14 février 2026", "19 février 2026", "courriel",
                   "appel téléphonique", "le comptable va vérifier", "À Lyon, le 15 avril 2026", "L441-10"):
        assert needle in text, needle
    english = document_render(creditor=creditor, debtor_account="411DUPONT", step_key="reminder_letter",
                              as_of=AS_OF, lang="en")
    assert "February 7, 2026" in " ".join(pdftotext(english.data).split()) or "7 February 2026" in " ".join(
        pdftotext(english.data).split())


@needs_pdftotext
def test_the_mise_en_demeure_passes_the_validator(creditor):
    debtor, _ = make_debtor(creditor)
    ctx = letter_context_for(case_or_debtor=debtor, step_key="formal_notice", as_of=AS_OF)
    assert ctx.channel == "registered_letter"
    assert check_formal_notice(ctx) == []
    doc = document_render(creditor=creditor, debtor_account="411DUPONT", step_key="formal_notice", as_of=AS_OF)
    assert doc.problems == ()
    text = pdftotext(doc.data)
    assert "MISE EN DEMEURE" in text
    assert "recommandée avec accusé de réception" in " ".join(text.split())


@needs_pdftotext
def test_the_day_s_batch_stores_each_letter_as_sent(creditor, media):
    d1, c1 = make_debtor(creditor, "411AA")
    d2, c2 = make_debtor(creditor, "411BB")
    d3, c3 = make_debtor(creditor, "411CC", siren="")  # a company whose SIREN is unknown
    letter = planned(d1, c1, "reminder_letter", "letter", state=Action.State.PLANNED)
    notice = planned(d2, c2, "formal_notice", "registered_letter")
    refused = planned(d3, c3, "formal_notice", "registered_letter")
    later = planned(d1, c1, "escalation", "letter", day=AS_OF + timedelta(days=1))
    waiting = planned(d2, c2, "reminder_letter", "letter", state=Action.State.PLANNED)
    waiting.requires_approval = True
    waiting.save()

    result = letters_batch(as_of=AS_OF, workers=1)

    assert [x["action"] for x in result.letters] == [letter.pk, notice.pk]
    assert [x["action"] for x in result.refused] == [refused.pk]
    assert any(p.code == "debtor_siren" for p in result.problems)
    cover = pdftotext(result.pdf, "-l", "1")
    assert "Lettres du 15 avril 2026" in cover
    assert "2 lettres" in cover
    assert d1.name in cover
    assert d2.name in cover
    assert d3.name not in cover
    assert "MISE EN DEMEURE" not in cover
    whole = pdftotext(result.pdf)
    assert whole.count("MISE EN DEMEURE") >= 1
    for a in (letter, notice):
        a.refresh_from_db()
        assert a.state == Action.State.SENT
        assert a.sent_at is not None
        stored = (Path(media) / a.document.name).read_bytes()
        assert hashlib.sha256(stored).hexdigest() == a.sha256
        assert a.document.name == f"documents/{a.sha256}.pdf"
        event = Event.objects.get(kind="action.sent", subject_id=a.pk)
        assert event.payload["sha256"] == a.sha256
        assert event.payload["note"] == "document as sent"
        assert event.payload["batch_sha256"] == result.sha256
    assert "MISE EN DEMEURE" in pdftotext((Path(media) / notice.document.name).read_bytes())
    assert (Path(media) / f"documents/{result.sha256}.pdf").read_bytes() == result.pdf
    for a, state in ((refused, "approved"), (later, "approved"), (waiting, "planned")):
        a.refresh_from_db()
        assert a.state == state
        assert not a.sha256
    assert Event.objects.filter(kind="action.refused", subject_id=refused.pk).exists()
    assert chain_verify().ok
    # Printed once: a second batch for the day has nothing left but the refused letter.
    again = letters_batch(as_of=AS_OF, workers=1)
    assert again.letters == []
    assert again.pdf == b""
    assert len(again.refused) == 1


def test_a_batch_refuses_a_letter_needing_an_unpublished_rate(creditor):
    debtor, case = make_debtor(creditor)
    action = planned(debtor, case, "reminder_letter", "letter", day=date(2026, 8, 17))
    result = letters_batch(as_of=date(2026, 8, 17), workers=1)
    assert result.letters == []
    assert result.refused[0]["action"] == action.pk
    assert "relance rates add" in result.problems[0].message
    action.refresh_from_db()
    assert action.state == Action.State.APPROVED


@needs_pdftotext
def test_delivery_records_tracking_and_receipt_which_becomes_the_notice_date(creditor):
    debtor, case = make_debtor(creditor, kind="consumer", siren="")
    notice = planned(debtor, case, "formal_notice", "registered_letter")
    letter = planned(debtor, case, "reminder_letter", "letter")
    with pytest.raises(InvalidInputError, match="print it first"):
        letter_deliver(action_id=notice.pk, tracking="1A00000000001")
    letters_batch(as_of=AS_OF, workers=1)
    with pytest.raises(InvalidInputError, match="not a registered letter"):
        letter_deliver(action_id=letter.pk, tracking="1A00000000001")
    a = letter_deliver(action_id=notice.pk, tracking="1A00000000001")
    assert (a.tracking_number, a.received_date, a.not_claimed) == ("1A00000000001", None, False)
    with pytest.raises(InvalidInputError, match="before it was sent"):
        letter_deliver(action_id=notice.pk, tracking="1A00000000001", received=date(2026, 4, 1))
    a = letter_deliver(action_id=notice.pk, tracking="1A00000000001", received=date(2026, 4, 17))
    a.refresh_from_db()
    assert a.received_date == date(2026, 4, 17)
    assert Event.objects.get(kind="action.received", subject_id=a.pk).payload["received"] == "2026-04-17"
    with pytest.raises(InvalidInputError, match="not rewritten"):
        letter_deliver(action_id=notice.pk, tracking="1A00000000001", received=date(2026, 4, 18))
    # Civil interest runs from the receipt for a consumer; later letters carry the notice date.
    before = letter_context_for(case_or_debtor=debtor, step_key="escalation", as_of=date(2026, 4, 16))
    assert before.notice_date is None
    assert before.penalties is not None
    assert not before.penalties.lines
    after = letter_context_for(case_or_debtor=debtor, step_key="escalation", as_of=date(2026, 5, 17))
    assert after.notice_date == date(2026, 4, 17)
    assert after.penalties is not None
    assert after.penalties.lines
    assert after.penalties.lines[0].start == date(2026, 4, 18)
    assert after.penalties.indemnity_total == 0
    (sent,) = [x for x in after.attempts if x.channel == "registered_letter"]
    assert sent.date == date(2026, 4, 15)
    assert sent.summary.startswith("MISE EN DEMEURE")


def test_not_claimed(creditor):
    debtor, case = make_debtor(creditor)
    notice = planned(debtor, case, "formal_notice", "registered_letter")
    letters_batch(as_of=AS_OF, workers=1)
    a = letter_deliver(action_id=notice.pk, tracking="1A2", not_claimed=True)
    assert a.not_claimed
    assert a.received_date is None
    assert Event.objects.filter(kind="action.not_claimed", subject_id=a.pk).exists()
    assert Case.objects.get(pk=case.pk).debtor_id == debtor.pk
