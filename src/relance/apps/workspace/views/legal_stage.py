"""The legal stage on the debtor page: move the case there with its route, record its key dates
(``collection.legal_stage``); the worklist lists what those dates call for."""

from __future__ import annotations

from typing import Any

from relance.apps.workspace.forms import LegalDateForm, LegalForm
from relance.apps.workspace.views.labels import (
    LEGAL_DATE_LABELS,
    LEGAL_REMINDER_LABELS,
    LEGAL_ROUTE_LABELS,
)
from relance.domain.law.procedure import KEY_DATES, ORDER_DATES, ROUTES


def legal_form(data: Any = None) -> LegalForm:
    return LegalForm(data, prefix="legal", routes=[(r, LEGAL_ROUTE_LABELS[r]) for r in ROUTES])


def legal_date_form(route: str, data: Any = None) -> LegalDateForm:
    keys = [k for k in KEY_DATES if route == "injonction" or k not in ORDER_DATES]
    return LegalDateForm(data, prefix="legaldate", keys=[(k, LEGAL_DATE_LABELS[k]) for k in keys])


def legal_context(debtor: Any, bound: dict[str, Any]) -> dict[str, Any]:
    """What the debtor page shows of the legal stage: the stage, its dates, its forms."""
    from relance.apps.collection.legal_stage import legal_stage_of, stage_dates

    stage = legal_stage_of(debtor=debtor)
    if stage is None:
        return {"legal_stage": None, "legal_form": bound.get("legal_form") or legal_form()}
    dates = stage_dates(stage)
    return {
        "legal_stage": stage,
        "legal_route": LEGAL_ROUTE_LABELS.get(stage.route, stage.route),
        "legal_dates": [(LEGAL_DATE_LABELS[k], dates[k]) for k in KEY_DATES if k in dates],
        "legal_date_form": bound.get("legal_date_form") or legal_date_form(stage.route),
    }


def reminder_rows(due: list[Any]) -> list[dict[str, Any]]:
    """The worklist's legal reminders, each with its label in the page's language."""
    return [
        {"debtor": d.debtor, "reference": d.stage.reference, "route": LEGAL_ROUTE_LABELS.get(d.stage.route, ""),
         "label": LEGAL_REMINDER_LABELS.get(d.reminder.code, d.reminder.code), "code": d.reminder.code,
         "deadline": d.reminder.deadline, "past": d.is_past, "basis": d.reminder.basis}
        for d in due
    ]
