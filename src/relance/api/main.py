"""The endpoints. Each one parses, resolves the caller's grant, calls a service or selector and
returns JSON: money as strings of ``Decimal``, dates in ISO 8601."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import IO, Annotated, Any, Literal, cast

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import File, Form, NinjaAPI, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from pydantic import Field

from relance.api.access import BearerToken, Session, actor, docs_access, grant_for, install_errors
from relance.api.schemas import (
    ActionOut,
    ActionPage,
    ApproveIn,
    CostOut,
    CreditorOut,
    DebtorDetail,
    DebtorPage,
    DisputeIn,
    DisputeOut,
    ErrorOut,
    ImportOut,
    InvoicePage,
    IsoDate,
    LegalDateIn,
    LegalIn,
    LegalReminderOut,
    LegalStageOut,
    PromiseIn,
    PromiseOut,
    RunOut,
    StatusImportOut,
)
from relance.apps.collection.actions import action_skip, actions_approve, actions_approve_each
from relance.apps.collection.costs import cost_record
from relance.apps.collection.limits import claim_limits, limit_json
from relance.apps.collection.models import Action, RecoveryCost
from relance.apps.collection.morning import morning_pass
from relance.apps.collection.pauses import (
    dispute_open,
    plan_proposal_accept,
    plan_proposal_decline,
    promise_add,
)
from relance.apps.collection.selectors import action_as_dict, actions_list
from relance.apps.creditors.selectors import creditor_as_dict
from relance.apps.ledger.results import ImportResult
from relance.apps.ledger.selectors import aging_report, invoice_rows, invoices_list
from relance.apps.ledger.selectors import debtor_get as debtor_by_account
from relance.apps.ledger.services import ledger_import
from relance.apps.workspace.debtor_selectors import (
    debtor_case,
    debtor_get,
    debtor_invoices_page,
    debtor_open_total,
    debtors_page,
)
from relance.apps.workspace.selectors import FILTERS, SORTS, grants_for
from relance.apps.workspace.warming import figures_warm
from relance.apps.workspace.worklist_selectors import action_get
from relance.config.uploads import upload_limit_message
from relance.domain.errors import InvalidInputError, RelanceError
from relance.domain.money import AmountError, parse_amount, round_cents
from relance.domain.problems import Problem

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
ACTION_STATES = tuple(Action.State.values)

# Every bound the server enforces, stated in the OpenAPI description (schemathesis checks that
# the server takes what it states, and refuses what it does not).
Page = Annotated[int, Field(ge=1, description="1 or more; a page past the end is empty")]
PageSize = Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)]
ActionState = Literal["planned", "approved", "sending", "sent", "uncertain", "failed", "cancelled", "skipped"]
DebtorSort = Literal["overdue", "days", "name"]
_FILTER = "(overdue|dispute|plan|hold)"
DebtorFilter = Annotated[
    str,
    Field(
        pattern=f"^({_FILTER}(,{_FILTER})*)?$",
        description="a comma-separated list of overdue, dispute, plan, hold (no spaces)",
    ),
]
ExportKind = Literal["debtors", "invoices", "aging", "actions"]
ExportFormat = Literal["csv", "xlsx"]
LedgerFormat = Literal["auto", "csv", "fec"]

class RelanceApi(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        """Ninja's description, and what it cannot say: a file is at least one byte (Django
        drops an empty one, so the server answers that the file is missing)."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                content = operation.get("requestBody", {}).get("content", {})
                for media in content.values():
                    for prop in media.get("schema", {}).get("properties", {}).values():
                        if prop.get("format") == "binary":
                            prop["minLength"] = 1
        return schema


api = RelanceApi(
    title="Relance API",
    version="1",
    description=(
        "Unpaid invoices, debtors, aging, the approval queue, disputes, promises, imports and the daily "
        "pass. Authenticate with `Authorization: Bearer <token>` (`relance user token USERNAME`). "
        "Every call works for one creditor: `?creditor=ID`, or the only one you are granted. Errors are "
        '`{"code", "message"}`.'
    ),
    auth=[BearerToken(), Session()],
    urls_namespace="api",
    docs_url="/docs",
    # The docs and the schema for people logged in to the workspace or holding a live token;
    # their assets come from the install ("ninja" in INSTALLED_APPS), never a CDN.
    docs_decorator=docs_access,
)
install_errors(api)


ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


def _today(as_of: date | None) -> date:
    return as_of or timezone.localdate()


def _paged(rows: Any, page: int, page_size: int) -> tuple[Any, dict[str, Any]]:
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInputError(f"page is 1 or more, page_size from 1 to {MAX_PAGE_SIZE}")
    paginator = Paginator(rows, page_size)
    items = list(paginator.page(page).object_list) if page <= paginator.num_pages else []  # past the end: none
    return items, {"count": paginator.count, "page": page, "pages": paginator.num_pages}


def _debtor_dict(debtor: Any) -> dict[str, Any]:
    return {
        "id": debtor.pk,
        "account": debtor.account,
        "name": debtor.name,
        "kind": debtor.kind,
        "siren": debtor.siren,
        "email": debtor.email,
        "phone": debtor.phone,
        "is_do_not_contact": debtor.is_do_not_contact,
        "is_legal_hold": debtor.is_legal_hold,
    }


def _money(value: Decimal | None) -> str | None:
    """Money as a string of cents ("1200.00"), whatever the database's sums give back."""
    return None if value is None else str(round_cents(value))


# --- reads ----------------------------------------------------------------------------------------


@api.get("/creditors", response={200: list[CreditorOut], **ERRORS}, summary="The creditors you are granted")
def creditors(request: HttpRequest) -> list[dict[str, Any]]:
    return [{**creditor_as_dict(g.creditor), "role": g.role} for g in grants_for(user=request.auth)]  # type: ignore[attr-defined]


@api.get("/invoices", response={200: InvoicePage, **ERRORS}, summary="Invoices, oldest due first (paged)")
def invoices(
    request: HttpRequest, creditor: int | None = None, open: bool = False, debtor: str | None = None,
    page: Page = 1, page_size: PageSize = PAGE_SIZE,
) -> dict[str, Any]:
    grant = grant_for(request, creditor)
    if debtor:
        debtor_by_account(creditor=grant.creditor, account=debtor)  # another creditor's account: 404
    qs = invoices_list(creditor=grant.creditor, debtor_account=debtor, only_open=open)
    ids, meta = _paged(qs.values_list("pk", flat=True), page, page_size)
    items = list(invoice_rows(qs.filter(pk__in=ids))) if ids else []
    today = _today(None)
    limits = claim_limits(creditor=grant.creditor, as_of=today, invoice_ids=list(ids)) if ids else {}
    by_number = {limit.number: limit for limit in limits.values()}  # numbers: one per creditor
    for item in items:  # each open claim's last day to act (prescription), its events counted
        item["limitation"] = limit_json(by_number.get(item["number"]), today)
    return {"creditor": grant.creditor.pk, **meta, "items": items}


@api.get("/debtors", response={200: DebtorPage, **ERRORS}, summary="Debtors with their totals (paged)")
def debtors(
    request: HttpRequest, creditor: int | None = None, q: str = "", filter: DebtorFilter = "",
    sort: DebtorSort = "overdue", page: Page = 1, as_of: IsoDate | None = None,
) -> dict[str, Any]:
    grant = grant_for(request, creditor)
    filters = tuple(f for f in filter.split(",") if f)
    unknown = [f for f in filters if f not in FILTERS]
    if unknown or sort not in SORTS:
        raise InvalidInputError(
            f"filter is a comma-separated list of {', '.join(FILTERS)}; sort is one of {', '.join(SORTS)}"
        )
    if page < 1:
        raise InvalidInputError("page is 1 or more")
    found = debtors_page(creditor=grant.creditor, as_of=_today(as_of), q=q, filters=filters, sort=sort, page=page)
    items = [
        {
            **_debtor_dict(d),
            "open_total": _money(getattr(d, "open_total", None) or Decimal("0")),
            "overdue_total": _money(getattr(d, "overdue_total", None) or Decimal("0")),
            "open_invoices": getattr(d, "open_count", 0),
            "days_overdue": getattr(d, "days_overdue", 0),
        }
        for d in found
    ] if page <= found.paginator.num_pages else []  # past the end: none, not the last page again
    return {
        "creditor": grant.creditor.pk, "count": found.paginator.count, "page": page,
        "pages": found.paginator.num_pages, "items": items,
    }


@api.get("/debtors/{debtor_id}", response={200: DebtorDetail, **ERRORS}, summary="One debtor and its open invoices")
def debtor(
    request: HttpRequest, debtor_id: int, creditor: int | None = None, as_of: IsoDate | None = None,
    invoices_page: Page = 1,
) -> dict[str, Any]:
    grant = grant_for(request, creditor)
    day = _today(as_of)
    found = debtor_get(creditor=grant.creditor, debtor_id=debtor_id)
    case = debtor_case(debtor=found)
    if invoices_page < 1:
        raise InvalidInputError("invoices_page is 1 or more")
    paged = debtor_invoices_page(debtor=found, as_of=day, page=invoices_page)
    lines = list(paged.object_list) if invoices_page <= paged.paginator.num_pages else []
    return {
        **_debtor_dict(found),
        "creditor": grant.creditor.pk,
        "as_of": day.isoformat(),
        "open_total": _money(debtor_open_total(debtor=found)),
        "open_invoices_count": paged.paginator.count,
        "open_invoices_pages": paged.paginator.num_pages,  # 50 a page: ?invoices_page=2...
        "case": None if case is None else {
            "id": case.pk, "status": case.status,
            "paused_until": case.paused_until.isoformat() if case.paused_until else None,
        },
        "open_invoices": [
            {
                "id": line.invoice.pk,
                "number": line.invoice.number,
                "issue_date": line.invoice.issue_date.isoformat(),
                "due_date": line.invoice.due_date.isoformat(),
                "currency": line.invoice.currency,
                "total_amount": _money(line.invoice.total_amount),
                "open_amount": _money(line.invoice.open_amount),
                "days_overdue": line.days_overdue,
                "penalties": _money(line.penalties),
                "amount_due": _money(line.amount_due),
                "note": line.note,
                "missing_rate": line.missing_rate,  # a period whose rate is not recorded: no penalties
            }
            for line in lines
        ],
    }


@api.get("/aging", response={200: dict[str, Any], **ERRORS}, summary="Aging (balance âgée) and DSO")
def aging(request: HttpRequest, creditor: int | None = None, as_of: IsoDate | None = None, by_debtor: bool = False) -> dict[str, Any]:
    grant = grant_for(request, creditor)
    report = aging_report(creditor=grant.creditor, as_of=_today(as_of), by_debtor=by_debtor)
    return {"creditor": grant.creditor.pk, **report.as_dict()}


@api.get("/actions", response={200: ActionPage, **ERRORS}, summary="Actions by state; the approval queue (paged)")
def actions(
    request: HttpRequest, creditor: int | None = None, state: ActionState | None = None,
    awaiting_approval: bool = False, page: Page = 1, page_size: PageSize = PAGE_SIZE,
) -> dict[str, Any]:
    grant = grant_for(request, creditor)
    if state and state not in ACTION_STATES:
        raise InvalidInputError(f"state is one of {', '.join(ACTION_STATES)}")
    qs = actions_list(creditor=grant.creditor, state=state, awaiting_approval=awaiting_approval)
    found, meta = _paged(qs, page, page_size)
    return {"creditor": grant.creditor.pk, **meta, "items": [action_as_dict(a) for a in found]}


@api.get(
    "/exports/{kind}",
    response={200: None, **ERRORS},
    summary="Debtors, invoices, aging or actions as CSV or XLSX (spreadsheet formulas escaped)",
)
def export(
    request: HttpRequest, kind: ExportKind, creditor: int | None = None, format: ExportFormat = "csv",
    as_of: IsoDate | None = None,
) -> HttpResponse:
    from io import BytesIO

    from relance.apps.ledger.exports import CONTENT_TYPES, export_write

    grant = grant_for(request, creditor)
    buffer = BytesIO()
    export_write(creditor=grant.creditor, kind=kind, format=format, as_of=_today(as_of), stream=buffer)
    response = HttpResponse(buffer.getvalue(), content_type=CONTENT_TYPES[format])
    response["Content-Disposition"] = f'attachment; filename="{kind}-{grant.creditor.pk}.{format}"'
    return response


# --- acts -----------------------------------------------------------------------------------------


@api.post("/actions/{action_id}/approve", response={200: ActionOut, **ERRORS}, summary="Approve one action")
def action_approve(request: HttpRequest, action_id: int, creditor: int | None = None) -> dict[str, Any]:
    grant = grant_for(request, creditor, "collector")
    action = action_get(creditor=grant.creditor, action_id=action_id)
    if not (action.state == "planned" and action.requires_approval):
        raise RelanceError(f"action {action_id} is not awaiting approval (it is {action.state})", code="conflict")
    actions_approve(ids=[action.pk], creditor=grant.creditor, actor=actor(request))
    return action_as_dict(action_get(creditor=grant.creditor, action_id=action_id))


@api.post("/actions/approve", response={200: dict[str, Any], **ERRORS},
          summary="Approve many actions at once; each document checked, what cannot go out stays")
def actions_approve_many(request: HttpRequest, body: ApproveIn, creditor: int | None = None) -> dict[str, Any]:
    grant = grant_for(request, creditor, "collector")
    done = actions_approve_each(ids=body.ids, creditor=grant.creditor, actor=actor(request))
    return {
        "approved": [a.pk for a in done.approved],
        "refused": [{"id": a.pk, "problems": [p.as_dict() for p in problems]} for a, problems in done.refused],
    }


@api.post("/actions/{action_id}/skip", response={200: ActionOut, **ERRORS}, summary="Skip one pending action")
def action_skip_(request: HttpRequest, action_id: int, creditor: int | None = None, reason: str = "") -> dict[str, Any]:
    grant = grant_for(request, creditor, "collector")
    action = action_get(creditor=grant.creditor, action_id=action_id)
    if action.state not in ("planned", "approved"):
        raise RelanceError(f"action {action_id} is {action.state}: only a pending action can be skipped", code="conflict")
    action_skip(action_id=action.pk, reason=reason.strip() or "skipped by hand", actor=actor(request))
    return action_as_dict(action_get(creditor=grant.creditor, action_id=action_id))


@api.post("/plan-proposals/{task_id}/accept", response={200: dict[str, Any], **ERRORS},
          summary="Accept a plan a debtor proposed on the portal; its confirmation is sent")
def plan_proposal_accept_(
    request: HttpRequest, task_id: int, creditor: int | None = None, as_of: IsoDate | None = None
) -> dict[str, Any]:
    grant = grant_for(request, creditor, "collector")
    plan = plan_proposal_accept(creditor=grant.creditor, task_id=task_id, as_of=_today(as_of),
                                actor=actor(request))
    confirmation = plan.confirmations.values_list("pk", flat=True).first()
    return {"task": task_id, "outcome": "accepted", "plan": plan.pk, "total": _money(plan.total_amount),
            "instalments": [{"date": i.due_date.isoformat(), "amount": _money(i.amount)}
                            for i in plan.instalments.all()],
            "confirmation": confirmation}


@api.post("/plan-proposals/{task_id}/decline", response={200: dict[str, Any], **ERRORS},
          summary="Decline a plan a debtor proposed on the portal; the debtor is told")
def plan_proposal_decline_(
    request: HttpRequest, task_id: int, creditor: int | None = None, reason: str = "",
    as_of: IsoDate | None = None,
) -> dict[str, Any]:
    grant = grant_for(request, creditor, "collector")
    task = plan_proposal_decline(creditor=grant.creditor, task_id=task_id, as_of=_today(as_of),
                                 reason=reason, actor=actor(request))
    return {"task": task.pk, "outcome": "declined", "reason": task.outcome.get("reason", ""),
            "answer": task.outcome.get("answer")}


@api.post("/disputes", response={201: DisputeOut, **ERRORS}, summary="Open a dispute on an invoice")
def disputes(request: HttpRequest, body: DisputeIn, creditor: int | None = None) -> Status[dict[str, Any]]:
    grant = grant_for(request, creditor, "collector")
    dispute = dispute_open(
        creditor=grant.creditor, invoice_number=body.invoice, reason=body.reason, as_of=_today(body.as_of),
        actor=actor(request),
    )
    return Status(201, {
        "id": dispute.pk, "creditor": grant.creditor.pk, "invoice": body.invoice, "reason": dispute.reason,
        "status": dispute.status, "opened_on": dispute.opened_on.isoformat(),
    })


@api.post("/promises", response={201: PromiseOut, **ERRORS}, summary="Record a promise to pay")
def promises(request: HttpRequest, body: PromiseIn, creditor: int | None = None) -> Status[dict[str, Any]]:
    grant = grant_for(request, creditor, "collector")
    if body.grace_days < 0:
        raise InvalidInputError("grace_days is 0 or more")
    try:
        amount = parse_amount(body.amount)
    except AmountError:
        raise InvalidInputError(f"amount {body.amount!r} is not a decimal number such as \"500.00\"") from None
    promise = promise_add(
        creditor=grant.creditor, debtor_account=body.debtor, amount=amount, promised_date=body.date,
        as_of=_today(body.as_of), grace_days=body.grace_days, actor=actor(request),
    )
    return Status(201, {
        "id": promise.pk, "creditor": grant.creditor.pk, "debtor": body.debtor, "amount": _money(promise.amount),
        "date": promise.promised_date.isoformat(), "grace_days": promise.grace_days, "status": promise.status,
    })


@api.get("/costs", response={200: list[CostOut], **ERRORS}, summary="The recovery costs recorded for a debtor")
def costs_list(request: HttpRequest, debtor: str, creditor: int | None = None) -> list[dict[str, Any]]:
    grant = grant_for(request, creditor)
    found = debtor_by_account(creditor=grant.creditor, account=debtor)
    return [_cost_dict(row, grant.creditor.pk, debtor) for row in RecoveryCost.objects.filter(debtor=found)]


def _cost_dict(row: RecoveryCost, creditor_id: int, account: str) -> dict[str, Any]:
    return {
        "id": row.pk, "creditor": creditor_id, "debtor": account, "case": row.case_id,
        "amount": _money(row.amount), "currency": row.currency, "date": row.incurred_on.isoformat(),
        "description": row.description, "proof": row.proof_filename, "sha256": row.proof_sha256,
    }


@api.post("/costs", response={201: CostOut, **ERRORS},
          summary="Record recovery costs on a debtor's case, with their proof (C. com. L441-10 II)")
def costs(
    request: HttpRequest, file: File[UploadedFile], debtor: Form[str], amount: Form[str], date: Form[IsoDate],
    description: Form[str], currency: Form[str] = "EUR", creditor: int | None = None,
) -> Status[dict[str, Any]]:
    grant = grant_for(request, creditor, "collector")
    row = cost_record(
        creditor=grant.creditor, debtor=debtor_by_account(creditor=grant.creditor, account=debtor), amount=amount,
        incurred_on=date, description=description, proof=file.read(), proof_filename=file.name or "proof",
        currency=currency, today=timezone.localdate(), actor=actor(request),
    )
    return Status(201, _cost_dict(row, grant.creditor.pk, debtor))
def _stage_dict(stage: Any) -> dict[str, Any]:
    from relance.apps.collection.legal_stage import stage_dates

    return {"debtor": stage.case.debtor.account, "case": stage.case_id, "route": stage.route,
            "reference": stage.reference, "entered_on": stage.entered_on, "dates": stage_dates(stage)}


@api.post("/cases/legal", response={201: LegalStageOut, **ERRORS},
          summary="Move a debtor's case to the legal stage by a route; nothing more is sent to it")
def case_legal_(request: HttpRequest, body: LegalIn, creditor: int | None = None) -> Status[dict[str, Any]]:
    from relance.apps.collection.legal_stage import case_legal

    grant = grant_for(request, creditor, "collector")
    stage = case_legal(creditor=grant.creditor, account=body.debtor, route=body.route, reference=body.reference,
                       as_of=_today(body.as_of), actor=actor(request))
    return Status(201, _stage_dict(stage))


@api.post("/cases/legal/dates", response={200: LegalStageOut, **ERRORS},
          summary="Record a key date of a case in the legal stage")
def case_legal_date(request: HttpRequest, body: LegalDateIn, creditor: int | None = None) -> dict[str, Any]:
    from relance.apps.collection.legal_stage import legal_date_record

    grant = grant_for(request, creditor, "collector")
    stage = legal_date_record(creditor=grant.creditor, account=body.debtor, key=body.key, day=body.date,
                              as_of=_today(body.as_of), actor=actor(request))
    return _stage_dict(stage)


@api.get("/cases/legal/reminders", response={200: list[LegalReminderOut], **ERRORS},
         summary="What the key dates of the cases in the legal stage call for on a day")
def case_legal_reminders(request: HttpRequest, creditor: int | None = None, as_of: IsoDate | None = None) -> list[dict[str, Any]]:
    from relance.apps.collection.legal_stage import legal_reminders_due

    grant = grant_for(request, creditor, "viewer")
    return [
        {"debtor": d.debtor.account, "reference": d.stage.reference, "route": d.stage.route,
         "reminder": d.reminder.code, "since": d.reminder.day, "deadline": d.reminder.deadline,
         "past": d.is_past, "basis": d.reminder.basis}
        for d in legal_reminders_due(creditor=grant.creditor, as_of=_today(as_of))
    ]


@api.post("/cases/status-import", response={200: StatusImportOut, 413: ErrorOut, **ERRORS},
          summary="Take in a status file from an agency or a lawyer (reference, status, amount, date), whole; "
          "or refuse it whole with every line and reason (`imported`: false); the JSON of "
          "`relance case status-import --json`")
def case_status_import(
    request: HttpRequest, file: File[UploadedFile], creditor: int | None = None, as_of: IsoDate | None = None
) -> dict[str, Any]:
    from relance.apps.collection.status_files import status_file_import

    grant = grant_for(request, creditor, "collector")
    if file.size is not None and file.size > settings.UPLOAD_MAX_BYTES:  # as the ledger import
        raise HttpError(413, upload_limit_message())
    result = status_file_import(creditor=grant.creditor, data=file.read(), name=file.name or "status.csv",
                                as_of=_today(as_of), actor=actor(request))
    return result.as_dict()


@api.post("/imports/ledger", response={200: ImportOut, 413: ErrorOut, **ERRORS},
          summary="Import a ledger export (CSV or FEC); the JSON of `relance import ledger --json`")
def import_ledger(
    request: HttpRequest, file: File[UploadedFile], creditor: int | None = None, dry_run: Form[bool] = False,
    format: Form[LedgerFormat] = "auto", partial: Form[bool] = False, full: Form[bool] = False,
) -> dict[str, Any]:
    """`full` says the file is the whole open list, `partial` a part of it. Saying neither, an
    import that would settle many invoices by their absence writes nothing and answers
    `"question": "full_or_partial"`, with the invoices in `settling`."""
    grant = grant_for(request, creditor, "collector")
    if file.size is not None and file.size > settings.UPLOAD_MAX_BYTES:  # as the workspace
        raise HttpError(413, upload_limit_message())
    try:
        result = ledger_import(
            creditor=grant.creditor, stream=cast(IO[bytes], file.file), filename=file.name or "ledger",
            format=format, dry_run=dry_run, partial=partial, full=full, actor=actor(request),
        )
    except InvalidInputError as exc:
        # A file that is no ledger at all: refused as a file with bad lines is, its problem
        # listed (the schema cannot state what a file holds, so this is no 400).
        return ImportResult(
            format=format, dry_run=dry_run, problems=[Problem(code=exc.code, message=exc.message, line=1)]
        ).as_dict()
    if not result.problems and not dry_run:
        figures_warm(creditor=grant.creditor, as_of=timezone.localdate())  # as the CLI does
    return result.as_dict()


@api.post("/run", response={200: RunOut, **ERRORS},
          summary="The daily pass for this creditor; the JSON of `relance run --json`")
def run(request: HttpRequest, creditor: int | None = None, dry_run: bool = False, as_of: IsoDate | None = None) -> dict[str, Any]:
    grant = grant_for(request, creditor, "collector")
    result = morning_pass(as_of=_today(as_of), creditor=grant.creditor, dry_run=dry_run, actor=actor(request))
    return result.as_dict()


# --- the end of the amicable path -----------------------------------------------------------------


@api.post(
    "/debtors/{debtor_id}/dossier",
    response={200: None, **ERRORS},
    summary="Build the dossier (ZIP) of a debtor's claim for a route: injonction, psrpc, refere-provision, "
    "agency, lawyer; refused with every reason (400)",
)
def dossier(
    request: HttpRequest, debtor_id: int, route: str, creditor: int | None = None, as_of: IsoDate | None = None,
    consumer_credit: bool = False, legal_stage: bool = False,
) -> HttpResponse:
    """`legal_stage` also moves the case to the legal stage on the route, under the dossier's
    reference (both recorded or neither)."""
    from relance.apps.legal.dossier import dossier_build

    grant = grant_for(request, creditor, "collector")
    found = debtor_get(creditor=grant.creditor, debtor_id=debtor_id)
    result = dossier_build(
        creditor=grant.creditor, account=found.account, route=route, as_of=_today(as_of),
        is_consumer_credit=consumer_credit, enter_legal_stage=legal_stage, actor=actor(request),
    )
    response = HttpResponse(result.data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    response["X-Relance-SHA256"] = result.sha256
    return response


@api.post(
    "/debtors/{debtor_id}/write-off",
    response={200: dict[str, Any], **ERRORS},
    summary="Close the debtor's case as written off (insolvency, prescription, too_small); the entry in the "
    "FEC layout; the JSON of `relance case write-off --json`",
)
def write_off(
    request: HttpRequest, debtor_id: int, reason: str, creditor: int | None = None, as_of: IsoDate | None = None,
    vat_rate: str | None = None, penalties_invoiced: bool = False,
) -> dict[str, Any]:
    from relance.apps.legal.write_off import case_write_off

    grant = grant_for(request, creditor, "admin")
    found = debtor_get(creditor=grant.creditor, debtor_id=debtor_id)
    try:
        rate = parse_amount(vat_rate) if vat_rate else None
    except AmountError:
        raise InvalidInputError(f"vat_rate {vat_rate!r} is not a number such as \"20\"") from None
    result = case_write_off(
        creditor=grant.creditor, account=found.account, reason=reason, as_of=_today(as_of), vat_rate=rate,
        penalties_invoiced=penalties_invoiced, actor=actor(request),
    )
    return {"creditor": grant.creditor.pk, **result.as_dict(), "entry": result.data.decode("utf-8")}
