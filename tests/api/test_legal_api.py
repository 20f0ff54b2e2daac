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
