"""Each page renders for a granted user and does what its forms say."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from relance.apps.audit.models import Event
from relance.apps.ledger.models import Invoice
from relance.apps.workspace.models import ImportUpload
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

CSV = (
    "Numéro facture;Compte client;Raison sociale;SIREN;Date facture;Date échéance;Montant TTC;Reste dû\n"
    "FA-900;411900;Menuiserie Lefèvre SARL;552100554;01/01/2026;31/01/2026;1200,00;1200,00\n"
)
BAD_CSV = CSV + "FA-901;411901;Client;;pas une date;31/01/2026;10,00;10,00\n"


def test_the_dashboard_shows_totals_aging_and_dso(collector_a, debtor_a):
    response = collector_a.get("/")
    assert response.status_code == 200
    board = response.context["board"]
    assert board.overdue_total == Decimal("2400.00")
    assert len(board.dso) == 12
    assert 'class="bar b-1_30"' in response.content.decode()


def test_the_dashboard_sums_what_was_collected_this_month_by_origin(collector_a, creditor_a, debtor_a, today):
    from relance.apps.ledger.models import Allocation, Payment

    invoice = debtor_a.invoices.first()
    payment = Payment.objects.create(creditor=creditor_a, debtor=debtor_a, value_date=today, amount=Decimal("200"), origin="bank")
    Allocation.objects.create(payment=payment, invoice=invoice, amount=Decimal("200"))
    board = collector_a.get("/").context["board"]
    assert board.collected == [("bank", Decimal("200.00"))]


def test_the_debtor_list_searches_by_name_account_and_siren(collector_a, debtor_a, creditor_a):
    DebtorFactory(creditor=creditor_a, name="Autre Client", siren="732829320")
    assert [d.pk for d in collector_a.get("/debtors/?q=durand").context["page"].object_list] == [debtor_a.pk]
    assert [d.pk for d in collector_a.get(f"/debtors/?q={debtor_a.account}").context["page"].object_list] == [debtor_a.pk]
    assert [d.name for d in collector_a.get("/debtors/?q=732 829").context["page"].object_list] == ["Autre Client"]


def test_the_debtor_list_sorts_by_overdue_amount_and_filters_overdue(collector_a, debtor_a, creditor_a, today):
    small = DebtorFactory(creditor=creditor_a)
    InvoiceFactory(debtor=small, creditor=creditor_a, total_amount=Decimal("10"), due_date=today.replace(day=1) if today.day > 1 else today)
    DebtorFactory(creditor=creditor_a, name="Sans facture")
    page = collector_a.get("/debtors/?filter=overdue&sort=overdue").context["page"]
    assert page.object_list[0].pk == debtor_a.pk
    assert "Sans facture" not in [d.name for d in page.object_list]


def test_the_debtor_list_is_paginated_with_a_constant_number_of_queries(collector_a, creditor_a, today):
    for _ in range(60):
        InvoiceFactory(debtor=DebtorFactory(creditor=creditor_a), creditor=creditor_a)
    with CaptureQueriesContext(connection) as few:
        response = collector_a.get("/debtors/")
    assert len(response.context["page"].object_list) == 50
    assert len(few.captured_queries) < 15


def test_the_debtor_page_lists_invoices_with_penalties_and_the_timeline(collector_a, debtor_a):
    collector_a.post(f"/debtors/{debtor_a.pk}/hold/", {"hold": "1", "reason": "litige en cours"})
    response = collector_a.get(f"/debtors/{debtor_a.pk}/")
    assert response.status_code == 200
    lines = response.context["lines"]
    assert [line.days_overdue > 0 for line in lines] == [True, True]
    assert all(line.penalties is not None or line.note or line.missing_rate for line in lines)  # a missing rate is said
    assert response.context["timeline"][0].kind == "debtor.held"


def test_pause_and_resume_are_recorded(collector_a, debtor_a):
    collector_a.post(f"/debtors/{debtor_a.pk}/hold/", {"hold": "1"})
    debtor_a.refresh_from_db()
    assert debtor_a.is_legal_hold
    collector_a.post(f"/debtors/{debtor_a.pk}/hold/", {"hold": "0"})
    assert list(Event.objects.filter(subject_type="debtor").values_list("kind", flat=True)) == ["debtor.held", "debtor.released"]


def test_notes_are_saved(collector_a, debtor_a):
    collector_a.post(f"/debtors/{debtor_a.pk}/notes/", {"notes": "Rappeler le lundi"})
    debtor_a.refresh_from_db()
    assert debtor_a.notes == "Rappeler le lundi"


def test_an_import_is_a_dry_run_first_then_confirmed(collector_a, creditor_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = collector_a.post("/imports/", {"kind": "ledger", "file": SimpleUploadedFile("export.csv", CSV.encode())})
    assert response.status_code == 302
    upload = ImportUpload.objects.get()
    assert not Invoice.objects.filter(creditor=creditor_a).exists()
    assert (tmp_path / "imports" / f"{upload.token}.upload").exists()
    review = collector_a.get(response["Location"])
    assert review.context["result"]["created"] == 1
    done = collector_a.post(f"/imports/{upload.token}/confirm/", {"decision": "confirm"})
    assert done.status_code == 200
    assert Invoice.objects.filter(creditor=creditor_a, number="FA-900").exists()
    assert not ImportUpload.objects.exists()
    assert not list((tmp_path / "imports").iterdir())


def test_an_import_with_problems_shows_them_and_cannot_be_confirmed(collector_a, creditor_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = collector_a.post("/imports/", {"kind": "ledger", "file": SimpleUploadedFile("bad.csv", BAD_CSV.encode())}, follow=True)
    assert response.context["result"]["problems"]
    assert b"confirm-import" not in response.content
    token = ImportUpload.objects.get().token
    collector_a.post(f"/imports/{token}/confirm/", {"decision": "confirm"})
    assert not Invoice.objects.filter(creditor=creditor_a).exists()


def test_an_import_can_be_dropped(collector_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from django.core.files.uploadedfile import SimpleUploadedFile

    collector_a.post("/imports/", {"kind": "ledger", "file": SimpleUploadedFile("export.csv", CSV.encode())})
    token = ImportUpload.objects.get().token
    collector_a.post(f"/imports/{token}/confirm/", {"decision": "drop"})
    assert not ImportUpload.objects.exists()


def test_settings_are_saved_by_an_admin(admin_a, creditor_a):
    data = {"name": "Alpha SAS", "siren": "552100554", "iban": "FR76 3000 6000 0112 3456 7890 189",
            "payment_terms_days": 45, "signature": "La direction"}
    response = admin_a.post("/settings/", data)
    assert response.status_code == 302
    creditor_a.refresh_from_db()
    assert (creditor_a.payment_terms_days, creditor_a.iban) == (45, "FR7630006000011234567890189")


def test_settings_refuse_an_invalid_iban(admin_a, creditor_a):
    response = admin_a.post("/settings/", {"name": "Alpha SAS", "iban": "FR00 1234", "payment_terms_days": 30})
    assert response.status_code == 400
    assert "IBAN" in response.content.decode()


def test_without_collection_the_worklist_lists_overdue_debtors_to_call(collector_a, debtor_a, monkeypatch):
    from relance.apps.workspace import worklist_selectors

    monkeypatch.setattr(worklist_selectors, "collection_ready", lambda: False)
    response = collector_a.get("/worklist/")
    assert [d.pk for d in response.context["work"].calls] == [debtor_a.pk]


def test_the_page_is_french_by_default_and_english_on_request(collector_a, debtor_a):
    assert "Débiteurs" in collector_a.get("/debtors/").content.decode()
    collector_a.post("/i18n/setlang/", {"language": "en", "next": "/debtors/"})
    assert ">Debtors<" in collector_a.get("/debtors/").content.decode()


def test_penalties_are_computed_as_of_the_day_asked(creditor_a):
    from datetime import date

    from relance.apps.workspace.debtor_selectors import debtor_invoices

    debtor = DebtorFactory(creditor=creditor_a)
    InvoiceFactory(debtor=debtor, creditor=creditor_a, issue_date=date(2025, 12, 1), due_date=date(2025, 12, 31))
    (line,) = debtor_invoices(debtor=debtor, as_of=date(2026, 3, 1))
    assert line.penalties > Decimal("40")  # the 40 € indemnity plus interest
