"""The collector's desk: call cards and outcomes, approvals with a preview, tasks, the case forms.

Every new URL is also tried by a user of creditor A on creditor B's objects: 404, nothing changes.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from relance.apps.audit.models import Event
from relance.apps.collection.calls import call_outcome_record
from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.history import contact_declare
from relance.apps.collection.models import Action, Case, Dispute, PaymentPlan, Promise
from relance.apps.collection.pauses import dispute_open
from relance.apps.legal.services import rate_add
from relance.apps.workspace.debtor_selectors import debtor_invoices
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db


def record_missing_rates(debtor, as_of):
    """What a person does when the page says so: ``relance rates add`` for the missing half-year."""
    for _ in range(6):
        missing = [
            line for line in debtor_invoices(debtor=debtor, as_of=as_of) if line.missing_rate
        ]
        if not missing:
            return
        words = missing[0].rate_command.split()
        rate_add(
            table=words[words.index("--table") + 1],
            from_date=date.fromisoformat(words[words.index("--from") + 1]),
            rate=Decimal("2.15"),
            source="test",
        )


def desk_for(creditor, today, prefix):
    """A debtor to call today, one whose mise en demeure waits for approval."""
    caller = DebtorFactory(
        creditor=creditor, name=f"{prefix} Fleurs Petit SARL", phone="04 00 00 00 03"
    )
    for n in range(2):
        InvoiceFactory(
            debtor=caller,
            creditor=creditor,
            number=f"{prefix}-C{n}",
            issue_date=today - timedelta(days=46),
            due_date=today - timedelta(days=16),
        )
    late = DebtorFactory(
        creditor=creditor,
        name=f"{prefix} Garage Martin SARL",
        siren="732829320",  # a company's mise en demeure states its SIREN, or is not approved
        phone="04 00 00 00 02",
        address="3 rue Pasteur",
        postal_code="69007",
        city="Lyon",
    )
    InvoiceFactory(
        debtor=late,
        creditor=creditor,
        number=f"{prefix}-L0",
        issue_date=today - timedelta(days=70),
        due_date=today - timedelta(days=40),
    )
    # The steps before were taken by hand before Relance (a first pass no longer jumps to the
    # call or the mise en demeure): declared, the chase resumes there.
    contact_declare(creditor=creditor, debtor=caller, step_key="invoice_again",
                    contact_date=today - timedelta(days=6), today=today)
    contact_declare(creditor=creditor, debtor=late, step_key="reminder_letter",
                    contact_date=today - timedelta(days=15), today=today)
    collection_run(as_of=today, creditor=creditor, dispatch=False)
    # The pass plans calls for the next business day: on a weekend, bring them to today.
    Action.objects.filter(creditor=creditor, channel="call").update(planned_date=today)
    call = Action.objects.get(debtor=caller, channel="call")
    notice = Action.objects.get(debtor=late, requires_approval=True)
    return caller, call, late, notice


@pytest.fixture
def desk(creditor_a, today):
    return desk_for(creditor_a, today, "A")


@pytest.fixture
def desk_b(creditor_b, today):
    return desk_for(creditor_b, today, "B")


def test_each_call_shows_the_summary_the_history_the_script_and_the_outcomes(collector_a, desk):
    _caller, call, _, _ = desk
    response = collector_a.get("/worklist/")
    [card] = response.context["cards"]
    assert card.action == call
    assert card.overdue_total == Decimal("2400.00")
    assert not card.scripted  # the script comes when the card opens it
    script = collector_a.get(f"/worklist/calls/{call.pk}/script/", HTTP_HX_REQUEST="true")
    assert "FICHE D'APPEL" in script.context["card"].script
    assert "un oubli ?" in script.content.decode()
    assert f'hx-get="/worklist/calls/{call.pk}/script/"' in response.content.decode()
    # Without htmx, the call's own page shows the script.
    assert collector_a.get(f"/worklist/calls/{call.pk}/script/")["Location"].endswith(
        f"/worklist/calls/{call.pk}/"
    )
    assert "FICHE D'APPEL" in collector_a.get(f"/worklist/calls/{call.pk}/").context["card"].script
    assert [outcome for outcome, _, _ in card.quick] == [
        "no_answer",
        "voicemail",
        "invoice_not_received",
        "cash_difficulty",
        "paid_already",
        "wrong_number",
    ]
    assert [outcome for outcome, _, _ in card.detailed] == ["promise", "dispute", "call_back"]
    body = response.content.decode()
    # One click records the simple outcomes; the promise is on the card, its amount what is owed.
    for outcome in ("no_answer", "voicemail", "invoice_not_received", "cash_difficulty"):
        assert f'name="outcome" value="{outcome}"><input type="hidden" name="next"' in body
    assert f'name="c{call.pk}-promise-amount" value="2400,00"' in body
    # The dispute's form (the invoices to tick) comes when the collector opens it (htmx).
    assert f'hx-get="/worklist/calls/{call.pk}/outcome/dispute/"' in body
    form = collector_a.get(f"/worklist/calls/{call.pk}/outcome/promise/", HTTP_HX_REQUEST="true")
    assert f'id="id_c{call.pk}-promise-amount"' in form.content.decode()
    assert (
        collector_a.get(
            f"/worklist/calls/{call.pk}/outcome/nonsense/", HTTP_HX_REQUEST="true"
        ).status_code
        == 404
    )
    assert "Promesse de paiement" in body  # the outcome labels are translated


def test_the_script_says_when_the_rate_for_the_penalties_is_missing(collector_a, desk, today):
    caller, call, _, _ = desk
    url = f"/worklist/calls/{call.pk}/script/"
    script = collector_a.get(url, HTTP_HX_REQUEST="true")
    if script.context["card"].missing_rate:
        assert "relance rates add" in script.content.decode()
    record_missing_rates(caller, today)
    card = collector_a.get(url, HTTP_HX_REQUEST="true").context["card"]
    assert card.missing_rate == ""
    assert "Pénalités et indemnités à ce jour" in card.script


def test_a_promise_recorded_in_the_browser_form_updates_the_case_and_the_timeline(
    collector_a, desk, today
):
    caller, call, _, _ = desk
    day = today + timedelta(days=12)
    response = collector_a.post(
        f"/worklist/calls/{call.pk}/",
        {
            "outcome": "promise",
            f"c{call.pk}-promise-amount": "1 200,50",
            f"c{call.pk}-promise-date": day.isoformat(),
            "next": "/worklist/",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/worklist/"
    promise = Promise.objects.get(debtor=caller)
    assert (promise.amount, promise.promised_date) == (Decimal("1200.50"), day)
    call.refresh_from_db()
    assert call.state == "sent"
    assert call.outcome["by"] == "user:camille"
    timeline = collector_a.get(f"/debtors/{caller.pk}/").context["timeline"]
    kinds = [item.kind for item in timeline]
    assert "call" in kinds
    assert "promise.open" in kinds
    called = next(item for item in timeline if item.kind == "call")
    assert "promesse de paiement de 1\u202f200,50\xa0€" in called.text
    assert collector_a.get("/worklist/").context["cards"] == []


def test_a_promise_without_a_date_is_refused_and_the_amount_typed_is_kept(collector_a, desk):
    _, call, _, _ = desk
    response = collector_a.post(
        f"/worklist/calls/{call.pk}/",
        {
            "outcome": "promise",
            f"c{call.pk}-promise-amount": "1200",
        },
    )
    assert response.status_code == 400
    assert 'value="1200"' in response.content.decode()
    assert "Ce champ est obligatoire." in response.content.decode()
    call.refresh_from_db()
    assert call.state == "planned"
    assert not Promise.objects.exists()


def test_a_refusal_of_the_service_is_shown_on_the_form(collector_a, desk, today):
    _, call, _, _ = desk
    response = collector_a.post(
        f"/worklist/calls/{call.pk}/",
        {
            "outcome": "promise",
            f"c{call.pk}-promise-amount": "100",
            f"c{call.pk}-promise-date": (today - timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert "est déjà passée" in response.content.decode()
    assert not Promise.objects.exists()


def test_a_dispute_outcome_names_the_invoices_ticked(collector_a, desk):
    _caller, call, _, _ = desk
    collector_a.post(
        f"/worklist/calls/{call.pk}/",
        {
            "outcome": "dispute",
            f"c{call.pk}-dispute-invoices": ["A-C1"],
            f"c{call.pk}-dispute-reason": "prix contesté",
        },
    )
    assert list(Dispute.objects.values_list("invoice__number", "reason")) == [
        ("A-C1", "prix contesté")
    ]


def test_an_invoice_of_another_debtor_cannot_be_ticked(collector_a, desk):
    _, call, _, _ = desk
    response = collector_a.post(
        f"/worklist/calls/{call.pk}/",
        {
            "outcome": "dispute",
            f"c{call.pk}-dispute-invoices": ["A-L0"],
            f"c{call.pk}-dispute-reason": "x",
        },
    )
    assert response.status_code == 400
    assert not Dispute.objects.exists()


def test_a_wrong_number_puts_a_task_on_the_worklist_and_it_can_be_done(collector_a, desk):
    _caller, call, _, _ = desk
    collector_a.post(
        f"/worklist/calls/{call.pk}/",
        {"outcome": "wrong_number", f"c{call.pk}-wrong_number-phone": "04 00 00 00 03"},
    )
    [(task, _form)] = collector_a.get("/worklist/").context["tasks"]
    assert task.step_key == "find_number"
    assert "Trouver le bon numéro" in collector_a.get("/worklist/").content.decode()
    collector_a.post(f"/worklist/tasks/{task.pk}/done/", {f"t{task.pk}-note": "04 00 00 00 99"})
    task.refresh_from_db()
    assert task.state == "sent"
    assert task.outcome["note"] == "04 00 00 00 99"


def test_the_call_page_works_alone_and_shows_the_outcome_once_recorded(collector_a, desk, today):
    _, call, _, _ = desk
    assert collector_a.get(f"/worklist/calls/{call.pk}/").status_code == 200
    call_outcome_record(action=call, outcome="no_answer", as_of=today)
    body = collector_a.get(f"/worklist/calls/{call.pk}/").content.decode()
    assert "appel sans réponse" in body
    assert 'name="outcome"' not in body


def test_an_approval_shows_exactly_the_letter_that_will_be_printed(collector_a, desk, today):
    _, _, late, notice = desk
    record_missing_rates(late, today)
    [listed] = collector_a.get("/worklist/").context["previews"]
    assert listed.action == notice
    # The preview comes on its own request as the card scrolls into view (htmx), or as a page.
    fragment = collector_a.get(f"/worklist/actions/{notice.pk}/preview/", HTTP_HX_REQUEST="true")
    assert fragment.content.decode().startswith('<div class="preview-slot loaded"')
    page = collector_a.get(f"/worklist/actions/{notice.pk}/preview/")
    assert "<html" in page.content.decode()
    preview = fragment.context["p"]
    assert preview.action == notice
    assert preview.kind == "letter"
    assert preview.error == ""
    assert "MISE EN DEMEURE" in preview.text.upper()
    assert late.name in preview.recipient
    body = collector_a.get("/worklist/").content.decode()
    assert f'href="/actions/{notice.pk}/text/"' in body  # edit this message before approving
    pdf = collector_a.get(f"/worklist/actions/{notice.pk}/letter.pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_a_viewer_sees_the_desk_but_cannot_record(viewer_a, desk, today):
    _, call, _, _ = desk
    assert viewer_a.get("/worklist/").status_code == 200
    response = viewer_a.post(f"/worklist/calls/{call.pk}/", {"outcome": "no_answer"})
    assert response.status_code == 403
    call.refresh_from_db()
    assert call.state == "planned"


# --- the debtor page: the case ------------------------------------------------------------------


def test_the_debtor_page_records_a_promise_a_plan_and_a_dispute(collector_a, desk, today):
    caller, _, _, _ = desk
    url = f"/debtors/{caller.pk}/"
    day = today + timedelta(days=5)
    assert (
        collector_a.post(
            url + "promise/", {"promise-amount": "300", "promise-date": day.isoformat()}
        ).status_code
        == 302
    )
    assert Promise.objects.get(debtor=caller).amount == Decimal("300")
    assert (
        collector_a.post(
            url + "dispute/open/", {"dispute-invoice": "A-C0", "dispute-reason": "doublon"}
        ).status_code
        == 302
    )
    assert Dispute.objects.get(invoice__number="A-C0").status == "open"
    assert collector_a.post(url + "dispute/close/", {"invoice": "A-C0"}).status_code == 302
    assert Dispute.objects.get(invoice__number="A-C0").status == "closed"
    response = collector_a.post(
        url + "plan/", {"plan-instalments": "3", "plan-first": day.isoformat(), "plan-every": "1m"}
    )
    assert response.status_code == 302
    plan = PaymentPlan.objects.get(debtor=caller)
    assert plan.instalments.count() == 3
    assert Case.objects.get(debtor=caller, status__in=["plan"]).pk
    kinds = [item.kind for item in collector_a.get(url).context["timeline"]]
    assert {"promise.open", "dispute.open", "dispute.closed", "plan.active"} <= set(kinds)


def test_a_bad_plan_is_refused_with_what_was_typed_kept(collector_a, desk):
    caller, _, _, _ = desk
    response = collector_a.post(
        f"/debtors/{caller.pk}/plan/", {"plan-instalments": "0", "plan-first": "demain"}
    )
    assert response.status_code == 400
    assert 'value="demain"' in response.content.decode()
    assert not PaymentPlan.objects.exists()


def test_the_debtor_page_is_french_all_through(collector_a, desk, today):
    caller, _, _, _ = desk
    body = collector_a.get(f"/debtors/{caller.pk}/").content.decode()
    assert "Entreprise" in body  # the kind, translated
    lines = debtor_invoices(debtor=caller, as_of=today)
    if any(line.missing_rate for line in lines):
        assert "Aucun taux n’est encore enregistré" in body
        assert "No known rate" not in body
        assert "Nothing is guessed" not in body
    record_missing_rates(caller, today)
    response = collector_a.get(f"/debtors/{caller.pk}/")
    assert response.context["penalties_total"] > 0


def test_the_penalties_total_is_a_dash_when_a_rate_is_missing(collector_a, desk, today):
    caller, _, _, _ = desk
    lines = debtor_invoices(debtor=caller, as_of=today)
    if not any(line.missing_rate for line in lines):
        pytest.skip("every rate this test would need is shipped: nothing is missing today")
    response = collector_a.get(f"/debtors/{caller.pk}/")
    assert response.context["penalties_total"] is None
    assert "relance rates add" in response.content.decode()


# --- creditor A's user on creditor B's objects: 404, nothing changes -------------------------------


@pytest.fixture
def admin_of_a(login, creditor_a):
    return login("adele", "admin", creditor_a)


def test_a_call_of_b_cannot_be_seen_or_recorded(admin_of_a, desk_b):
    _, call, _, _ = desk_b
    assert admin_of_a.get(f"/worklist/calls/{call.pk}/").status_code == 404
    assert (
        admin_of_a.post(f"/worklist/calls/{call.pk}/", {"outcome": "no_answer"}).status_code == 404
    )
    for part in ("script/", "outcome/promise/"):
        url = f"/worklist/calls/{call.pk}/{part}"
        assert admin_of_a.get(url, HTTP_HX_REQUEST="true").status_code == 404
        assert admin_of_a.get(url).status_code == 404
    call.refresh_from_db()
    assert call.state == "planned"
    assert "B Fleurs" not in admin_of_a.get("/worklist/").content.decode()


def test_a_task_of_b_cannot_be_done(admin_of_a, desk_b, today):
    _, call, _, _ = desk_b
    [task] = call_outcome_record(action=call, outcome="wrong_number", as_of=today).follow_ups
    assert admin_of_a.post(f"/worklist/tasks/{task.pk}/done/", {}).status_code == 404
    task.refresh_from_db()
    assert task.state == "planned"


def test_a_letter_of_b_cannot_be_previewed_nor_its_documents_read(admin_of_a, desk_b):
    _, _, _, notice = desk_b
    assert admin_of_a.get(f"/worklist/actions/{notice.pk}/letter.pdf").status_code == 404
    Action.objects.filter(pk=notice.pk).update(document="documents/x.pdf")
    assert admin_of_a.get(f"/actions/{notice.pk}/document/").status_code == 404


def test_the_case_of_a_debtor_of_b_cannot_be_changed(admin_of_a, desk_b, today):
    caller, _, _, _ = desk_b
    dispute_open(creditor=caller.creditor, invoice_number="B-C1", reason="b", as_of=today)
    url = f"/debtors/{caller.pk}/"
    day = (today + timedelta(days=5)).isoformat()
    before = Event.objects.count()
    assert (
        admin_of_a.post(
            url + "promise/", {"promise-amount": "300", "promise-date": day}
        ).status_code
        == 404
    )
    assert (
        admin_of_a.post(
            url + "dispute/open/", {"dispute-invoice": "B-C0", "dispute-reason": "x"}
        ).status_code
        == 404
    )
    assert admin_of_a.post(url + "dispute/close/", {"invoice": "B-C1"}).status_code == 404
    assert (
        admin_of_a.post(
            url + "plan/", {"plan-instalments": "2", "plan-first": day, "plan-every": "1m"}
        ).status_code
        == 404
    )
    assert not Promise.objects.exists()
    assert not PaymentPlan.objects.exists()
    assert list(Dispute.objects.values_list("invoice__number", "status")) == [("B-C1", "open")]
    assert Event.objects.count() == before


def test_a_user_of_a_cannot_close_a_dispute_of_b_through_a_debtor_of_a(
    admin_of_a, desk, desk_b, today
):
    caller_a = desk[0]
    caller_b = desk_b[0]
    dispute_open(creditor=caller_b.creditor, invoice_number="B-C1", reason="b", as_of=today)
    assert (
        admin_of_a.post(f"/debtors/{caller_a.pk}/dispute/close/", {"invoice": "B-C1"}).status_code
        == 404
    )
    assert Dispute.objects.get().status == "open"


def test_the_timeline_names_each_step_in_words_not_by_its_key(collector_a, desk):
    _, _, late, notice = desk
    body = collector_a.get(f"/debtors/{late.pk}/").content.decode()
    timeline = body[body.index('<ol class="timeline">') :]
    assert "Mise en demeure" in timeline
    assert notice.step_key not in timeline
    worklist = collector_a.get("/worklist/").content.decode()
    approvals = worklist[worklist.index('id="approvals-title"') :]
    assert "Mise en demeure · lettre recommandée" in approvals


def test_with_htmx_an_outcome_and_an_approval_answer_with_their_card_only(collector_a, desk, today):
    _, call, _late, notice = desk
    hx = {"HTTP_HX_REQUEST": "true"}
    # A form error comes back in the card (htmx swaps only a 2xx answer), nothing recorded.
    response = collector_a.post(f"/worklist/calls/{call.pk}/", {"outcome": "promise"}, **hx)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.startswith(f'<article class="card call-card" id="call-{call.pk}"')
    assert 'aria-invalid="true"' in body
    call.refresh_from_db()
    assert call.outcome == {}
    response = collector_a.post(f"/worklist/calls/{call.pk}/", {"outcome": "no_answer"}, **hx)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.startswith(f'<article class="card call-card" id="call-{call.pk}"')
    assert "Issue enregistrée" in body
    call.refresh_from_db()
    assert call.outcome["outcome"] == "no_answer"
    record_missing_rates(_late, today)  # else the letter, which states the rate, is refused
    response = collector_a.post(f"/worklist/actions/{notice.pk}/approve/", **hx)
    assert response.status_code == 200
    body = response.content.decode()
    assert f'id="action-{notice.pk}"' in body
    assert "Action validée." in body
    notice.refresh_from_db()
    assert notice.state == "approved"


def test_today_s_pass_runs_from_the_worklist_for_the_active_creditor_only(
    collector_a, creditor_a, creditor_b, today, settings, tmp_path
):
    from django.test import Client

    from tests.apps.workspace.conftest import make_user

    settings.EMAIL_URL = f"file://{tmp_path / 'outbox'}"
    mine = DebtorFactory(creditor=creditor_a, email="a@example.org")
    theirs = DebtorFactory(creditor=creditor_b, email="b@example.org")
    for debtor in (mine, theirs):
        InvoiceFactory(
            debtor=debtor,
            creditor=debtor.creditor,
            issue_date=today - timedelta(days=40),
            due_date=today - timedelta(days=10),
        )
    viewer = Client()
    viewer.force_login(make_user("vera", "viewer", creditor_a))
    assert viewer.post("/worklist/run/").status_code == 403
    response = collector_a.post("/worklist/run/", follow=True)
    assert "Passe du jour faite" in response.content.decode()
    assert Case.objects.filter(debtor=mine).exists()
    assert not Case.objects.filter(debtor=theirs).exists()
    again = collector_a.post("/worklist/run/", follow=True)  # twice the same day: nothing new
    assert "0 messages envoyés" in again.content.decode()


def test_a_one_click_outcome_the_service_refuses_says_why_on_the_card(collector_a, desk):
    from relance.apps.ledger.models import Debtor

    _, call, _, _ = desk
    Debtor.objects.filter(pk=call.debtor_id).update(phone="")
    response = collector_a.post(
        f"/worklist/calls/{call.pk}/", {"outcome": "wrong_number"}, HTTP_HX_REQUEST="true"
    )
    text = response.content.decode().replace("&#x27;", "'")
    assert "Faux numéro : " in text
    assert "aucun numéro de téléphone n’est enregistré pour A Fleurs Petit SARL" in text
    call.refresh_from_db()
    assert call.state == "planned"
