"""The first steps of a new creditor, read from what exists: its identity and IBAN, a ledger
imported, the scenario looked at, a test e-mail that left; then, once invoices are in, the one
question about what was already done outside Relance (``collection.outside``).

A step is done when the record shows it, never because a page was visited: the identity when
the name, SIREN, address and IBAN are set; the ledger when the creditor has an invoice; the
scenario when a person said it suits (``onboarding.scenario_checked``); the e-mail when a test
message was sent (``creditor.smtp_tested``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from relance.apps.audit.models import Event
from relance.apps.audit.services import event_record
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Invoice

SCENARIO_CHECKED = "onboarding.scenario_checked"


@dataclass
class Onboarding:
    identity: bool
    ledger: bool
    scenario: bool
    test_mail: bool
    scenarios: list[Any] = field(default_factory=list)
    old_debts: list[Any] = field(default_factory=list)
    old_debts_count: int = 0
    answered: Event | None = None

    @property
    def steps_done(self) -> int:
        return sum((self.identity, self.ledger, self.scenario, self.test_mail))

    @property
    def ready(self) -> bool:
        return self.steps_done == 4


def creditor_has_invoices(*, creditor: Creditor) -> bool:
    return Invoice.objects.filter(creditor=creditor).exists()


def onboarding_status(*, creditor: Creditor, as_of: date) -> Onboarding:
    from relance.apps.collection.models import Scenario
    from relance.apps.collection.outside import history_answered, old_debts
    from relance.apps.collection.scenarios import scenarios_load_defaults

    kinds = set(Event.objects.filter(
        subject_type="creditor", subject_id=creditor.pk,
        kind__in=[SCENARIO_CHECKED, "creditor.smtp_tested"],
    ).values_list("kind", flat=True))
    status = Onboarding(
        identity=all((creditor.name, creditor.siren, creditor.iban, creditor.address,
                      creditor.postal_code, creditor.city)),
        ledger=creditor_has_invoices(creditor=creditor),
        scenario=SCENARIO_CHECKED in kinds,
        test_mail="creditor.smtp_tested" in kinds,
    )
    if not Scenario.objects.exists():
        scenarios_load_defaults()
    status.scenarios = list(
        Scenario.objects.filter(is_default=True).prefetch_related("steps").order_by("name")
    )
    if status.ledger:
        status.answered = history_answered(creditor=creditor)
        if status.answered is None:
            status.old_debts, status.old_debts_count = old_debts(creditor=creditor, as_of=as_of)
    return status


def onboarding_scenario_checked(*, creditor: Creditor, actor: str) -> None:
    """A person looked at the default scenarios and says they suit."""
    event_record(
        kind=SCENARIO_CHECKED, subject_type="creditor", subject_id=creditor.pk,
        creditor_id=creditor.pk, actor=actor, payload={},
    )


def history_question_pending(*, creditor: Creditor) -> bool:
    """The first morning: invoices are in, no case was opened yet, and nobody said what was
    done outside Relance (two indexed lookups, cheap enough for the dashboard)."""
    from relance.apps.collection.models import Case
    from relance.apps.collection.outside import history_answered

    return (
        not Case.objects.filter(creditor=creditor).exists()
        and history_answered(creditor=creditor) is None
    )
