"""Each page runs a bounded number of queries, the same with 5 debtors as with 50 (no N+1).

The desk is built with the real services: debtors with overdue invoices, a paid invoice each
(a payment allocated to it), the daily pass planning calls and approvals, promises, disputes,
and one big debtor with partly paid invoices. Then it grows tenfold and every page must run
exactly as many queries as before.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from relance.apps.audit.services import event_record
from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.history import contact_declare
from relance.apps.collection.models import Action, Case, Dispute, PaymentPlan, Promise
from relance.apps.ledger.models import Allocation, ImportBatch, Invoice, Payment
from relance.apps.workspace import figures
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

# The most queries any page may run, whatever the volume.
MAX_QUERIES = 40


def _pay(invoice: Invoice, amount: Decimal, day) -> None:  # type: ignore[no-untyped-def]
    payment = Payment.objects.create(
        creditor=invoice.creditor,
        debtor=invoice.debtor,
        value_date=day,
        amount=amount,
        reference=invoice.number,
        origin=Payment.Origin.BANK,
    )
    Allocation.objects.create(payment=payment, invoice=invoice, amount=amount)
    invoice.open_amount -= amount
    invoice.status = Invoice.Status.PAID if invoice.open_amount == 0 else Invoice.Status.OPEN
    invoice.save()


class Desk:
    """A creditor's desk that grows: ``grow(n)`` brings it to ``n`` debtors."""

    def __init__(self, creditor, today) -> None:  # type: ignore[no-untyped-def]
        self.creditor, self.today, self.debtors = creditor, today, []
        self.big = DebtorFactory(
            creditor=creditor, name="Grossiste Big SAS", phone="04 00 00 00 01"
        )

    def grow(self, n: int) -> None:
        today, creditor = self.today, self.creditor
        while len(self.debtors) < n:
            i = len(self.debtors)
            debtor = DebtorFactory(
                creditor=creditor, phone=f"04 00 00 {i // 100:02d} {i % 100:02d}"
            )
            late = 40 if i % 2 else 16  # a registered letter awaiting approval, or a call
            invoice = InvoiceFactory(
                debtor=debtor,
                creditor=creditor,
                issue_date=today - timedelta(days=late + 30),
                due_date=today - timedelta(days=late),
            )
            paid = InvoiceFactory(
                debtor=debtor,
                creditor=creditor,
                issue_date=today - timedelta(days=80),
                due_date=today - timedelta(days=50),
            )
            _pay(paid, paid.total_amount, today.replace(day=1))
            if i % 3 == 0:
                Dispute.objects.create(
                    creditor=creditor,
                    invoice=invoice,
                    reason="livraison incomplète",
                    opened_on=today - timedelta(days=2),
                )
            event_record(
                kind="debtor.notes_updated",
                subject_type="debtor",
                subject_id=debtor.pk,
                creditor_id=creditor.pk,
                payload={"notes": f"note {i}"},
                actor="user:test",
            )
            # the big debtor: one more invoice, partly paid, each with its own event
            big = InvoiceFactory(
                debtor=self.big,
                creditor=creditor,
                issue_date=today - timedelta(days=90 + i),
                due_date=today - timedelta(days=60 + i),
            )
            _pay(big, Decimal("100.00"), today - timedelta(days=5))
            event_record(
                kind="invoice.updated",
                subject_type="invoice",
                subject_id=big.pk,
                creditor_id=creditor.pk,
                payload={"number": big.number},
                actor="import:ledger",
            )
            ImportBatch.objects.create(
                creditor=creditor,
                kind="ledger",
                format="csv",
                filename=f"gl-{i}.csv",
                sha256=f"{i:064x}",
                status="committed",
            )
            self.debtors.append(debtor)
            # The steps before were taken by hand before Relance (a first pass no longer jumps
            # to the call or the mise en demeure): declared, the chase resumes there.
            contact_declare(creditor=creditor, debtor=debtor,
                            step_key="reminder_letter" if late == 40 else "invoice_again",
                            contact_date=today - timedelta(days=15 if late == 40 else 6), today=today)
        collection_run(as_of=today, creditor=creditor, dispatch=False)
        for call in Action.objects.filter(creditor=creditor, channel="call", state="planned"):
            # an e-mail sent before the call: the call card lists it among the attempts
            sent = timezone.now() - timedelta(days=9)
            Action.objects.get_or_create(
                idempotency_key=f"test-{call.case_id}-email",
                defaults={
                    "creditor": creditor,
                    "debtor_id": call.debtor_id,
                    "case_id": call.case_id,
                    "step_key": "reminder",
                    "channel": "email",
                    "template": "reminder",
                    "planned_date": sent.date(),
                    "state": "sent",
                    "sent_at": sent,
                    "subject": "Facture impayée",
                },
            )
        for k, case in enumerate(
            Case.objects.filter(creditor=creditor, promises__isnull=True).order_by("id")
        ):
            Promise.objects.create(
                creditor=creditor,
                debtor_id=case.debtor_id,
                case=case,
                amount=Decimal("50.00"),
                baseline_amount=Decimal("1200.00"),
                promised_date=today + timedelta(days=k % 5),
                status="open" if k % 2 else "broken",
                resolved_on=None if k % 2 else today - timedelta(days=1),
            )
            if k % 4 == 0:
                PaymentPlan.objects.create(
                    creditor=creditor,
                    debtor_id=case.debtor_id,
                    case=case,
                    total_amount=Decimal("1200.00"),
                    baseline_amount=Decimal("1200.00"),
                )


@pytest.fixture
def desk(creditor_a, today):
    return Desk(creditor_a, today)


PAGES = [
    "/",
    "/worklist/",
    "/worklist/?channel=registered_letter&min=100",
    "/letters/",
    "/debtors/",
    "/debtors/?sort=days",
    "/debtors/?sort=name",
    "/debtors/?filter=overdue",
    "/debtors/?filter=dispute",
    "/debtors/?filter=plan",
    "/debtors/?filter=hold",
    "/debtors/?q=Client",
    "/debtors/?filter=overdue&sort=days&page=2",
    "big-debtor",
    "/imports/",
    "/settings/",
]


def _count(client, path: str) -> int:  # type: ignore[no-untyped-def]
    client.get(path)  # the first view of a page may fill caches (templates, translations)
    figures.invalidate()  # but the ledger's figures are computed afresh: the costly path
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(ctx.captured_queries)


@pytest.mark.parametrize("page", PAGES)
def test_a_page_runs_as_many_queries_for_50_debtors_as_for_5(admin_a, desk, page):
    path = f"/debtors/{desk.big.pk}/" if page == "big-debtor" else page
    desk.grow(5)
    small = _count(admin_a, path)
    desk.grow(50)
    assert Invoice.objects.filter(debtor=desk.big).count() == 50
    large = _count(admin_a, path)
    assert large == small, f"{path}: {small} queries with 5 debtors, {large} with 50"
    assert large <= MAX_QUERIES, f"{path}: {large} queries"


def test_the_desk_has_work_on_every_page(admin_a, desk):
    """The counts above mean something only if the pages list rows."""
    desk.grow(6)
    response = admin_a.get("/worklist/")
    assert any(card.history for card in response.context["cards"])
    work = response.context["work"]
    assert work.calls
    assert work.approvals
    assert len(admin_a.get("/debtors/?filter=dispute").context["page"].object_list) == 2
    assert admin_a.get("/").context["board"].promises_due
    lines = admin_a.get(f"/debtors/{desk.big.pk}/").context["lines"]
    assert len(lines) == 6
    assert all(line.invoice.open_amount == Decimal("1100.00") for line in lines)


def test_a_payment_shows_at_once_on_the_kept_figures(admin_a, desk, today):
    """The ranking and the dashboard are kept between views, but not past a change of amounts."""
    desk.grow(6)
    top = admin_a.get("/debtors/").context["page"].object_list[0]
    assert top == desk.big
    before = admin_a.get("/").context["board"].open_total
    for invoice in Invoice.objects.filter(debtor=desk.big, status="open"):
        _pay(invoice, invoice.open_amount, today)
    assert admin_a.get("/debtors/").context["page"].object_list[0] != desk.big
    assert admin_a.get("/").context["board"].open_total == before - Decimal("6600.00")


def test_the_hold_filter_lists_legal_holds_and_paused_cases_and_counts_them(admin_a, desk):
    desk.grow(6)
    held, paused = desk.debtors[0], desk.debtors[1]
    held.is_legal_hold = True
    held.save()
    Case.objects.filter(debtor=paused).update(status="paused")
    page = admin_a.get("/debtors/?filter=hold&sort=days").context["page"]
    assert {d.pk for d in page.object_list} == {held.pk, paused.pk}
    assert page.paginator.count == 2
    assert all(d.open_total == Decimal("1200.00") for d in page.object_list)


def test_an_import_confirmed_in_the_workspace_leaves_the_dashboard_ready(
    collector_a, creditor_a, settings, tmp_path
):
    """The figures are computed as the import ends: the next dashboard reads them kept."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.apps.workspace.test_pages import CSV

    settings.MEDIA_ROOT = tmp_path
    collector_a.post(
        "/imports/",
        {"kind": "ledger", "file": SimpleUploadedFile("export.csv", CSV.encode())},
    )
    from relance.apps.workspace.models import ImportUpload

    upload = ImportUpload.objects.get()
    done = collector_a.post(f"/imports/{upload.token}/confirm/", {"decision": "confirm"})
    assert done.status_code == 200
    assert not ImportUpload.objects.exists()
    with CaptureQueriesContext(connection) as queries:
        assert collector_a.get("/").status_code == 200
    assert not [
        q
        for q in queries.captured_queries
        if "GROUP BY" in q["sql"] and "ledger_invoice" in q["sql"]
    ]
