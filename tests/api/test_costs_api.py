"""POST /api/costs: recovery costs with their proof, for the caller's creditor only (issue 16)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile

from relance.apps.collection.models import RecoveryCost

PROOF = b"%PDF-1.4\n% Note d'honoraires\n%%EOF\n"


def _form(debtor, today, **extra):
    return {
        "debtor": debtor.account, "amount": "350.00", "date": (today - timedelta(days=3)).isoformat(),
        "description": "Honoraires de Me Dupuis", "file": SimpleUploadedFile("honoraires.pdf", PROOF), **extra,
    }


def test_record_costs_with_their_proof(collector_a, creditor_a, today, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    debtor = creditor_a.debtors.order_by("id").first()
    response = collector_a.post("/api/costs", _form(debtor, today))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["amount"], body["currency"], body["proof"]) == ("350.00", "EUR", "honoraires.pdf")
    assert body["sha256"] == hashlib.sha256(PROOF).hexdigest()
    row = RecoveryCost.objects.get(pk=body["id"])
    assert (row.debtor_id, row.case.debtor_id) == (debtor.pk, debtor.pk)
    listed = collector_a.get("/api/costs", {"debtor": debtor.account})
    assert [c["sha256"] for c in listed.json()] == [body["sha256"]]
    bad = collector_a.post("/api/costs", _form(debtor, today, amount="abc"))
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_input")


def test_another_creditor_s_debtor_is_not_found_and_a_viewer_cannot_record(
    collector_a, viewer_a, creditor_a, creditor_b, today, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    theirs = creditor_b.debtors.order_by("id").first()
    assert collector_a.post("/api/costs", _form(theirs, today)).status_code == 404
    assert collector_a.get("/api/costs", {"debtor": theirs.account}).status_code == 404
    mine = creditor_a.debtors.order_by("id").first()
    assert viewer_a.post("/api/costs", _form(mine, today)).status_code == 403
    assert not RecoveryCost.objects.exists()
