"""The legal stage from the debtor page, its dates on the timeline, its reminders on the
worklist; refused in French with the reason; never across creditors."""

from __future__ import annotations

from datetime import timedelta

import pytest

from relance.apps.collection.models import Case, LegalStage

pytestmark = pytest.mark.django_db


def test_a_collector_moves_a_case_to_the_legal_stage_and_records_its_dates(collector_a, debtor_a, today):
    response = collector_a.post(f"/debtors/{debtor_a.pk}/legal/", {"legal-route": "injonction",
                                                                    "legal-reference": "IP-2026-4"})
    assert response.status_code == 302
    assert Case.objects.get(debtor=debtor_a).status == "legal"
    issued = today - timedelta(days=1)
    response = collector_a.post(f"/debtors/{debtor_a.pk}/legal/date/", {"legaldate-key": "order_issued",
                                                                         "legaldate-date": issued.isoformat()})
    assert response.status_code == 302
    assert LegalStage.objects.get().order_issued_date == issued
    page = collector_a.get(f"/debtors/{debtor_a.pk}/")
    assert page.context["legal_stage"].reference == "IP-2026-4"
    assert [day for _, day in page.context["legal_dates"]] == [issued]
    assert "IP-2026-4" in page.content.decode()
    kinds = [item.kind for item in page.context["timeline"]]
    assert "legal.stage_entered" in kinds
    assert "legal.date_recorded" in kinds
    work = collector_a.get("/worklist/")
    [row] = work.context["legal"]
    assert (row["code"], row["reference"], row["past"]) == ("serve_order", "IP-2026-4", False)
    assert row["deadline"] > today
    assert "IP-2026-4" in work.content.decode()


def test_a_key_date_in_the_future_is_refused_in_french_with_its_reason(collector_a, debtor_a, today):
    collector_a.post(f"/debtors/{debtor_a.pk}/legal/", {"legal-route": "lawyer"}, HTTP_ACCEPT_LANGUAGE="fr")
    response = collector_a.post(
        f"/debtors/{debtor_a.pk}/legal/date/",
        {"legaldate-key": "judgment", "legaldate-date": (today + timedelta(days=2)).isoformat()},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 400
    errors = response.context["legal_date_form"].non_field_errors()
    assert errors
    assert "Date à venir pour le jugement" in errors[0]
    assert LegalStage.objects.get().judgment_date is None


def test_a_viewer_cannot_move_a_case_and_a_debtor_of_b_is_not_found(viewer_a, debtor_a, login, creditor_a, debtor_b):
    assert viewer_a.post(f"/debtors/{debtor_a.pk}/legal/", {"legal-route": "lawyer"}).status_code == 403
    admin = login("adele", "admin", creditor_a)
    assert admin.post(f"/debtors/{debtor_b.pk}/legal/", {"legal-route": "lawyer"}).status_code == 404
    assert not LegalStage.objects.exists()


def _rates_to(day):
    """Penalties run to today: the semesters a release may not know yet, recorded as a user would."""
    from datetime import date
    from decimal import Decimal

    from relance.apps.legal.selectors import rates_known_until
    from relance.apps.legal.services import rate_add

    start = date(2026, 7, 1)
    while rates_known_until()["ecb_mro"] < day:
        rate_add(table="ecb_mro", from_date=start, rate=Decimal("2.15"), source="test: rate assumed")
        start = date(start.year + (start.month == 7), 1 if start.month == 7 else 7, 1)


def test_the_dossier_form_places_the_case_in_the_legal_stage_when_asked(collector_a, debtor_a, today, settings,
                                                                        tmp_path):
    from relance.apps.audit.models import Event

    settings.MEDIA_ROOT = tmp_path / "media"
    _rates_to(today)
    page = collector_a.get(f"/debtors/{debtor_a.pk}/", HTTP_ACCEPT_LANGUAGE="fr")
    assert "Placer le dossier en phase judiciaire" in page.content.decode()
    response = collector_a.post(f"/debtors/{debtor_a.pk}/dossier/", {"dossier-route": "psrpc"})
    assert response["Content-Type"] == "application/zip"
    assert not LegalStage.objects.exists()
    response = collector_a.post(f"/debtors/{debtor_a.pk}/dossier/",
                                {"dossier-route": "psrpc", "dossier-legal_stage": "on"})
    assert response["Content-Type"] == "application/zip"
    stage = LegalStage.objects.get()
    built = Event.objects.filter(kind="legal.dossier_built").last()
    assert (stage.route, stage.reference) == ("psrpc", built.payload["reference"])
    assert Case.objects.get(debtor=debtor_a).status == "legal"
    page = collector_a.get(f"/debtors/{debtor_a.pk}/", HTTP_ACCEPT_LANGUAGE="fr")
    assert "Le dossier est en phase judiciaire" in page.content.decode()


def _status_upload(text):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("retour.csv", text.encode(), content_type="text/csv")


def test_a_status_file_is_uploaded_from_the_debtor_list_or_refused_whole_in_french(
    collector_a, login, debtor_a, creditor_b, debtor_b, today
):
    from relance.apps.collection.legal_stage import case_legal
    from relance.apps.collection.models import StatusReport
    from relance.apps.ledger.models import Payment

    case_legal(creditor=debtor_a.creditor, account=debtor_a.account, route="agency", reference="AG-7",
               as_of=today - timedelta(days=3))
    case_legal(creditor=creditor_b, account=debtor_b.account, route="lawyer", reference="AV-B",
               as_of=today - timedelta(days=3))
    listing = collector_a.get("/debtors/", HTTP_ACCEPT_LANGUAGE="fr")
    assert "Fichier de statut d’une société de recouvrement ou d’un avocat" in listing.content.decode()
    day = (today - timedelta(days=1)).strftime("%d/%m/%Y")
    future = (today + timedelta(days=2)).strftime("%d/%m/%Y")
    refused = collector_a.post("/debtors/status-import/", {"file": _status_upload(
        f"reference;statut;montant;date\nAG-7;échéancier;;{day}\nAV-B;abandonné;;{day}\n"
        f"AG-7;payé;abc;{future}\n")}, HTTP_ACCEPT_LANGUAGE="fr")
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "retour.csv : refusé, rien n’a été importé." in page
    problems = refused.context["problems"]
    assert [p["code"] for p in problems] == ["bad_amount"]  # a file that does not parse is refused first
    assert problems[0]["text"].startswith("ligne 4 : ")
    refused = collector_a.post("/debtors/status-import/", {"file": _status_upload(
        f"reference;statut;montant;date\nAG-7;échéancier;;{day}\nAV-B;abandonné;;{day}\n")},
        HTTP_ACCEPT_LANGUAGE="fr")
    assert refused.status_code == 400
    [problem] = refused.context["problems"]
    assert problem["code"] == "unknown_reference"
    assert problem["text"].startswith("ligne 3 : ")
    assert "AV-B" in problem["text"]
    assert not StatusReport.objects.exists()
    owed = f"{sum(i.open_amount for i in debtor_a.invoices.all()):.2f}".replace(".", ",")
    taken = collector_a.post("/debtors/status-import/", {"file": _status_upload(
        f"reference;statut;montant;date\nAG-7;payé;{owed};{day}\n")}, HTTP_ACCEPT_LANGUAGE="fr")
    assert taken.status_code == 302
    assert Payment.objects.filter(debtor=debtor_a).count() == 1
    assert StatusReport.objects.get().status == "paid"
    after = collector_a.get("/debtors/", HTTP_ACCEPT_LANGUAGE="fr")
    assert "retour.csv : pris en entier. Lignes : 1 ; paiements enregistrés : 1." in after.content.decode()
    viewer = login("victor", "viewer", debtor_a.creditor)  # the same client, now a viewer's
    assert "Fichier de statut" not in viewer.get("/debtors/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert viewer.post("/debtors/status-import/", {"file": _status_upload(
        f"reference;statut;montant;date\nAG-7;abandonné;;{day}\n")}).status_code == 403
    assert StatusReport.objects.count() == 1
