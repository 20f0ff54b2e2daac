"""Scenarios as data: save, import and export (TOML), the shipped defaults, and the engine's view.

``scenario_to_domain`` turns a stored scenario into the pure ``domain.scenario.Scenario``;
``scenarios_with_defaults`` gives every scenario and the default one per debtor kind, and
``assigned_scenarios`` the scenario a person chose for a debtor. The shipped scenarios are
the TOML files of the ``scenarios/`` folder next to this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from django.db import transaction
from django.db.models import Q, QuerySet

from relance.apps.audit.services import event_record
from relance.apps.collection.models import (
    Case,
    Scenario,
    Step,
)
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Debtor
from relance.domain import scenario as engine
from relance.domain.errors import InvalidInputError, NotFoundError

DEFAULTS_DIR = Path(__file__).resolve().parent / "scenarios"


# Which shipped scenario a debtor of each kind gets unless its case names another one.
DEFAULT_FILES = {
    "b2b_standard.toml": True,
    "consumer_gentle.toml": True,
    "key_accounts.toml": False,
    "public_bodies.toml": True,
}


def scenario_to_domain(scenario: Scenario) -> engine.Scenario:
    return engine.Scenario(
        name=scenario.name,
        steps=tuple(
            engine.Step(
                key=s.key,
                offset_days=s.offset_days,
                channel=s.channel,
                template=s.template,
                requires_approval=s.requires_approval,
                min_amount=s.min_amount,
                debtor_kinds=tuple(s.debtor_kinds or ()),
            )
            for s in sorted(scenario.steps.all(), key=lambda s: (s.position, s.offset_days))
        ),
        debtor_kinds=tuple(scenario.debtor_kinds or ()),
        description=scenario.description,
        thank_you=scenario.sends_thank_you,
    )


def scenario_save(
    *,
    scenario: engine.Scenario,
    creditor: Creditor | None = None,
    is_default: bool | None = None,
    actor: str = "system",
) -> Scenario:
    """Create or replace (by name) a scenario and its steps: the creditor's own, or install-wide
    when ``creditor`` is None (only these can be a default). Who may change which is the
    caller's to check (``editors.services.scenario_edit``)."""
    if creditor is not None and is_default:
        raise InvalidInputError("only an install-wide scenario can be a default")
    with transaction.atomic():
        row, created = Scenario.objects.get_or_create(name=scenario.name, creditor=creditor)
        row.description = scenario.description
        row.debtor_kinds = list(scenario.debtor_kinds)
        row.sends_thank_you = scenario.thank_you
        if is_default is not None:
            row.is_default = is_default
        row.save()
        row.steps.all().delete()
        Step.objects.bulk_create(
            Step(
                scenario=row,
                position=n,
                key=s.key,
                offset_days=s.offset_days,
                channel=s.channel,
                template=s.template,
                requires_approval=s.requires_approval,
                min_amount=s.min_amount,
                debtor_kinds=list(s.debtor_kinds),
            )
            for n, s in enumerate(scenario.steps)
        )
        event_record(
            kind="scenario.imported" if created else "scenario.replaced",
            subject_type="scenario",
            subject_id=row.pk,
            creditor_id=creditor.pk if creditor else None,
            payload={"toml": engine.scenario_to_toml(scenario)},
            actor=actor,
        )
    return row


def scenario_import(
    *,
    text: str,
    creditor: Creditor | None = None,
    is_default: bool | None = None,
    actor: str = "system",
) -> Scenario:
    return scenario_save(
        scenario=engine.scenario_from_toml(text),
        creditor=creditor,
        is_default=is_default,
        actor=actor,
    )


def scenarios_visible(*, creditor: Creditor | None) -> QuerySet[Scenario]:
    """The scenarios ``creditor`` sees: the install-wide ones and its own (only the
    install-wide ones when None)."""
    mine = Q(creditor__isnull=True)
    if creditor is not None:
        mine |= Q(creditor=creditor)
    return Scenario.objects.filter(mine)


def scenario_export(*, name: str, creditor: Creditor | None = None) -> str:
    visible = scenarios_visible(creditor=creditor)
    row = visible.filter(name=name).order_by("creditor_id").prefetch_related("steps").first()
    if row is None:
        known = ", ".join(visible.values_list("name", flat=True))
        raise NotFoundError(f"no scenario named {name!r} (known: {known or 'none'})")
    return engine.scenario_to_toml(scenario_to_domain(row))


def scenarios_load_defaults() -> list[Scenario]:
    """Install the shipped scenarios that are not there yet (an edited one is left alone)."""
    rows = []
    for filename, is_default in DEFAULT_FILES.items():
        parsed = engine.scenario_from_toml((DEFAULTS_DIR / filename).read_text(encoding="utf-8"))
        existing = Scenario.objects.filter(name=parsed.name, creditor__isnull=True).first()
        rows.append(existing or scenario_save(scenario=parsed, is_default=is_default))
    return rows


def scenarios_with_defaults() -> tuple[dict[int, engine.Scenario], dict[str, int]]:
    """Every scenario as the engine sees it, and the default one per debtor kind."""
    rows = list(Scenario.objects.prefetch_related("steps"))
    by_id = {row.pk: scenario_to_domain(row) for row in rows}
    defaults: dict[str, int] = {}
    for kind in engine.DEBTOR_KINDS:
        chosen = default_for_kind(rows, kind)
        if chosen is not None:
            defaults[kind] = chosen
    return by_id, defaults


def default_for_kind(rows: Iterable[Scenario], kind: str) -> int | None:
    """The default scenario for debtors of ``kind``: among the default scenarios that cover
    it, the most specific (fewest kinds listed; none listed covers every kind), then the oldest.
    So the shipped "Public bodies" (public only) wins over a "B2B standard" that still lists
    ``public``, as installs before it had it."""
    covering = [
        (len(row.debtor_kinds or engine.DEBTOR_KINDS), row.pk)
        for row in rows
        if row.is_default and kind in (row.debtor_kinds or engine.DEBTOR_KINDS)
    ]
    return min(covering)[1] if covering else None


def defaulted_kinds() -> dict[int, list[str]]:
    """scenario id → the debtor kinds it is the default for (``default_for_kind``)."""
    rows = list(Scenario.objects.filter(is_default=True))
    out: dict[int, list[str]] = {}
    for kind in engine.DEBTOR_KINDS:
        chosen = default_for_kind(rows, kind)
        if chosen is not None:
            out.setdefault(chosen, []).append(kind)
    return out


def scenario_id_for(*, debtor: Debtor, case: Case | None) -> int | None:
    """The scenario that chases ``debtor``: its case's, else the one assigned to the debtor,
    else the default for its kind (None when no scenario is installed)."""
    scenario_id = case.scenario_id if case else None
    if scenario_id is None:
        scenario_id = (
            Scenario.objects.filter(assignments__debtor=debtor).values_list("pk", flat=True).first()
        )
    if scenario_id is None:
        # Only an install-wide scenario is a default (a creditor's own is chosen per debtor).
        scenario_id = default_for_kind(
            Scenario.objects.filter(is_default=True, creditor__isnull=True), debtor.kind
        )
    return scenario_id


def assigned_scenarios(*, creditor: Creditor) -> dict[int, int]:
    """debtor id → the scenario a person chose for that debtor (the editors' assignment), which
    a new case follows rather than the default for the debtor's kind."""
    return dict(
        Debtor.objects.filter(creditor=creditor, scenario_assignment__isnull=False).values_list(
            "id", "scenario_assignment__scenario_id"
        )
    )
