"""The editors' pages: scenarios (view, edit as TOML or as a form, assign) and templates (shipped
and edited side by side, edit, preview against a debtor, save, reset).

Everyone with a grant may look and preview; saving, resetting and assigning need the admin role.
Everything is scoped to the active creditor: another creditor's debtor is a 404.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from relance.apps.collection.models import Step
from relance.apps.editors import selectors, services
from relance.apps.ledger.selectors import debtor_get
from relance.apps.workspace.access import workspace_view
from relance.apps.workspace.wording import error_text
from relance.documents.context_doc import CONTEXT_DOC
from relance.documents.templates import STEPS, TemplateRefusedError
from relance.domain import scenario as engine
from relance.domain.errors import InvalidInputError, NotFoundError
from relance.domain.problems import Problem

DEBTOR_KINDS = ("business", "consumer", "public")
FORM_ROWS_SPARE = 2


def _actor(request: HttpRequest) -> str:
    return f"user:{request.user.get_username()}"


def _is_admin(request: HttpRequest) -> bool:
    return bool(request.grant.allows("admin"))  # type: ignore[attr-defined]


def _require_admin(request: HttpRequest) -> None:
    if not _is_admin(request):
        raise PermissionDenied


# --- templates ------------------------------------------------------------------------------------


@workspace_view()
def templates(request: HttpRequest) -> HttpResponse:
    rows = selectors.templates_list(creditor=request.creditor)  # type: ignore[attr-defined]
    by_step: dict[str, dict[str, Any]] = {step: {"step": step, "cells": []} for step in STEPS}
    for r in rows:
        by_step[r.step]["cells"].append(r)
    return render(
        request,
        "editors/templates.html",
        {
            "nav": "editors",
            "steps": list(by_step.values()),
            "edited": sum(r.edited for r in rows),
        },
    )


def _as_of(value: str | None) -> date:
    if not value:
        return timezone.localdate()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(_("The preview date must be written YYYY-MM-DD.")) from None


@workspace_view(write_role="viewer")
def template(request: HttpRequest, lang: str, name: str) -> HttpResponse:
    """One template: GET shows it; POST previews (anyone), saves or resets (admin)."""
    creditor = request.creditor  # type: ignore[attr-defined]
    detail = selectors.template_get(creditor=creditor, name=name, lang=lang)
    debtors = selectors.debtors_for_preview(creditor=creditor)
    source = detail.source
    problems: list[Problem] = []
    preview_text: str | None = None
    chosen_debtor = None
    as_of_text = (
        request.POST.get("as_of") or request.GET.get("as_of") or timezone.localdate().isoformat()
    )
    if request.method == "POST":
        action = request.POST.get("action", "preview")
        source = request.POST.get("source", "")
        url = reverse("workspace:template", args=[lang, detail.name])
        if action == "reset":
            _require_admin(request)
            if services.template_reset(
                creditor=creditor, name=detail.name, lang=lang, actor=_actor(request)
            ):
                messages.success(request, _("Back to the shipped text."))
            return HttpResponseRedirect(url)
        if action == "save":
            _require_admin(request)
            try:
                services.template_save(
                    creditor=creditor,
                    name=detail.name,
                    lang=lang,
                    source=source,
                    actor=_actor(request),
                )
            except TemplateRefusedError as exc:
                problems = list(exc.problems)
            else:
                messages.success(request, _("Template saved: it is used from now on."))
                return HttpResponseRedirect(url)
        else:
            debtor_id = request.POST.get("debtor", "")
            if not debtor_id.isdigit():
                raise InvalidInputError(_("Choose a debtor to preview with."))
            chosen_debtor = selectors.debtor_by_id(creditor=creditor, debtor_id=int(debtor_id))
            result = services.template_preview(
                creditor=creditor,
                name=detail.name,
                lang=lang,
                source=source,
                debtor=chosen_debtor,
                as_of=_as_of(as_of_text),
            )
            if isinstance(result, str):
                preview_text = result
            else:
                problems = result
    status = 422 if problems else 200
    return render(
        request,
        "editors/template.html",
        {
            "nav": "editors",
            "detail": detail,
            "source": source,
            "problems": problems,
            "preview": preview_text,
            "debtors": debtors,
            "chosen_debtor": chosen_debtor,
            "as_of": as_of_text,
            "can_edit": _is_admin(request),
            "context_doc": sorted(CONTEXT_DOC.items()),
            "other_lang": "en" if lang == "fr" else "fr",
        },
        status=status,
    )


# --- scenarios ------------------------------------------------------------------------------------


@workspace_view()
def scenarios(request: HttpRequest) -> HttpResponse:
    creditor = request.creditor  # type: ignore[attr-defined]
    listed = selectors.scenarios_list(creditor=creditor)
    counts = selectors.scenario_debtor_counts_kept(
        creditor=creditor, scenarios=listed, as_of=timezone.localdate()
    )
    shared = selectors.scenarios_shared(creditor=creditor, scenarios=listed)
    rows = [{"scenario": s, "count": counts[s.pk], "shared": s.pk in shared} for s in listed]
    return render(
        request,
        "editors/scenarios.html",
        {"nav": "editors", "rows": rows, "can_edit": _is_admin(request)},
    )


def _form_rows(request: HttpRequest) -> list[dict[str, Any]]:
    rows = []
    for n in range(int(request.POST.get("rows", "0") or 0)):
        key = request.POST.get(f"key_{n}", "").strip()
        if not key:
            continue
        offset = request.POST.get(f"offset_{n}", "").strip()
        try:
            offset_days: Any = int(offset)
        except ValueError:
            raise InvalidInputError(
                _("Step %(key)s: the offset must be a whole number of days.") % {"key": key}
            ) from None
        row: dict[str, Any] = {
            "key": key,
            "offset_days": offset_days,
            "channel": request.POST.get(f"channel_{n}", ""),
            "template": request.POST.get(f"template_{n}", "").strip() or key,
            "requires_approval": request.POST.get(f"approval_{n}") == "1",
        }
        amount = request.POST.get(f"min_amount_{n}", "").strip().replace(",", ".")
        if amount:
            row["min_amount"] = amount
        rows.append(row)
    return rows


@workspace_view(write_role="admin")
def scenario(request: HttpRequest, scenario_id: int | None = None) -> HttpResponse:
    """A scenario's steps and reach; admins edit it as TOML or as a form (new when no id)."""
    creditor = request.creditor  # type: ignore[attr-defined]
    row = (
        selectors.scenario_by_id(scenario_id=scenario_id, creditor=creditor)
        if scenario_id is not None
        else None
    )
    parsed = services_domain(row)
    toml_text = engine.scenario_to_toml(parsed) if parsed else NEW_SCENARIO
    error = ""
    mode = "toml"
    if request.method == "POST":
        mode = "form" if request.POST.get("mode") == "form" else "toml"
        try:
            if mode == "form":
                kinds = [k for k in request.POST.getlist("debtor_kinds") if k]
                parsed = services.scenario_from_rows(
                    name=request.POST.get("name", ""),
                    description=request.POST.get("description", ""),
                    debtor_kinds=kinds,
                    rows=_form_rows(request),
                )
                toml_text = engine.scenario_to_toml(parsed)
            else:
                toml_text = request.POST.get("toml", "")
                parsed = services.scenario_parse(toml_text)
            saved = services.scenario_edit(
                creditor=creditor,
                scenario=parsed,
                install_admin=request.user.is_superuser,
                actor=_actor(request),
            )
        except InvalidInputError as exc:
            error = error_text(exc)
        else:
            messages.success(request, _("Scenario “%(name)s” saved.") % {"name": saved.name})
            return HttpResponseRedirect(reverse("workspace:scenario", args=[saved.pk]))
    reach = selectors.scenario_reach(scenario=row, creditor=creditor) if row else None
    steps = list(parsed.steps) if parsed else []
    return render(
        request,
        "editors/scenario.html",
        {
            "nav": "editors",
            "row": row,
            "parsed": parsed,
            "steps": steps,
            "toml": toml_text,
            "error": error,
            "mode": mode,
            "reach": reach,
            "can_edit": _is_admin(request),
            "shared": selectors.scenario_shared(scenario=row, creditor=creditor) if row else False,
            "form_steps": [*steps, *([None] * FORM_ROWS_SPARE)],
            "channels": Step.Channel.choices,
            "templates": STEPS,
            "kinds": DEBTOR_KINDS,
        },
        status=422 if error else 200,
    )


def services_domain(row: Any) -> engine.Scenario | None:
    from relance.apps.collection.scenarios import scenario_to_domain

    return scenario_to_domain(row) if row is not None else None


NEW_SCENARIO = """[scenario]
name = ""
description = ""
debtor_kinds = ["business"]

[[steps]]
key = "reminder"
offset_days = 3
channel = "email"
template = "reminder"
"""


@require_POST
@workspace_view(write_role="admin")
def scenario_assign(request: HttpRequest, scenario_id: int) -> HttpResponse:
    """Assign this scenario to one of the creditor's debtors, from the scenario's page."""
    creditor = request.creditor  # type: ignore[attr-defined]
    chosen = selectors.scenario_by_id(scenario_id=scenario_id, creditor=creditor)
    account = request.POST.get("account", "").strip()
    if not account:
        raise InvalidInputError(_("Give the debtor's account."))
    debtor = debtor_get(creditor=creditor, account=account)
    services.scenario_assign(
        creditor=creditor, debtor=debtor, scenario=chosen, actor=_actor(request)
    )
    messages.success(request, _("Scenario “%(name)s” assigned.") % {"name": chosen.name})
    return HttpResponseRedirect(reverse("workspace:scenario", args=[chosen.pk]))


@workspace_view(write_role="admin")
def debtor_scenario(request: HttpRequest, debtor_id: int) -> HttpResponse:
    """Which scenario a debtor follows, and (admin) choose another for its open and later cases."""
    creditor = request.creditor  # type: ignore[attr-defined]
    debtor = selectors.debtor_by_id(creditor=creditor, debtor_id=debtor_id)
    if request.method == "POST":
        value = request.POST.get("scenario", "")
        if value == "":
            services.scenario_unassign(creditor=creditor, debtor=debtor, actor=_actor(request))
            messages.success(
                request, _("The debtor follows the default scenario for its kind again.")
            )
        else:
            if not value.isdigit():
                raise NotFoundError("no such scenario")
            chosen = selectors.scenario_by_id(scenario_id=int(value), creditor=creditor)
            services.scenario_assign(
                creditor=creditor, debtor=debtor, scenario=chosen, actor=_actor(request)
            )
            messages.success(request, _("Scenario “%(name)s” assigned.") % {"name": chosen.name})
        return HttpResponseRedirect(reverse("workspace:debtor_scenario", args=[debtor.pk]))
    assignment = selectors.assignment_for(debtor=debtor)
    case = selectors.open_case_for(debtor=debtor)
    return render(
        request,
        "editors/debtor_scenario.html",
        {
            "nav": "debtors",
            "debtor": debtor,
            "assignment": assignment,
            "case": case,
            "scenarios": selectors.scenarios_list(creditor=creditor),
            "can_edit": _is_admin(request),
        },
    )


# --- one message before approval ------------------------------------------------------------------


@workspace_view()
def action_text(request: HttpRequest, action_id: int) -> HttpResponse:
    """One message waiting for approval: its text (subject and body, as template sources) to
    edit for this debtor only, previewed exactly as it will be sent; save, or go back to the
    creditor's text. Collectors and admins edit; viewers read."""
    from relance.apps.collection.models import Action
    from relance.apps.workspace import desk
    from relance.apps.workspace.worklist_selectors import action_get

    creditor = request.creditor  # type: ignore[attr-defined]
    action = action_get(creditor=creditor, action_id=action_id)
    if action.channel not in services.EDITABLE_CHANNELS:
        raise NotFoundError(_("This action has no text to edit."))
    today = timezone.localdate()
    current = selectors.action_text(action=action)
    subject, text = current.subject, current.text
    problems: list[Problem] = []
    back = reverse("workspace:worklist") + f"#action-{action.pk}"
    waiting = action.state == Action.State.PLANNED
    if request.method == "POST":
        decision = request.POST.get("action", "preview")
        subject = request.POST.get("subject", "")
        text = request.POST.get("text", "")
        here = reverse("workspace:action_text", args=[action.pk])
        if decision == "reset":
            if services.action_text_reset(
                creditor=creditor, action_id=action.pk, actor=_actor(request)
            ):
                messages.success(request, _("This message is written from your templates again."))
            return HttpResponseRedirect(here)
        if decision == "save":
            try:
                services.action_text_save(
                    creditor=creditor,
                    action_id=action.pk,
                    subject=subject,
                    text=text,
                    as_of=today,
                    actor=_actor(request),
                )
            except TemplateRefusedError as exc:
                problems = list(exc.problems)
            else:
                messages.success(
                    request,
                    _("Saved for this message only. It is sent once approved, as previewed."),
                )
                return HttpResponseRedirect(back)
        else:
            step, lang = current.step, current.lang
            action.edits = {f"{lang}/{step}.subject": subject, f"{lang}/{step}.txt": text}
            for part, source in (("subject", subject), ("txt", text)):
                problems += services.template_check(source, f"{step}.{part}", lang)
    preview = None
    if not problems:
        [preview] = desk.action_previews(actions=[action], as_of=today)
    return render(
        request,
        "editors/action_text.html",
        {
            "nav": "worklist",
            "action": action,
            "current": current,
            "subject": subject,
            "text": text,
            "problems": problems,
            "preview": preview,
            "posted": request.method == "POST",
            "waiting": waiting,
            "can_edit": waiting and request.grant.allows("collector"),  # type: ignore[attr-defined]
            "back": back,
            "context_doc": sorted(CONTEXT_DOC.items()),
        },
        status=422 if problems else 200,
    )
