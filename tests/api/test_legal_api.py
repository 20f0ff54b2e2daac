"""The legal stage through the API: move a case, record its dates, read its reminders."""

from __future__ import annotations

from datetime import timedelta

import pytest

from relance.apps.collection.models import Case

pytestmark = pytest.mark.django_db


def test_move_a_case_record_a_date_and_read_the_reminders(collector_a, viewer_a, creditor_a, today):
    debtor = creditor_a.debtors.order_by("id").first()
    moved = collector_a.post_json("/api/cases/legal", {"debtor": debtor.account, "route": "injonction"})
    assert moved.status_code == 201, moved.content
    assert (moved.json()["route"], moved.json()["dates"]) == ("injonction", {})
    assert Case.objects.get(debtor=debtor, status="legal")
    issued = (today - timedelta(days=2)).isoformat()
    dated = collector_a.post_json("/api/cases/legal/dates", {"debtor": debtor.account, "key": "order_issued",
                                                             "date": issued})
    assert dated.status_code == 200, dated.content
    assert dated.json()["dates"] == {"order_issued": issued}
    [row] = viewer_a.get("/api/cases/legal/reminders").json()
    assert (row["debtor"], row["reminder"], row["since"], row["past"]) == (debtor.account, "serve_order", issued, False)
    again = collector_a.post_json("/api/cases/legal", {"debtor": debtor.account, "route": "lawyer"})
    assert (again.status_code, again.json()["code"]) == (400, "invalid_input")
    wrong = collector_a.post_json("/api/cases/legal/dates", {"debtor": debtor.account, "key": "judgment",
                                                             "date": (today + timedelta(days=1)).isoformat()})
    assert wrong.status_code == 400
    assert "in the future" in wrong.json()["message"]


def test_a_viewer_cannot_move_a_case(viewer_a, creditor_a):
    debtor = creditor_a.debtors.order_by("id").first()
    assert viewer_a.post_json("/api/cases/legal", {"debtor": debtor.account, "route": "lawyer"}).status_code == 403
    assert not Case.objects.filter(status="legal").exists()


def _status_file(text):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("retour.csv", text.encode(), content_type="text/csv")


def _hand_off(creditor, reference, today):
    from relance.apps.collection.legal_stage import case_legal

    debtor = creditor.debtors.order_by("id").first()
    case_legal(creditor=creditor, account=debtor.account, route="agency", reference=reference,
               as_of=today - timedelta(days=5))
    return debtor


def test_a_status_file_is_taken_whole_through_the_api(collector_a, viewer_a, creditor_a, today):
    from relance.apps.collection.models import LegalStage, StatusReport

    _hand_off(creditor_a, "AG-A1", today)
    day = (today - timedelta(days=1)).isoformat()
    assert viewer_a.post("/api/cases/status-import",
                         {"file": _status_file(f"reference,status,amount,date\nAG-A1,plan,,{day}\n")}
                         ).status_code == 403
    assert not StatusReport.objects.exists()
    taken = collector_a.post("/api/cases/status-import",
                             {"file": _status_file(f"reference,status,amount,date\nAG-A1,plan,,{day}\n")})
    assert taken.status_code == 200, taken.content
    assert taken.json() == {"imported": True, "lines": 1, "payments": 0, "problems": []}
    assert LegalStage.objects.get(reference="AG-A1").reported_status == "plan"


def test_a_status_file_naming_another_creditors_reference_is_refused_whole(collector_a, creditor_a, creditor_b,
                                                                          today):
    from relance.apps.collection.models import LegalStage, StatusReport

    _hand_off(creditor_a, "AG-A2", today)
    _hand_off(creditor_b, "AG-B9", today)
    day = (today - timedelta(days=1)).isoformat()
    refused = collector_a.post("/api/cases/status-import", {"file": _status_file(
        f"reference,status,amount,date\nAG-A2,abandoned,,{day}\nAG-B9,abandoned,,{day}\n")})
    assert refused.status_code == 200, refused.content
    body = refused.json()
    assert body["imported"] is False
    assert [(p["line"], p["code"]) for p in body["problems"]] == [(3, "unknown_reference")]
    assert not StatusReport.objects.exists()
    assert set(LegalStage.objects.values_list("reported_status", flat=True)) == {""}
