"""Writing templates and scenarios from the editors: save (validated first), reset, preview,
assign a scenario to a debtor. Every change is an audit event."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from relance.apps.audit.services import event_record
from relance.apps.collection.models import OPEN_CASE_STATUSES, Action, Case, Scenario
from relance.apps.collection.scenarios import scenario_save
from relance.apps.creditors.models import Creditor
from relance.apps.editors.models import ScenarioAssignment, TemplateOverride
from relance.apps.editors.samples import sample_context
from relance.apps.editors.selectors import lang_check, name_check
from relance.apps.ledger.models import Debtor
from relance.documents.template_checks import validate_template
from relance.documents.templates import TemplateRefusedError, preview_step, split_name, step_name
from relance.domain import scenario as engine
from relance.domain.errors import InvalidInputError, NotFoundError, RelanceError
from relance.domain.ledger import DebtorKind
from relance.domain.problems import N_, Phrase, Phrases, Problem
from relance.domain.vocabulary import channel_word, state_word

MAX_SOURCE = 50_000


def _clean(source: str) -> str:
    return source.replace("\r\n", "\n").replace("\r", "\n")


def template_check(source: str, name: str = "reminder.txt", lang: str = "fr") -> list[Problem]:
    """Every reason to refuse ``source`` as the edited ``name``, each with its line: the sandbox's
    checks, then a trial render on a sample business and consumer debtor (a misspelt field)."""
    source = _clean(source)
    if not source.strip():
        return [
            Problem.of(
                "empty", N_("the template is empty; reset it to go back to the shipped text"), 1
            )
        ]
    if len(source) > MAX_SOURCE:
        return [
            Problem.of(
                "too_long",
                N_("the template is longer than %(limit)s characters"),
                1,
                limit=MAX_SOURCE,
            )
        ]
    problems = validate_template(source)
    if problems:
        return problems
    tried_on: dict[DebtorKind, str] = {
        "business": N_("%(problem)s (tried on a sample business debtor)"),
        "consumer": N_("%(problem)s (tried on a sample consumer debtor)"),
    }
    for kind, tried in tried_on.items():
        result = preview_step(sample_context(lang, kind=kind), name, source, lang)
        if not isinstance(result, str):
            return [Problem.of(p.code, tried, p.line, problem=p) for p in result]
    return []


def template_save(
    *, creditor: Creditor, name: str, lang: str, source: str, actor: str = "system"
) -> TemplateOverride:
    """Keep ``source`` as the creditor's text for ``name`` in ``lang``; refused (nothing saved)
    with each problem's line and reason when it is broken or unsafe."""
    canonical, lang = name_check(name), lang_check(lang)
    source = _clean(source)
    problems = template_check(source, canonical, lang)
    if problems:
        raise TemplateRefusedError(problems)
    digest = hashlib.sha256(source.encode()).hexdigest()
    now = timezone.now()
    with transaction.atomic():
        row = (
            TemplateOverride.objects.select_for_update()
            .filter(creditor=creditor, name=canonical, lang=lang)
            .first()
        )
        previous = row.sha256 if row else None
        if row is None:
            row = TemplateOverride(creditor=creditor, name=canonical, lang=lang)
        row.source, row.sha256, row.updated_by, row.updated_at = source, digest, actor, now
        row.save()
        event_record(
            kind="template.saved",
            subject_type="template",
            subject_id=row.pk,
            creditor_id=creditor.pk,
            payload={
                "name": canonical,
                "lang": lang,
                "sha256": digest,
                "previous_sha256": previous,
                "source": source,
            },
            actor=actor,
        )
    return row


def template_reset(*, creditor: Creditor, name: str, lang: str, actor: str = "system") -> bool:
    """Back to the shipped text; False when the template was not edited."""
    canonical, lang = name_check(name), lang_check(lang)
    with transaction.atomic():
        row = (
            TemplateOverride.objects.select_for_update()
            .filter(creditor=creditor, name=canonical, lang=lang)
            .first()
        )
        if row is None:
            return False
        pk, digest = row.pk, row.sha256
        row.delete()
        event_record(
            kind="template.reset",
            subject_type="template",
            subject_id=pk,
            creditor_id=creditor.pk,
            payload={"name": canonical, "lang": lang, "previous_sha256": digest},
            actor=actor,
        )
    return True


def template_preview(
    *, creditor: Creditor, name: str, lang: str, source: str, debtor: Debtor, as_of: date
) -> str | list[Problem]:
    """What ``source`` gives for one of the creditor's debtors as of ``as_of``, in the sandbox;
    or the problems (line and reason) that would refuse it."""
    from relance.apps.collection.contexts import letter_context_for

    canonical, lang = name_check(name), lang_check(lang)
    if debtor.creditor_id != creditor.pk:
        raise InvalidInputError("that debtor belongs to another creditor")
    problems = template_check(source, canonical, lang)
    if problems:
        return problems
    step, _ = split_name(canonical)
    try:
        context = letter_context_for(case_or_debtor=debtor, step_key=step, as_of=as_of, lang=lang)
    except RelanceError as exc:
        return [Problem(exc.code, exc.message)]
    return preview_step(context, canonical, _clean(source), lang)


# --- scenarios ----------------------------------------------------------------------------------


def scenario_parse(text: str) -> engine.Scenario:
    """A scenario from TOML, checked by the pure engine and against the known templates."""
    parsed = engine.scenario_from_toml(text)
    return _checked(parsed)


def scenario_from_rows(
    *, name: str, description: str, debtor_kinds: list[str], rows: list[dict[str, Any]]
) -> engine.Scenario:
    """A scenario from the form's step rows (blank rows left out), checked like a TOML file."""
    steps = [r for r in rows if str(r.get("key", "")).strip()]
    return _checked(
        engine.scenario_from_dict(
            {
                "scenario": {
                    "name": name.strip(),
                    "description": description,
                    "debtor_kinds": debtor_kinds,
                },
                "steps": steps,
            }
        )
    )


def _checked(parsed: engine.Scenario) -> engine.Scenario:
    unknown = []
    for s in parsed.steps:
        try:
            step_name(s.template)
        except RelanceError:
            unknown.append(
                Phrase.of(
                    N_("step %(key)r: no template named %(template)r"),
                    key=s.key,
                    template=s.template,
                )
            )
    if unknown:
        raise engine.ScenarioError(N_("%(problems)s"), params={"problems": Phrases(unknown)})
    return parsed


def scenario_edit(
    *,
    creditor: Creditor,
    scenario: engine.Scenario,
    install_admin: bool = False,
    actor: str = "system",
) -> Scenario:
    """Save a scenario from ``creditor``'s workspace: a new one, or one of its own, is the
    creditor's. An install-wide one (the shipped ones, the defaults) is changed only by an
    install administrator, and its event is the install's, on no creditor; anyone else saves
    their version under a new name, then assigns it."""
    mine = (
        Scenario.objects.filter(name=scenario.name, creditor=creditor).first()
        if not install_admin
        else None
    )
    wide = Scenario.objects.filter(name=scenario.name, creditor__isnull=True).first()
    if mine is None and wide is not None:
        if not install_admin:
            raise InvalidInputError(
                N_(
                    "the scenario %(name)r is shared by the whole install (shipped or a "
                    "default): only an install administrator changes it; save your version "
                    "under a new name, then assign it to your debtors"
                ),
                params={"name": scenario.name},
            )
        owner = None
    else:
        owner = creditor
    row = scenario_save(scenario=scenario, creditor=owner, actor=actor)
    event_record(
        kind="scenario.edited",
        subject_type="scenario",
        subject_id=row.pk,
        creditor_id=owner.pk if owner else None,
        payload={"name": row.name, "toml": engine.scenario_to_toml(scenario)},
        actor=actor,
    )
    return row


# A debtor's kind as a refusal names it: its value in English, as the CLI always said it.
KIND_WORDS = {
    "business": Phrase.of(N_("business")),
    "consumer": Phrase.of(N_("consumer")),
    "public": Phrase.of(N_("public")),
}


def _kinds(kinds: list[str]) -> Phrase | str:
    """Debtor kinds one after the other, ``business, public`` in English."""
    words = [KIND_WORDS.get(kind, kind) for kind in kinds]
    if not words:
        return ""
    joined = words[-1]
    for word in reversed(words[:-1]):
        joined = Phrase.of(N_("%(first)s, %(rest)s"), first=word, rest=joined)
    return joined


def scenario_assign(
    *, creditor: Creditor, debtor: Debtor, scenario: Scenario, actor: str = "system"
) -> ScenarioAssignment:
    """Make ``scenario`` the debtor's: its open case switches to it now, its later cases open
    with it."""
    if debtor.creditor_id != creditor.pk:
        raise InvalidInputError("that debtor belongs to another creditor")
    if scenario.creditor_id not in (None, creditor.pk):
        raise NotFoundError(f"no scenario {scenario.pk}")
    if scenario.debtor_kinds and debtor.kind not in scenario.debtor_kinds:
        raise InvalidInputError(
            N_("the scenario %(name)r is for %(kinds)s debtors; %(debtor)s is a %(kind)s debtor"),
            params={
                "name": scenario.name,
                "kinds": _kinds(scenario.debtor_kinds),
                "debtor": debtor.name,
                "kind": KIND_WORDS.get(debtor.kind, debtor.kind),
            },
        )
    now = timezone.now()
    with transaction.atomic():
        row = ScenarioAssignment.objects.select_for_update().filter(debtor=debtor).first()
        previous = row.scenario_id if row else None
        if row is None:
            row = ScenarioAssignment(creditor=creditor, debtor=debtor)
        row.scenario, row.assigned_by, row.assigned_at = scenario, actor, now
        row.save()
        case_ids = list(
            Case.objects.filter(debtor=debtor, status__in=OPEN_CASE_STATUSES).values_list(
                "pk", flat=True
            )
        )
        Case.objects.filter(pk__in=case_ids).update(scenario=scenario, updated_at=now)
        event_record(
            kind="scenario.assigned",
            subject_type="debtor",
            subject_id=debtor.pk,
            creditor_id=creditor.pk,
            payload={
                "account": debtor.account,
                "scenario": scenario.name,
                "scenario_id": scenario.pk,
                "previous_scenario_id": previous,
                "open_cases": case_ids,
            },
            actor=actor,
        )
    return row


def scenario_unassign(*, creditor: Creditor, debtor: Debtor, actor: str = "system") -> bool:
    """The debtor follows the default for its kind again (for its later cases)."""
    if debtor.creditor_id != creditor.pk:
        raise InvalidInputError("that debtor belongs to another creditor")
    with transaction.atomic():
        deleted, _ = ScenarioAssignment.objects.filter(debtor=debtor).delete()
        if deleted:
            event_record(
                kind="scenario.unassigned",
                subject_type="debtor",
                subject_id=debtor.pk,
                creditor_id=creditor.pk,
                payload={"account": debtor.account},
                actor=actor,
            )
    return bool(deleted)


# --- one action's text, before approval ----------------------------------------------------------

EDITABLE_CHANNELS = ("email", "letter", "registered_letter")


def action_text_check(*, action: Action, as_of: date) -> list[Problem]:
    """Every reason the action, with the edits it carries (saved or not), cannot be written as
    of ``as_of``: its own context rendered through them, and a mise en demeure checked for every
    mention the law requires."""
    from relance.apps.collection.contexts import action_request, letter_contexts
    from relance.documents.formal_notice import check_formal_notice
    from relance.documents.templates import render_step

    request = action_request(action, debtor=action.debtor, case=action.case)
    (built,) = letter_contexts([request], as_of=as_of, without_unknown_rates=True)
    if isinstance(built, RelanceError):
        return [Problem(built.code, built.message)]
    if not built.context.invoices:
        return [
            Problem.of("nothing", N_("nothing is left to chase: the invoices are paid or disputed"))
        ]
    try:
        render_step(built.context, request.template)
    except TemplateRefusedError as exc:
        return list(exc.problems)
    if request.template == "formal_notice" and not built.missing_rate:
        return check_formal_notice(built.context)
    return []


def _waiting(action_id: int, creditor: Creditor, *, lock: bool = True) -> Action:
    rows = Action.objects.select_for_update() if lock else Action.objects.all()
    action = rows.select_related("debtor", "case").filter(pk=action_id, creditor=creditor).first()
    if action is None:
        raise NotFoundError(f"no action {action_id}")
    if action.state != Action.State.PLANNED:
        raise InvalidInputError(
            N_("action %(action)s is %(state)s: only a message not yet approved can be edited"),
            params={"action": action_id, "state": state_word(action.state)},
        )
    if action.channel not in EDITABLE_CHANNELS:
        raise InvalidInputError(
            N_("action %(action)s is a %(channel)s: it has no text to edit"),
            params={"action": action_id, "channel": channel_word(action.channel)},
        )
    return action


def _edits_digest(edits: dict[str, str]) -> str | None:
    if not edits:
        return None
    flat = "\0".join(f"{k}\0{v}" for k, v in sorted(edits.items()))
    return hashlib.sha256(flat.encode()).hexdigest()


def action_text_save(
    *,
    creditor: Creditor,
    action_id: int,
    subject: str,
    text: str,
    as_of: date,
    actor: str = "system",
) -> Action:
    """Keep ``subject`` and ``text`` (template sources) as this one message's text, to be
    approved then sent as it reads; refused (nothing saved), each problem with its line, when a
    source is broken or unsafe or the message it gives could not be issued. A part equal to the
    creditor's own text is not kept as an edit."""
    from relance.apps.editors.selectors import action_text

    # Checked before the transaction (the checks run templates, and no template runs under a
    # lock); the transaction then saves only if the action is still as it was checked.
    action = _waiting(action_id, creditor, lock=False)
    seen = _edits_digest(action.edits if isinstance(action.edits, dict) else {})
    current = action_text(action=action)
    lang, step = current.lang, current.step
    problems: list[Problem] = []
    edits: dict[str, str] = {}
    for part, source, base in (
        ("subject", subject, current.base_subject),
        ("txt", text, current.base_text),
    ):
        source = _clean(source)
        found = template_check(source, f"{step}.{part}", lang)
        label = N_("subject: %(problem)s") if part == "subject" else N_("text: %(problem)s")
        problems += [Problem.of(p.code, label, p.line, problem=p) for p in found]
        if source.strip() != _clean(base).strip():
            edits[f"{lang}/{step}.{part}"] = source
    if problems:
        raise TemplateRefusedError(problems)
    previous = seen
    # Refused for what the edit breaks; what the creditor's own text already lacks (a
    # debtor's SIREN not on file, say) is shown on the preview and stops the letter anyway.
    action.edits = {}
    before = {(p.code, p.message) for p in action_text_check(action=action, as_of=as_of)}
    action.edits = edits
    problems = [
        p
        for p in action_text_check(action=action, as_of=as_of)
        if (p.code, p.message) not in before
    ]
    if problems:
        raise TemplateRefusedError(problems)
    with transaction.atomic():
        locked = _waiting(action_id, creditor)
        if _edits_digest(locked.edits if isinstance(locked.edits, dict) else {}) != seen:
            raise InvalidInputError(
                N_("action %(action)s was edited meanwhile: open it again"),
                params={"action": action_id},
            )
        locked.edits = edits
        locked.save(update_fields=["edits", "updated_at"])
        action = locked
        event_record(
            kind="action.edited",
            subject_type="action",
            subject_id=action.pk,
            creditor_id=creditor.pk,
            payload={
                "step": step,
                "lang": lang,
                "sha256": _edits_digest(edits),
                "previous_sha256": previous,
                "edits": edits,
            },
            actor=actor,
        )
    return action


def action_text_reset(*, creditor: Creditor, action_id: int, actor: str = "system") -> bool:
    """Drop this message's own edits: it is written from the creditor's templates again. False
    when it had none."""
    with transaction.atomic():
        action = _waiting(action_id, creditor)
        if not action.edits:
            return False
        previous = _edits_digest(action.edits)
        action.edits = {}
        action.save(update_fields=["edits", "updated_at"])
        event_record(
            kind="action.edit_reset",
            subject_type="action",
            subject_id=action.pk,
            creditor_id=creditor.pk,
            payload={"previous_sha256": previous},
            actor=actor,
        )
    return True
