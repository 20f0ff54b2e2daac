"""Cash application: the credits no rule could tie to invoices with confidence, each applied,
reassigned, split or dismissed in one click through the banking services, and the effect on the
debtor's chase said before and after."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from relance.apps.banking.selectors import line_get, match_get
from relance.apps.banking.services import line_dismiss, match_apply, match_choose
from relance.apps.collection.settled import case_close_if_settled
from relance.apps.workspace.access import workspace_view
from relance.apps.workspace.cash_selectors import cash_invoice, cash_lines, chase_effect
from relance.apps.workspace.request import WorkspaceRequest
from relance.apps.workspace.views.common import actor
from relance.apps.workspace.wording import error_text
from relance.domain.errors import InvalidInputError, NotFoundError, RelanceError

SPLIT_ROWS = 3
DISMISS_REASONS = {
    "refund": "a refund or a return of funds, not an invoice payment",
    "other": "another activity of the company, not a debtor's payment",
    "duplicate": "already booked in the ledger by another route",
}


@workspace_view()
def cash(request: WorkspaceRequest) -> HttpResponse:
    lines, count = cash_lines(creditor=request.creditor, as_of=timezone.localdate())
    return render(
        request,
        "workspace/cash.html",
        {
            "lines": lines,
            "count": count,
            "split_rows": range(SPLIT_ROWS),
            "dismiss_reasons": [
                ("refund", _("A refund or a return of funds")),
                ("other", _("Another activity, not a debtor's payment")),
                ("duplicate", _("Already booked in the ledger")),
            ],
            "nav": "cash",
            "can_act": request.grant.allows("collector"),
        },
    )


def _said_after(request: WorkspaceRequest, debtor: Any) -> None:
    """Close the debtor's case now if the payment settled it, and say what happened."""
    closed, cancelled = case_close_if_settled(
        debtor=debtor, as_of=timezone.localdate(), actor=actor(request)
    )
    if closed:
        messages.success(
            request,
            _("Payment applied to %(name)s: the case is closed; %(n)s pending action(s) cancelled.")
            % {"name": debtor.name, "n": cancelled},
        )
    else:
        messages.success(
            request,
            _("Payment applied to %(name)s. %(effect)s")
            % {
                "name": debtor.name,
                "effect": chase_effect(debtor=debtor, applied=Decimal(0), as_of=timezone.localdate()),
            },
        )


def _back_to_the_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A refusal is said on the cash page itself, wherever the form was posted from."""

    @wraps(view)
    def wrapper(request: WorkspaceRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFoundError:
            raise
        except RelanceError as exc:
            messages.error(request, error_text(exc))
            return redirect("workspace:cash")

    return wrapper


@require_POST
@workspace_view()
@_back_to_the_page
def cash_accept(request: WorkspaceRequest, match_id: int) -> HttpResponse:
    match = match_get(match_id=match_id, creditor=request.creditor)
    match_apply(match=match, actor=actor(request))
    _said_after(request, match.debtor)
    return redirect("workspace:cash")


def _invoice(request: WorkspaceRequest, number: str) -> Any:
    invoice = cash_invoice(creditor=request.creditor, number=number)
    if invoice is None:
        raise InvalidInputError(_("No invoice numbered “%(number)s”.") % {"number": number.strip()})
    return invoice


@require_POST
@workspace_view()
@_back_to_the_page
def cash_choose(request: WorkspaceRequest, line_id: int) -> HttpResponse:
    """Apply the credit to the invoices named: one number (reassign), or several with an
    amount each (split). An amount left empty takes what the credit still holds."""
    line = line_get(line_id=line_id, creditor=request.creditor)
    parts: list[tuple[Any, Decimal | None]] = []
    for number in request.POST.getlist("invoice_id"):  # a candidate's one-click button
        invoice = cash_invoice(
            creditor=request.creditor, invoice_id=int(number) if number.isdigit() else 0
        )
        if invoice is not None:
            parts.append((invoice, None))
    for row in range(SPLIT_ROWS):
        number = request.POST.get(f"number-{row}", "").strip()
        if not number:
            continue
        raw = request.POST.get(f"amount-{row}", "").replace("\u202f", "").replace(" ", "")
        try:
            amount = Decimal(raw.replace(",", ".")) if raw else None
        except InvalidOperation as exc:
            raise InvalidInputError(
                _("“%(value)s” is not an amount.") % {"value": raw}
            ) from exc
        parts.append((_invoice(request, number), amount))
    if not parts:
        raise InvalidInputError(_("Name at least one invoice the credit pays."))
    debtors = {invoice.debtor_id for invoice, _ in parts}
    if len(debtors) > 1:
        raise InvalidInputError(_("One credit pays the invoices of one debtor only."))
    debtor = parts[0][0].debtor
    match_choose(line=line, debtor=debtor, parts=parts, actor=actor(request))
    _said_after(request, debtor)
    return redirect("workspace:cash")


@require_POST
@workspace_view()
@_back_to_the_page
def cash_dismiss(request: WorkspaceRequest, line_id: int) -> HttpResponse:
    line = line_get(line_id=line_id, creditor=request.creditor)
    reason = DISMISS_REASONS.get(request.POST.get("reason", ""), "")
    line_dismiss(line=line, actor=actor(request), reason=reason or DISMISS_REASONS["other"])
    messages.success(
        request, _("Credit dismissed: it holds nobody's chase any more.")
    )
    return redirect("workspace:cash")
