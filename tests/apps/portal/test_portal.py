"""The debtor portal, through Django's test client on the real database: the signed link opens
one debtor's account and nothing else; a dispute stops the chase; a plan proposal reaches the
collector; the e-mails carry the link only when the install has a public address."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import signing
from django.core.files.base import ContentFile
from django.utils import timezone

from relance.apps.audit.models import Event
from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.models import Action, Dispute, PaymentPlan
from relance.apps.collection.portal_links import (
    SALT,
    PortalLinkError,
    portal_token,
    portal_token_read,
    portal_url,
)
from relance.apps.portal.services import POSTS_PER_DAY
from relance.apps.workspace.services import user_create
from relance.documents.qr import parse_epc_payload
from tests.factories import CreditorFactory, DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db
BASE = "https://relance.example.fr"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_URL = f"file://{tmp_path / 'outbox'}"
    settings.PUBLIC_URL = BASE
    settings.PORTAL_DAYS = 120


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def two_accounts(today):
    """Creditor A with debtor A (two overdue invoices, one with its PDF, one paid) and debtor A2;
    creditor B with debtor B."""
    creditor_a = CreditorFactory(name="Alpha SAS", bic="AGRIFRPP")
    debtor_a = DebtorFactory(creditor=creditor_a, name="Boulangerie Durand", language="fr")
    first = InvoiceFactory(
        debtor=debtor_a, number="FA-A1", issue_date=today - timedelta(days=60),
        due_date=today - timedelta(days=30), total_amount=Decimal("1200.00"),
    )
    first.pdf.save("FA-A1.pdf", ContentFile(b"%PDF-1.4 invoice FA-A1"))
    InvoiceFactory(
        debtor=debtor_a, number="FA-A2", issue_date=today - timedelta(days=40),
        due_date=today - timedelta(days=10), total_amount=Decimal("300.50"),
    )
    InvoiceFactory(
        debtor=debtor_a, number="FA-A0", total_amount=Decimal("99.00"),
        open_amount=Decimal("0.00"), status="paid",
    )
    debtor_a2 = DebtorFactory(creditor=creditor_a, name="Voisin Discret")
    InvoiceFactory(debtor=debtor_a2, number="FA-SECRET-A2", due_date=today - timedelta(days=5))
    creditor_b = CreditorFactory(name="Beta Confidentiel")
    debtor_b = DebtorFactory(creditor=creditor_b, name="Client De Beta")
    InvoiceFactory(debtor=debtor_b, number="FB-SECRET", due_date=today - timedelta(days=5))
    return creditor_a, debtor_a, debtor_a2, creditor_b, debtor_b


def link(debtor, as_of):
    return portal_url(creditor_id=debtor.creditor_id, debtor_id=debtor.pk, as_of=as_of)


def path_of(url):
    return url.removeprefix(BASE)


def test_a_valid_link_shows_that_debtors_open_invoices_and_nothing_of_anyone_else(
    client, two_accounts, today
):
    _creditor_a, debtor_a, *_ = two_accounts
    url = link(debtor_a, today)
    assert url.startswith(f"{BASE}/p/")
    response = client.get(path_of(url))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Boulangerie Durand" in page
    assert "Alpha SAS" in page
    assert "FA-A1" in page
    assert "FA-A2" in page
    assert re.search(r"<strong>1\s?500,50 EUR</strong>", page)  # the total
    assert "FA-A0" not in page  # paid
    for secret in ("FA-SECRET-A2", "Voisin Discret", "FB-SECRET", "Beta Confidentiel", "Client De Beta"):
        assert secret not in page
    assert "FR76 3000 6000 0112 3456 7890 189" in page
    assert "Ce qui reste dû" in page  # French by default
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "same-origin"
    english = client.get(path_of(url), {"lang": "en"}).content.decode()
    assert "What is due" in english


def test_the_invoice_pdf_downloads_and_only_the_debtors_own(client, two_accounts, today):
    _, debtor_a, debtor_a2, _, _ = two_accounts
    url = path_of(link(debtor_a, today))
    first = debtor_a.invoices.get(number="FA-A1")
    response = client.get(f"{url}invoices/{first.pk}.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == b"%PDF-1.4 invoice FA-A1"
    other = debtor_a2.invoices.get()
    other.pdf.save("secret.pdf", ContentFile(b"%PDF secret"))
    assert client.get(f"{url}invoices/{other.pk}.pdf").status_code == 404


def test_the_qr_code_is_a_png_that_carries_the_transfer(client, two_accounts, today):
    _, debtor_a, *_ = two_accounts
    response = client.get(path_of(link(debtor_a, today)) + "qr.png")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG\r\n\x1a\n")
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    (result,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(response.content)))
    payment = parse_epc_payload(result.text)
    assert payment.amount == Decimal("1500.50")
    assert payment.iban == "FR7630006000011234567890189"
    assert "FA-A1" in payment.text
    assert "FA-A2" in payment.text
    assert payment.bic == "AGRIFRPP"
    # The reference the page asks the debtor to quote, as the e-mails' code carries it.
    reference = payment.text.split()[0]
    assert reference.startswith("R-")
    assert reference in client.get(path_of(link(debtor_a, today))).content.decode()


def test_a_tampered_token_is_refused_politely(client, two_accounts, today):
    _, debtor_a, *_ = two_accounts
    url = path_of(link(debtor_a, today))
    token = url.split("/")[2]
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    response = client.get(f"/p/{tampered}/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Ce lien n’est pas valide" in page
    assert "FA-A1" not in page
    assert "Boulangerie" not in page
    assert client.get(f"/p/{tampered}/qr.png").status_code == 404
    assert client.get("/p/not-a-token/").status_code == 404


def test_another_debtors_id_in_the_payload_is_refused(client, two_accounts, today):
    creditor_a, debtor_a, debtor_a2, _creditor_b, debtor_b = two_accounts
    token = portal_token(creditor_id=creditor_a.pk, debtor_id=debtor_a.pk, as_of=today)
    _payload, stamp, signature = token.split(":")
    forged_payload = signing.b64_encode(
        f'{{"c":{creditor_a.pk},"d":{debtor_a2.pk}}}'.encode()
    ).decode()
    assert client.get(f"/p/{forged_payload}:{stamp}:{signature}/").status_code == 404
    # A token we signed, but naming a debtor of another creditor, opens nothing either.
    mixed = portal_token(creditor_id=creditor_a.pk, debtor_id=debtor_b.pk, as_of=today)
    response = client.get(f"/p/{mixed}/")
    assert response.status_code == 404
    assert "FB-SECRET" not in response.content.decode()
    # Signed with another salt (another use of the same key): refused.
    other = signing.dumps({"c": creditor_a.pk, "d": debtor_a.pk}, salt="something.else")
    assert client.get(f"/p/{other}/").status_code == 404
    with pytest.raises(PortalLinkError):
        portal_token_read(other, now=timezone.now())
    assert SALT == "relance.portal"


def test_an_expired_link_is_gone_and_a_fresh_one_is_not(client, two_accounts, today, settings):
    _, debtor_a, *_ = two_accounts
    old = path_of(link(debtor_a, today - timedelta(days=121)))
    response = client.get(old)
    assert response.status_code == 410
    assert "Ce lien a expiré" in response.content.decode()
    assert "FA-A1" not in response.content.decode()
    assert client.get(path_of(link(debtor_a, today - timedelta(days=119)))).status_code == 200
    settings.PORTAL_DAYS = 30
    assert client.get(path_of(link(debtor_a, today - timedelta(days=31)))).status_code == 410


def test_the_token_expires_by_the_clock_it_is_given(two_accounts):
    creditor_a, debtor_a, *_ = two_accounts
    token = portal_token(creditor_id=creditor_a.pk, debtor_id=debtor_a.pk, as_of=date(2026, 1, 1))
    signed = datetime(2026, 1, 1, tzinfo=UTC)
    assert portal_token_read(token, now=signed + timedelta(days=120)) == (creditor_a.pk, debtor_a.pk)
    with pytest.raises(PortalLinkError) as caught:
        portal_token_read(token, now=signed + timedelta(days=120, seconds=1))
    assert caught.value.expired
    # The same day gives the same link: a message rendered twice says the same thing.
    assert token == portal_token(creditor_id=creditor_a.pk, debtor_id=debtor_a.pk, as_of=date(2026, 1, 1))


def test_a_dispute_reported_on_the_portal_stops_the_chase_of_that_invoice(client, today):
    creditor = CreditorFactory()
    debtor = DebtorFactory(creditor=creditor)
    invoice = InvoiceFactory(
        debtor=debtor, number="FA-DISP", issue_date=today - timedelta(days=50),
        due_date=today - timedelta(days=20),
    )
    control = DebtorFactory(creditor=creditor)
    InvoiceFactory(debtor=control, issue_date=today - timedelta(days=50), due_date=today - timedelta(days=20))
    url = path_of(link(debtor, today))
    response = client.post(url + "dispute/", {"invoice": invoice.pk, "reason": "Marchandise jamais livrée", "lang": "fr"})
    assert response.status_code == 302
    assert "done=dispute" in response["Location"]
    dispute = Dispute.objects.get(invoice=invoice)
    assert dispute.status == "open"
    assert dispute.reason == "Marchandise jamais livrée"
    event = Event.objects.get(kind="dispute.opened")
    assert event.actor == "debtor portal"
    page = client.get(response["Location"]).content.decode()
    assert "Merci : votre message a bien été envoyé" in page
    assert "en cours d’examen" in page

    collection_run(creditor=creditor, as_of=today, dispatch=False)
    assert not Action.objects.filter(debtor=debtor).exists()
    assert Action.objects.filter(debtor=control).exists()  # the pass did run


def test_a_debtor_cannot_dispute_another_debtors_invoice(client, two_accounts, today):
    _, debtor_a, debtor_a2, _, _ = two_accounts
    other = debtor_a2.invoices.get()
    response = client.post(path_of(link(debtor_a, today)) + "dispute/", {"invoice": other.pk, "reason": "x"})
    assert response.status_code == 400
    assert not Dispute.objects.exists()


def test_a_plan_proposal_is_a_task_on_the_collectors_worklist_and_no_plan(client, two_accounts, today):
    creditor_a, debtor_a, *_ = two_accounts
    url = path_of(link(debtor_a, today))
    first = today + timedelta(days=10)
    response = client.post(
        url + "plan/",
        {"instalments": "3", "first": first.isoformat(), "message": "Trésorerie tendue ce trimestre", "lang": "fr"},
    )
    assert response.status_code == 302
    task = Action.objects.get(debtor=debtor_a, channel="task")
    assert task.step_key == "plan_proposal"
    assert task.state == "planned"
    assert task.outcome["instalments"] == 3
    assert task.outcome["first"] == first.isoformat()
    assert not PaymentPlan.objects.exists()
    event = Event.objects.get(kind="plan.proposed")
    assert event.actor == "debtor portal"
    assert event.payload["message"] == "Trésorerie tendue ce trimestre"

    collector = user_create(username="camille", password="Correct-Horse-Battery-9", role="collector", creditors=[creditor_a])
    client.force_login(collector)
    worklist = client.get("/worklist/").content.decode()
    assert "Boulangerie Durand" in worklist
    assert "Échéancier proposé par le débiteur : 3 échéances" in worklist
    timeline = client.get(f"/debtors/{debtor_a.pk}/").content.decode()
    assert "Échéancier proposé par le débiteur : 3 échéances" in timeline
    assert "Trésorerie tendue ce trimestre" in timeline


def test_a_plan_with_a_first_date_too_far_is_refused(client, two_accounts, today):
    _, debtor_a, *_ = two_accounts
    response = client.post(
        path_of(link(debtor_a, today)) + "plan/",
        {"instalments": "3", "first": (today + timedelta(days=200)).isoformat()},
    )
    assert response.status_code == 400
    assert "La première échéance doit tomber" in response.content.decode()
    assert not Action.objects.filter(channel="task").exists()


def test_posts_are_capped_per_debtor_and_day(client, two_accounts, today):
    _, debtor_a, debtor_a2, _, _ = two_accounts
    url = path_of(link(debtor_a, today))
    form = {"instalments": "2", "first": today.isoformat()}
    for _ in range(POSTS_PER_DAY):
        assert client.post(url + "plan/", form).status_code == 302
    refused = client.post(url + "plan/", form)
    assert refused.status_code == 429
    assert "beaucoup de demandes" in refused.content.decode()
    assert Action.objects.filter(channel="task").count() == POSTS_PER_DAY
    # Another debtor's link is not affected.
    assert client.post(path_of(link(debtor_a2, today)) + "plan/", form).status_code == 302


def test_the_daily_pass_goes_on_beside_a_plan_proposal(client, today):
    creditor = CreditorFactory()
    debtor = DebtorFactory(creditor=creditor)
    InvoiceFactory(debtor=debtor, issue_date=today - timedelta(days=50), due_date=today - timedelta(days=20))
    form = {"instalments": "4", "first": today.isoformat()}
    assert client.post(path_of(link(debtor, today)) + "plan/", form).status_code == 302
    collection_run(creditor=creditor, as_of=today, dispatch=False)
    steps = set(Action.objects.filter(debtor=debtor).values_list("channel", "step_key"))
    assert ("task", "plan_proposal") in steps
    assert any(channel != "task" for channel, _ in steps)  # the chase is not paused by a proposal


def test_the_page_reads_a_fixed_number_of_queries_whatever_the_invoices(
    client, today, django_assert_max_num_queries
):
    """No query per invoice: the debtor (with its creditor), its open invoices (disputes
    annotated), its case (open, else the latest). Thirty invoices with PDFs, a dispute and an
    open case cost what one invoice costs."""
    creditor = CreditorFactory()
    few, many = DebtorFactory(creditor=creditor), DebtorFactory(creditor=creditor)
    InvoiceFactory(debtor=few, due_date=today - timedelta(days=9))
    for n in range(30):
        invoice = InvoiceFactory(
            debtor=many, number=f"FA-M{n:02d}", due_date=today - timedelta(days=n)
        )
        if n % 3 == 0:
            invoice.pdf.save(f"FA-M{n:02d}.pdf", ContentFile(b"%PDF-1.4"))
    Dispute.objects.create(
        creditor=creditor, invoice=many.invoices.get(number="FA-M01"), reason="x", opened_on=today
    )
    collection_run(creditor=creditor, as_of=today, dispatch=False)  # opens the cases

    with django_assert_max_num_queries(4):
        assert client.get(path_of(link(few, today))).status_code == 200
    with django_assert_max_num_queries(4):
        page = client.get(path_of(link(many, today))).content.decode()
    assert "FA-M29" in page
    assert page.count("download>") == 10
    with django_assert_max_num_queries(4):
        assert client.get(path_of(link(many, today)) + "qr.png").status_code == 200
