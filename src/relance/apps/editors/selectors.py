"""Reading templates and scenarios for the editors: what is shipped, what a creditor edited,
which debtors a scenario applies to."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, F, Max, OuterRef, Q, Subquery

from relance.apps.collection.models import OPEN_CASE_STATUSES, Case, Scenario
from relance.apps.collection.scenarios import defaulted_kinds, scenarios_visible
from relance.apps.creditors.models import Creditor
from relance.apps.editors.models import ScenarioAssignment, TemplateOverride
from relance.apps.ledger.models import Debtor
from relance.documents.sandbox import shipped_source
from relance.documents.templates import editable_names, split_name
from relance.domain.errors import InvalidInputError, NotFoundError

LANGS = ("fr", "en")


def override_pairs(key: str) -> Iterable[tuple[str, str]]:
    """The source provider for the documents layer: a creditor's edited templates by name."""
    try:
        creditor_id = int(key)
    except ValueError:
        return []
    return [
        (f"{lang}/{name}", source)
        for name, lang, source in TemplateOverride.objects.filter(
            creditor_id=creditor_id
        ).values_list("name", "lang", "source")
    ]


def lang_check(lang: str) -> str:
    if lang not in LANGS:
        raise InvalidInputError(f"Unknown language {lang!r}; use fr or en.")
    return lang


def name_check(name: str) -> str:
    """The canonical name (``reminder.txt``) of an editable template; NotFoundError otherwise."""
    step, part = split_name(name)
    return f"{step}.{part}"


@dataclass(frozen=True)
class TemplateRow:
    name: str
    step: str
    part: str
    lang: str
    edited: bool
    updated_at: datetime | None = None
    updated_by: str = ""


def templates_list(*, creditor: Creditor) -> list[TemplateRow]:
    """Every editable template in both languages, and whether ``creditor`` edited it."""
    edited = {
        (o.name, o.lang): o
        for o in TemplateOverride.objects.filter(creditor=creditor).only(
            "name", "lang", "updated_at", "updated_by"
        )
    }
    rows = []
    for name in editable_names():
        step, part = split_name(name)
        for lang in LANGS:
            o = edited.get((name, lang))
            rows.append(
                TemplateRow(
                    name,
                    step,
                    part,
                    lang,
                    o is not None,
                    o.updated_at if o else None,
                    o.updated_by if o else "",
                )
            )
    return rows


@dataclass(frozen=True)
class TemplateDetail:
    name: str
    step: str
    part: str
    lang: str
    shipped: str
    override: TemplateOverride | None

    @property
    def source(self) -> str:
        return self.override.source if self.override else self.shipped

    @property
    def edited(self) -> bool:
        return self.override is not None


def template_get(*, creditor: Creditor, name: str, lang: str) -> TemplateDetail:
    canonical = name_check(name)
    lang_check(lang)
    step, part = split_name(canonical)
    override = TemplateOverride.objects.filter(creditor=creditor, name=canonical, lang=lang).first()
    return TemplateDetail(
        canonical, step, part, lang, shipped_source(f"{lang}/{canonical}.j2"), override
    )


# --- scenarios ----------------------------------------------------------------------------------


def scenarios_list(*, creditor: Creditor) -> list[Scenario]:
    """The install-wide scenarios and the creditor's own; never another creditor's."""
    return list(
        scenarios_visible(creditor=creditor).prefetch_related("steps").order_by("name", "id")
    )


def scenario_get(*, name: str, creditor: Creditor) -> Scenario:
    """The creditor's scenario named ``name``, else the install-wide one."""
    row = (
        scenarios_visible(creditor=creditor)
        .filter(name=name)
        .order_by("creditor_id")
        .prefetch_related("steps")
        .first()
    )
    if row is None:
        raise NotFoundError(f"no scenario named {name!r}")
    return row


def scenario_by_id(*, scenario_id: int, creditor: Creditor) -> Scenario:
    """A scenario the creditor sees; another creditor's is not found, like one that is not."""
    row = (
        scenarios_visible(creditor=creditor)
        .filter(pk=scenario_id)
        .prefetch_related("steps")
        .first()
    )
    if row is None:
        raise NotFoundError(f"no scenario {scenario_id}")
    return row


def scenario_shared(*, scenario: Scenario, creditor: Creditor) -> bool:
    """Whether changing ``scenario`` would change another creditor's chasing: it is
    install-wide (a default, or one every creditor may follow) or another creditor uses it."""
    if scenario.is_default or scenario.creditor_id is None:
        return True
    others = ~Q(creditor=creditor)
    return (
        Case.objects.filter(others, scenario=scenario).exists()
        or ScenarioAssignment.objects.filter(others, scenario=scenario).exists()
    )


@dataclass(frozen=True)
class ScenarioReach:
    """Which of the creditor's debtors follow a scenario, and why."""

    open_cases: list[Debtor]
    assigned: list[Debtor]
    by_default: int


def scenario_reach(*, scenario: Scenario, creditor: Creditor, limit: int = 50) -> ScenarioReach:
    on_case = list(
        Debtor.objects.filter(
            creditor=creditor, cases__scenario=scenario, cases__status__in=OPEN_CASE_STATUSES
        ).order_by("name")[:limit]
    )
    assigned = list(
        Debtor.objects.filter(creditor=creditor, scenario_assignment__scenario=scenario).order_by(
            "name"
        )[:limit]
    )
    by_default = 0
    if scenario.is_default:
        kinds = defaulted_kinds().get(scenario.pk, [])
        by_default = (
            Debtor.objects.filter(
                creditor=creditor, kind__in=kinds, scenario_assignment__isnull=True
            )
            .exclude(cases__status__in=OPEN_CASE_STATUSES)
            .count()
        )
    return ScenarioReach(on_case, assigned, by_default)


def debtor_by_id(*, creditor: Creditor, debtor_id: int) -> Debtor:
    debtor = Debtor.objects.filter(creditor=creditor, pk=debtor_id).first()
    if debtor is None:
        raise NotFoundError(f"no debtor {debtor_id}")
    return debtor


def debtors_for_preview(*, creditor: Creditor, limit: int = 200) -> list[Debtor]:
    """Debtors to preview a template against: those with open invoices first."""
    return list(
        Debtor.objects.filter(creditor=creditor, invoices__open_amount__gt=0)
        .distinct()
        .order_by("name")[:limit]
    )


def assignment_for(*, debtor: Debtor) -> ScenarioAssignment | None:
    return ScenarioAssignment.objects.filter(debtor=debtor).select_related("scenario").first()


def assigned_scenario_ids(*, creditor: Creditor) -> dict[int, int]:
    """debtor id → assigned scenario id: what the daily pass reads before the kind's default."""
    return dict(
        ScenarioAssignment.objects.filter(creditor=creditor).values_list("debtor_id", "scenario_id")
    )


def open_case_for(*, debtor: Debtor) -> Case | None:
    return (
        Case.objects.filter(debtor=debtor, status__in=OPEN_CASE_STATUSES)
        .select_related("scenario")
        .first()
    )


def scenario_debtor_count(*, scenario: Scenario, creditor: Creditor) -> int:
    """How many of the creditor's debtors follow ``scenario``: open case, assignment or default."""
    explicit = (
        Debtor.objects.filter(creditor=creditor)
        .filter(
            Q(cases__scenario=scenario, cases__status__in=OPEN_CASE_STATUSES)
            | Q(scenario_assignment__scenario=scenario)
        )
        .distinct()
        .count()
    )
    return explicit + scenario_reach(scenario=scenario, creditor=creditor, limit=0).by_default


COUNTS_SECONDS = 120


def scenario_debtor_counts_kept(
    *, creditor: Creditor, scenarios: list[Scenario], as_of: Any
) -> dict[int, int]:
    """``scenario_debtor_counts``, kept between views: counting reads every open case and every
    debtor of the creditor (tenths of a second with 200,000 debtors). The key moves with a new
    debtor, case, assignment or scenario and with any assignment changed or removed; a case
    closing or reopening in place shows within ``COUNTS_SECONDS``."""
    from relance.apps.workspace.figures import kept

    row: Mapping[str, Any] = (
        Creditor.objects.filter(pk=creditor.pk)
        .values(
            d=Subquery(Debtor.objects.order_by("-id").values("id")[:1]),
            c=Subquery(Case.objects.order_by("-id").values("id")[:1]),
            a=Subquery(ScenarioAssignment.objects.order_by("-id").values("id")[:1]),
            s=Subquery(Scenario.objects.order_by("-id").values("id")[:1]),
        )
        .first()
        or {}
    )
    assigned = ScenarioAssignment.objects.filter(creditor=creditor).aggregate(
        n=Count("id"), at=Max("assigned_at")
    )
    at = assigned["at"].timestamp() if assigned["at"] else 0
    stamp = "-".join(str(row.get(k) or 0) for k in "dcas") + f"-{assigned['n']}-{at}"
    counts = kept(
        "scenario_counts",
        creditor=creditor,
        as_of=as_of,
        stamp=stamp,
        seconds=COUNTS_SECONDS,
        compute=lambda: scenario_debtor_counts(creditor=creditor, scenarios=scenarios),
    )
    return {s.pk: counts.get(s.pk, 0) for s in scenarios}


def scenario_debtor_counts(*, creditor: Creditor, scenarios: list[Scenario]) -> dict[int, int]:
    """``scenario_debtor_count`` for every scenario at once, by scenario id: a few grouped counts
    over the cases, the assignments and the debtors, never one pass over the debtors each.

    A debtor follows the scenario of its open case (one at most), else its assignment, else the
    default for its kind; it is counted under its case's scenario and its assignment's when they
    differ, as ``scenario_debtor_count`` counts it."""
    open_cases = Case.objects.filter(creditor=creditor, status__in=OPEN_CASE_STATUSES)
    on_case = dict(
        open_cases.order_by()
        .values("scenario_id")
        .annotate(n=Count("id"))
        .values_list("scenario_id", "n")
    )
    assigned = dict(
        ScenarioAssignment.objects.filter(creditor=creditor)
        .order_by()
        .values("scenario_id")
        .annotate(n=Count("id"))
        .values_list("scenario_id", "n")
    )
    both = dict(
        open_cases.filter(debtor__scenario_assignment__scenario_id=F("scenario_id"))
        .order_by()
        .values("scenario_id")
        .annotate(n=Count("id"))
        .values_list("scenario_id", "n")
    )
    free_by_kind: dict[str, int] = {}
    if any(s.is_default for s in scenarios):
        # NOT IN over the two id lists (hashed once) rather than a probe per debtor.
        free_by_kind = dict(
            Debtor.objects.filter(creditor=creditor)
            .exclude(pk__in=open_cases.order_by().values("debtor_id"))
            .exclude(
                pk__in=ScenarioAssignment.objects.filter(creditor=creditor)
                .order_by()
                .values("debtor_id")
            )
            .order_by()
            .values("kind")
            .annotate(n=Count("id"))
            .values_list("kind", "n")
        )
    counts = {}
    defaulted = defaulted_kinds() if any(s.is_default for s in scenarios) else {}
    for s in scenarios:
        n = on_case.get(s.pk, 0) + assigned.get(s.pk, 0) - both.get(s.pk, 0)
        if s.is_default:
            n += sum(free_by_kind.get(k, 0) for k in defaulted.get(s.pk, []))
        counts[s.pk] = n
    return counts


def scenarios_shared(*, creditor: Creditor, scenarios: list[Scenario]) -> set[int]:
    """The ids of the ``scenarios`` for which ``scenario_shared`` holds, in two queries."""
    install_wide = {s.pk for s in scenarios if s.is_default or s.creditor_id is None}
    ids = [s.pk for s in scenarios if s.pk not in install_wide]
    others = ~Q(creditor=creditor)
    used = set(
        Scenario.objects.filter(pk__in=ids)
        .filter(
            Exists(Case.objects.filter(others, scenario_id=OuterRef("pk")))
            | Exists(ScenarioAssignment.objects.filter(others, scenario_id=OuterRef("pk")))
        )
        .values_list("pk", flat=True)
    )
    return used | install_wide


# --- one action's text ------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionText:
    """The texts an action waiting for approval will be written from: its own edits if a person
    made some, else the creditor's edited template, else the shipped one."""

    step: str
    lang: str
    subject: str
    text: str
    edited: bool  # this action carries its own edits
    base_subject: str  # what the creditor's templates say, without this action's edits
    base_text: str


def action_lang(action: Any) -> str:
    language = action.debtor.language
    return language if language in LANGS else "fr"


def action_text(*, action: Any) -> ActionText:
    from relance.documents.templates import step_name

    step = step_name(action.template or action.step_key)
    lang = action_lang(action)
    creditor_own = dict(override_pairs(str(action.creditor_id)))
    base = {
        part: creditor_own.get(f"{lang}/{step}.{part}")
        or shipped_source(f"{lang}/{step}.{part}.j2")
        for part in ("subject", "txt")
    }
    edits = action.edits if isinstance(action.edits, dict) else {}
    return ActionText(
        step=step,
        lang=lang,
        subject=edits.get(f"{lang}/{step}.subject", base["subject"]),
        text=edits.get(f"{lang}/{step}.txt", base["txt"]),
        edited=bool(edits),
        base_subject=base["subject"],
        base_text=base["txt"],
    )
