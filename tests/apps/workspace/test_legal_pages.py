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
