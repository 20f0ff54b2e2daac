"""The API's run takes the same days as the CLI's, and reads only ISO dates (issue 19)."""

from __future__ import annotations

from datetime import timedelta

import pytest

pytestmark = pytest.mark.django_db


def test_the_api_refuses_the_same_days_and_reads_only_iso_dates(collector_a, creditor_a, today):
    assert collector_a.post(f"/api/run?as_of={today.isoformat()}").status_code == 200
    for bad in ("0", "1", "20260305x", "2026-3-5", "1970-01-01T00:00:00"):
        response = collector_a.post(f"/api/run?dry_run=true&as_of={bad}")
        assert response.status_code in (400, 422), (bad, response.content)
    earlier = collector_a.post(f"/api/run?as_of={(today - timedelta(days=3)).isoformat()}")
    assert earlier.status_code == 409  # well formed, refused by the creditor's last pass
    assert "last pass" in earlier.json()["message"]
    later = collector_a.post(f"/api/run?as_of={(today + timedelta(days=1)).isoformat()}")
    assert later.status_code == 409
    assert "after today" in later.json()["message"]
    dry = collector_a.post(f"/api/run?dry_run=true&as_of={(today - timedelta(days=3)).isoformat()}")
    assert dry.status_code == 200
