"""Each endpoint's happy path, through a collector's token on creditor A."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from relance.apps.audit.models import Event
from relance.apps.collection.models import Action, Dispute, Promise
from relance.apps.ledger.models import Debtor
from relance.cli import main as cli_main
from tests.api.conftest import make_user
from tests.apps.workspace.test_desk import record_missing_rates

pytestmark = pytest.mark.django_db

CSV = (
    "Numéro facture;Compte client;Raison sociale;SIREN;Date facture;Date échéance;Montant TTC;Reste dû\n"
    "FA-900;411900;Menuiserie Lefèvre SARL;552100554;01/01/2026;31/01/2026;1200,00;1200,00\n"
)


def test_creditors_lists_the_grants_with_the_role(collector_a, creditor_a, creditor_b):
    body = collector_a.get("/api/creditors").json()
    assert [(c["id"], c["name"], c["role"]) for c in body] == [(creditor_a.pk, "Alpha SAS", "collector")]


def test_invoices_are_paged_with_money_as_strings(collector_a, creditor_a):
    body = collector_a.get("/api/invoices", {"open": "true", "page_size": 1}).json()
    assert body["creditor"] == creditor_a.pk
    assert (body["count"], body["page"], body["pages"]) == (2, 1, 2)
    (row,) = body["items"]
    assert row["open_amount"] == "1200.00"
    assert row["status"] == "open"
    second = collector_a.get("/api/invoices", {"page": 2, "page_size": 1}).json()["items"]
    assert second[0]["number"] != row["number"]
    past = collector_a.get("/api/invoices", {"page": 3, "page_size": 1}).json()
    assert past["items"] == []  # past the end: nothing, so a loop over pages stops
    assert past["page"] == 3


def test_invoices_of_one_debtor(collector_a, creditor_a):
    account = creditor_a.debtors.order_by("id").first().account
    body = collector_a.get("/api/invoices", {"debtor": account}).json()
    assert body["count"] == 1
    assert body["items"][0]["debtor_account"] == account


def test_a_bad_page_is_a_400(collector_a):
    response = collector_a.get("/api/invoices", {"page_size": 100000})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    response = collector_a.get("/api/invoices", {"page": "x"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"


def test_debtors_search_filter_and_totals(collector_a, creditor_a):
    body = collector_a.get("/api/debtors", {"sort": "days"}).json()
    assert body["count"] == 2
    first = body["items"][0]
    assert first["name"] == "Garage Alpha SARL"  # the longest overdue first
    assert first["overdue_total"] == "1200.00"
    assert first["days_overdue"] == 40
    found = collector_a.get("/api/debtors", {"q": "Fleurs", "sort": "name"}).json()
    assert [d["name"] for d in found["items"]] == ["Fleurs Alpha SARL"]
    assert collector_a.get("/api/debtors", {"filter": "dispute"}).json()["count"] == 0
    assert collector_a.get("/api/debtors", {"filter": "nonsense"}).status_code == 400
    assert collector_a.get("/api/debtors", {"page": 2}).json()["items"] == []


def test_one_debtor_with_its_open_invoices(collector_a, creditor_a, today):
    debtor = creditor_a.debtors.get(name="Garage Alpha SARL")
    body = collector_a.get(f"/api/debtors/{debtor.pk}").json()
    assert body["account"] == debtor.account
    assert body["open_total"] == "1200.00"
    assert body["open_invoices_count"] == 1
    (line,) = body["open_invoices"]
    assert line["days_overdue"] == 40
    assert line["due_date"] == (today - timedelta(days=40)).isoformat()
    if line["missing_rate"]:  # the semester's rate is not in the tables yet: no penalties said
        assert line["amount_due"] is None
    else:
        assert Decimal(line["amount_due"]) > Decimal("1200.00")  # penalties and the indemnity
    assert body["case"]["status"]


def test_an_unknown_debtor_is_a_404(collector_a):
    response = collector_a.get("/api/debtors/999999")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_aging_as_of_a_date(collector_a, today):
    body = collector_a.get("/api/aging", {"as_of": today.isoformat()}).json()
    (total,) = body["totals"]
    assert total["31_60"] == "1200.00"
    assert total["1_30"] == "1200.00"
    assert total["total"] == "2400.00"
    assert collector_a.get("/api/aging", {"as_of": "yesterday"}).status_code == 400


def test_actions_by_state_and_the_approval_queue(collector_a, creditor_a):
    body = collector_a.get("/api/actions", {"awaiting_approval": "true"}).json()
    assert body["count"] == Action.objects.filter(creditor=creditor_a, requires_approval=True, state="planned").count() >= 1
    assert all(a["awaiting_approval"] for a in body["items"])
    planned = collector_a.get("/api/actions", {"state": "planned"}).json()
    assert planned["items"]  # else the next line holds for nothing
    assert all(a["state"] == "planned" for a in planned["items"])
    first = Action.objects.get(pk=planned["items"][0]["id"])
    assert planned["items"][0]["planned_date"] == first.planned_date.isoformat()
    assert collector_a.get("/api/actions", {"state": "aproved"}).status_code == 400


def test_approve_then_approving_again_is_a_conflict(collector_a, creditor_a, today):
    action = Action.objects.filter(creditor=creditor_a, requires_approval=True, state="planned").first()
    # A mise en demeure that can be sent: approval checks it as the print batch will.
    Debtor.objects.filter(pk=action.debtor_id).update(
        siren="732829320", address="3 rue Pasteur", postal_code="69007", city="Lyon"
    )
    record_missing_rates(action.debtor, today)
    response = collector_a.post(f"/api/actions/{action.pk}/approve")
    assert response.status_code == 200
    assert response.json()["state"] == "approved"
    action.refresh_from_db()
    assert action.state == "approved"
    assert Event.objects.filter(kind="action.approved", subject_id=action.pk, actor="api:camille").exists()
    again = collector_a.post(f"/api/actions/{action.pk}/approve")
    assert again.status_code == 409
    assert again.json()["code"] == "conflict"


def test_skip_with_a_reason(collector_a, creditor_a):
    action = Action.objects.filter(creditor=creditor_a, state="planned").first()
    response = collector_a.post(f"/api/actions/{action.pk}/skip?reason=paid+by+phone")
    assert response.status_code == 200
    action.refresh_from_db()
    assert (action.state, action.reason) == ("skipped", "paid by phone")
    assert collector_a.post(f"/api/actions/{action.pk}/skip").status_code == 409


def test_open_a_dispute(collector_a, creditor_a, today):
    invoice = creditor_a.invoices.order_by("id").first()
    response = collector_a.post_json("/api/disputes", {"invoice": invoice.number, "reason": "not delivered"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "open"
    assert body["opened_on"] == today.isoformat()
    assert Dispute.objects.get(pk=body["id"]).invoice == invoice
    again = collector_a.post_json("/api/disputes", {"invoice": invoice.number})
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_input"
    assert collector_a.post_json("/api/disputes", {"invoice": "NOPE"}).status_code == 404
    assert collector_a.post_json("/api/disputes", {}).status_code == 400


def test_record_a_promise(collector_a, creditor_a, today):
    debtor = creditor_a.debtors.order_by("id").first()
    when = (today + timedelta(days=10)).isoformat()
    response = collector_a.post_json("/api/promises", {"debtor": debtor.account, "amount": "500.00", "date": when})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["amount"], body["date"], body["status"]) == ("500.00", when, "open")
    assert Promise.objects.get(pk=body["id"]).amount == Decimal("500.00")
    for amount in ("abc", "NaN", "Infinity", "1e3", 500):  # money is a string of a decimal number
        wrong = collector_a.post_json("/api/promises", {"debtor": debtor.account, "amount": amount, "date": when})
        assert wrong.status_code == 400, amount
        assert wrong.json()["code"] == "invalid_input"
    past = collector_a.post_json("/api/promises", {"debtor": debtor.account, "amount": "5", "date": "2000-01-01"})
    assert past.status_code == 409  # well formed, refused by today's date


def test_import_a_ledger_dry_run_then_for_real(collector_a, creditor_a, tmp_path, capsys):
    dry = collector_a.post("/api/imports/ledger", {"file": SimpleUploadedFile("l.csv", CSV.encode()), "dry_run": "true", "partial": "true"})
    assert dry.status_code == 200, dry.content
    body = dry.json()
    assert body["dry_run"]
    assert not body["committed"]
    assert body["created"] == 1
    assert not creditor_a.invoices.filter(number="FA-900").exists()
    # the same JSON as `relance import ledger --json`
    path = tmp_path / "l.csv"
    path.write_text(CSV, encoding="utf-8")
    capsys.readouterr()
    assert cli_main(["import", "ledger", str(path), "--creditor", str(creditor_a.pk), "--dry-run", "--partial", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == body
    real = collector_a.post("/api/imports/ledger", {"file": SimpleUploadedFile("l.csv", CSV.encode()), "partial": "true"})
    assert real.json()["committed"]
    assert real.json()["created"] == 1
    assert creditor_a.invoices.filter(number="FA-900").exists()


def test_an_import_leaving_out_the_open_invoices_asks_full_or_partial(collector_a, creditor_a):
    open_before = sorted(creditor_a.invoices.filter(status="open").values_list("number", flat=True))
    asked = collector_a.post("/api/imports/ledger", {"file": SimpleUploadedFile("l.csv", CSV.encode())}).json()
    assert asked["question"] == "full_or_partial"
    assert not asked["committed"]
    assert sorted(r["number"] for r in asked["settling"]["invoices"]) == open_before
    assert not creditor_a.invoices.filter(number="FA-900").exists()
    full = collector_a.post(
        "/api/imports/ledger", {"file": SimpleUploadedFile("l.csv", CSV.encode()), "full": "true"}
    ).json()
    assert full["committed"]
    assert full["settled"] == len(open_before)
    assert list(creditor_a.invoices.filter(status="open").values_list("number", flat=True)) == ["FA-900"]


def test_an_import_with_problems_says_them(collector_a):
    bad = CSV + "FA-901;411901;Client;;pas une date;31/01/2026;10,00;10,00\n"
    body = collector_a.post("/api/imports/ledger", {"file": SimpleUploadedFile("l.csv", bad.encode())}).json()
    assert body["problems"]
    assert not body["committed"]


def test_run_dry_gives_the_cli_json(collector_a, creditor_a, today, capsys):
    response = collector_a.post(f"/api/run?dry_run=true&as_of={(today + timedelta(days=20)).isoformat()}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["dry_run"]
    assert body["as_of"] == (today + timedelta(days=20)).isoformat()
    capsys.readouterr()
    args = ["run", "--creditor", str(creditor_a.pk), "--dry-run", "--as-of", body["as_of"], "--json"]
    assert cli_main(args) == 0
    assert json.loads(capsys.readouterr().out) == body


def test_run_for_real(collector_a, creditor_a, today):
    body = collector_a.post(f"/api/run?as_of={today.isoformat()}").json()
    assert body["dry_run"] is False
    assert body["cases_evaluated"] >= 1


def test_several_creditors_need_the_creditor_parameter(api_as, creditor_a, creditor_b):
    both = api_as("bea", "viewer", creditor_a, creditor_b)
    response = both.get("/api/aging")
    assert response.status_code == 400
    assert "creditor" in response.json()["message"]
    assert both.get("/api/aging", {"creditor": creditor_b.pk}).json()["creditor"] == creditor_b.pk


def test_the_openapi_docs(collector_a):
    schema = collector_a.get("/api/openapi.json").json()
    assert "/api/actions/{action_id}/approve" in schema["paths"]
    assert {"DebtorDetail", "ActionPage", "ErrorOut", "RunOut"} <= set(schema["components"]["schemas"])
    assert "BearerToken" in schema["components"]["securitySchemes"]
    assert collector_a.get("/api/docs").status_code == 200
    assert collector_a.client.get("/api/docs").status_code == 302  # no token, no login: the login


def test_a_user_with_no_grant_finds_nothing(creditor_a):
    from relance.apps.api_tokens.services import token_create
    from tests.api.conftest import Api

    make_user("nora", "viewer", creditor_a).memberships.all().delete()
    _row, token = token_create(username="nora")
    assert Api(token).get("/api/creditors").json() == []
    assert Api(token).get("/api/invoices").status_code == 404


def test_a_debtor_s_open_invoices_come_fifty_a_page(collector_a, creditor_a, today):
    from tests.factories import DebtorFactory, InvoiceFactory

    debtor = DebtorFactory(creditor=creditor_a, name="Grossiste SA")
    for i in range(51):
        InvoiceFactory(debtor=debtor, creditor=creditor_a, issue_date=today - timedelta(days=30 + i))
    first = collector_a.get(f"/api/debtors/{debtor.pk}").json()
    assert (first["open_invoices_count"], first["open_invoices_pages"], len(first["open_invoices"])) == (51, 2, 50)
    assert first["open_total"] == "61200.00"
    second = collector_a.get(f"/api/debtors/{debtor.pk}", {"invoices_page": 2}).json()
    assert len(second["open_invoices"]) == 1
    assert second["open_invoices"][0]["number"] not in {line["number"] for line in first["open_invoices"]}
