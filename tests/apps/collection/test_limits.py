"""Time limits watched: each open claim's last day to act, and the pass's hold on court threats.

A consumer owes an invoice due on 1 June 2023: two years (C. conso. L218-2) ran out on
1 June 2025. On 1 February 2026 the pass would plan the mise en demeure threatening an
injonction de payer; it holds the step and plans a task saying why, once.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.history import contact_declare
from relance.apps.collection.limits import claim_limits, nearing_limits, time_barred
from relance.apps.collection.models import Action, PaymentPlan
from relance.apps.ledger.models import Allocation, Payment
from relance.apps.legal.services import limitation_record
from relance.domain.errors import InvalidInputError, NotFoundError
from relance.domain.law import PrescriptionEventError
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 2, 1)
COURT_STEPS = ("formal_notice", "escalation")


def owing(creditor, account, *, kind, due, number=None):
    debtor = DebtorFactory(creditor=creditor, account=account, name=f"Débiteur {account}", kind=kind,
                           address="5 avenue Foch", postal_code="75016", city="Paris", siren="732829320")
    invoice = InvoiceFactory(debtor=debtor, creditor=creditor, number=number or f"FA-{account}",
                             issue_date=due.replace(day=1), due_date=due, total_amount=Decimal("900.00"))
    return debtor, invoice


def pay(creditor, debtor, invoice, day, amount="100.00"):
    payment = Payment.objects.create(creditor=creditor, debtor=debtor, value_date=day, amount=Decimal(amount),
                                     origin=Payment.Origin.BANK, reference="VIR")
    Allocation.objects.create(payment=payment, invoice=invoice, amount=Decimal(amount))


def test_a_time_barred_consumer_claim_gets_a_task_not_a_court_threat(creditor):
    debtor, invoice = owing(creditor, "411OLD", kind="consumer", due=date(2023, 6, 1))
    # The amicable steps were taken by hand: the mise en demeure threatening court comes next.
    contact_declare(creditor=creditor, debtor=debtor, step_key="reminder_letter",
                    contact_date=date(2026, 1, 5), today=AS_OF)
    limits = claim_limits(creditor=creditor, as_of=AS_OF)
    assert limits[invoice.pk].expires == date(2025, 6, 1)
    assert limits[invoice.pk].is_expired(AS_OF)

    result = collection_run(creditor=creditor, as_of=AS_OF, dispatch=False)

    assert result.held["time_barred"] == 1
    court = Action.objects.filter(debtor=debtor, step_key__in=COURT_STEPS).exclude(state="skipped")
    assert not court.exists()
    task = Action.objects.get(debtor=debtor, step_key="time_barred")
    assert task.channel == "task"
    assert task.state == "planned"
    assert "FA-411OLD : dernier jour pour agir le 01/06/2025" in task.outcome["note"]
    assert task.outcome["held_step"] in COURT_STEPS
    # The next day: still held, and no second task.
    again = collection_run(creditor=creditor, as_of=date(2026, 2, 2), dispatch=False)
    assert again.held["time_barred"] == 1
    assert Action.objects.filter(debtor=debtor, step_key="time_barred").count() == 1


def test_a_partial_payment_restarts_the_period_and_the_step_goes_ahead(creditor):
    debtor, invoice = owing(creditor, "411PAID", kind="consumer", due=date(2023, 6, 1))
    pay(creditor, debtor, invoice, date(2024, 6, 3))  # an acknowledgement (C. civ. 2240)
    assert claim_limits(creditor=creditor, as_of=AS_OF)[invoice.pk].expires == date(2026, 6, 3)
    assert time_barred(creditor=creditor, as_of=AS_OF) == {}
    result = collection_run(creditor=creditor, as_of=AS_OF, dispatch=False)
    assert result.held["time_barred"] == 0
    assert not Action.objects.filter(debtor=debtor, step_key="time_barred").exists()


def test_a_recorded_court_claim_or_a_plan_counts_and_a_mise_en_demeure_does_not(creditor):
    _debtor, invoice = owing(creditor, "411B2B", kind="business", due=date(2021, 3, 1))
    assert claim_limits(creditor=creditor, as_of=AS_OF)[invoice.pk].expires == date(2026, 3, 1)
    with pytest.raises(PrescriptionEventError, match="four-year rule of public debts"):
        limitation_record(creditor=creditor, account="411B2B", kind="written_claim", day=date(2025, 1, 6),
                          proof="LRAR 1A2B")
    with pytest.raises(InvalidInputError, match="proof"):
        limitation_record(creditor=creditor, account="411B2B", kind="claim", day=date(2025, 1, 6), proof=" ")
    with pytest.raises(NotFoundError):
        limitation_record(creditor=creditor, account="411NOBODY", kind="claim", day=date(2025, 1, 6),
                          proof="RG 25/00012")
    limitation_record(creditor=creditor, account="411B2B", invoice_number="FA-411B2B", kind="claim",
                      day=date(2025, 1, 6), proof="Tribunal de commerce de Lyon, RG 25/00012")
    limit = claim_limits(creditor=creditor, as_of=AS_OF, invoice_ids=[invoice.pk])[invoice.pk]
    assert limit.expires == date(2030, 1, 6)
    # A plan the debtor agreed is an acknowledgement too, on every claim due by then.
    other, late = owing(creditor, "411PLAN", kind="business", due=date(2021, 4, 1))
    plan = PaymentPlan.objects.create(creditor=creditor, debtor=other, total_amount=Decimal("900.00"),
                                      baseline_amount=Decimal("900.00"))
    agreed = timezone.make_aware(datetime(2024, 9, 10, 11, 0))
    PaymentPlan.objects.filter(pk=plan.pk).update(created_at=agreed)
    assert claim_limits(creditor=creditor, as_of=AS_OF, invoice_ids=[late.pk])[late.pk].expires == date(2029, 9, 10)


def test_a_mediation_suspends_and_resumes_for_six_months(creditor):
    _debtor, invoice = owing(creditor, "411MED", kind="business", due=date(2021, 3, 1))
    limitation_record(creditor=creditor, account="411MED", kind="suspension", day=date(2025, 12, 1),
                      end=date(2026, 1, 15), proof="Accord de médiation du 1er décembre 2025")
    # 90 days were left on 1 Dec 2025; it resumes on 15 Jan 2026 for six months at least.
    assert claim_limits(creditor=creditor, as_of=AS_OF)[invoice.pk].expires == date(2026, 7, 15)


def test_a_public_body_s_four_years_are_interrupted_by_the_registered_letter(creditor):
    _debtor, invoice = owing(creditor, "411MAIRIE", kind="public", due=date(2021, 5, 10))
    # Four years from 1 January 2022: the last day is 31 December 2025.
    assert claim_limits(creditor=creditor, as_of=AS_OF)[invoice.pk].expires == date(2025, 12, 31)
    limitation_record(creditor=creditor, account="411MAIRIE", kind="written_claim", day=date(2024, 3, 4),
                      proof="LRAR 1A00112233")
    assert claim_limits(creditor=creditor, as_of=AS_OF)[invoice.pk].expires == date(2028, 12, 31)
    with pytest.raises(PrescriptionEventError, match="four-year rule"):
        limitation_record(creditor=creditor, account="411MAIRIE", kind="enforcement", day=date(2024, 3, 4),
                          proof="PV d'huissier")


def test_the_claims_within_ninety_days_of_their_limit_are_listed_soonest_first(creditor):
    _, _soon = owing(creditor, "411SOON", kind="business", due=date(2021, 3, 1))  # last day 1 March 2026
    _, later = owing(creditor, "411LATER", kind="business", due=date(2021, 6, 1))  # 1 June 2026: 120 days
    _, _gone = owing(creditor, "411GONE", kind="consumer", due=date(2023, 6, 1))  # 1 June 2025: past
    _, young = owing(creditor, "411YOUNG", kind="business", due=date(2025, 6, 1))
    listed = nearing_limits(creditor=creditor, as_of=AS_OF)
    assert [limit.number for limit in listed] == ["FA-411GONE", "FA-411SOON"]
    assert listed[1].days_left(AS_OF) == 28
    assert later.pk not in {limit.invoice_id for limit in listed}
    assert young.pk not in claim_limits(creditor=creditor, as_of=AS_OF)


def test_relance_prescription_record_from_the_command_line(creditor, capsys):
    from relance.cli import main

    _debtor, invoice = owing(creditor, "411CLI", kind="consumer", due=date(2024, 3, 1))
    assert main(["prescription", "record", "--debtor", "411CLI", "--invoice", "FA-411CLI",
                 "--event", "acknowledgement", "--date", "2025-01-15",
                 "--proof", "Courriel du débiteur du 15 janvier 2025 reconnaissant la dette"]) == 0
    out = capsys.readouterr().out
    assert "Enregistré pour 411CLI (la facture FA-411CLI) : acknowledgement du 15/01/2025" in out
    limit = claim_limits(creditor=creditor, as_of=AS_OF, invoice_ids=[invoice.pk])[invoice.pk]
    assert limit.expires == date(2027, 1, 15)
    # A mise en demeure interrupts nothing: refused with the reason, nothing written.
    assert main(["prescription", "record", "--debtor", "411CLI", "--event", "mise_en_demeure",
                 "--date", "2025-02-01", "--proof", "LRAR"]) != 0
    assert "is not one of acknowledgement" in capsys.readouterr().err
    assert main(["prescription", "--kind", "b2c"]) != 0
    assert "needs --kind and --from" in capsys.readouterr().err
