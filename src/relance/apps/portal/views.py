"""The portal's pages: parse the token and the form, call one selector or service, render.

Every view opens with the token: a token that is not ours, or names a debtor that is not its
creditor's, is a 404; an expired one a 410; both on the same polite page that shows nothing.
Pages are never cached nor indexed, and send no Referer to other sites (the token is in
the address).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from relance.apps.collection.pauses import AlreadyDisputedError
from relance.apps.collection.portal_links import PortalLinkError
from relance.apps.portal.forms import DisputeForm, PlanForm
from relance.apps.portal.selectors import (
    PortalAccess,
    portal_access,
    portal_invoice,
    portal_qr_png,
    portal_statement,
)
from relance.apps.portal.services import (
    PlanProposal,
    PortalLimitError,
    portal_dispute_report,
    portal_plan_propose,
)
from relance.domain.errors import InvalidInputError, NotFoundError

LANGS = ("fr", "en")
View = Callable[..., HttpResponseBase]


def _private(response: HttpResponseBase) -> HttpResponseBase:
    response["Cache-Control"] = "no-store"
    # The token is in the address: no Referer leaves for another site. Not "no-referrer": a
    # browser then sends "Origin: null" with the forms, and Django's CSRF check refuses them.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _lang(request: HttpRequest, access: PortalAccess | None) -> str:
    asked = request.POST.get("lang") or request.GET.get("lang") or ""
    if asked in LANGS:
        return asked
    if access is not None and access.debtor.language in LANGS:
        return access.debtor.language
    return "fr"


def _refused(request: HttpRequest, *, expired: bool) -> HttpResponseBase:
    lang = _lang(request, None)
    with translation.override(lang):
        response = render(
            request,
            "portal/refused.html",
            {"expired": expired, "lang": lang},
            status=410 if expired else 404,
        )
    return _private(response)


def with_access(view: View) -> View:
    """Open the token (as of now) and run the view in the page's language, or refuse."""

    @wraps(view)
    def wrapper(request: HttpRequest, token: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
        now = timezone.now()
        try:
            access = portal_access(token=token, now=now)
        except PortalLinkError as exc:
            return _refused(request, expired=exc.expired)
        except NotFoundError:
            return _refused(request, expired=False)
        lang = _lang(request, access)
        with translation.override(lang):
            try:
                response = view(request, access, now, lang, *args, **kwargs)
            except NotFoundError:
                response = _refused(request, expired=False)
        return _private(response)

    return wrapper


def _home_url(access: PortalAccess, lang: str, **extra: str) -> str:
    from urllib.parse import urlencode

    return reverse("portal:home", args=[access.token]) + "?" + urlencode({"lang": lang, **extra})


def _page(
    request: HttpRequest,
    access: PortalAccess,
    now: datetime,
    lang: str,
    *,
    dispute_form: DisputeForm | None = None,
    plan_form: PlanForm | None = None,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    as_of = timezone.localdate(now)
    statement = portal_statement(access=access, as_of=as_of)
    choices = [(i.pk, i.number) for i in statement.disputable]
    done = request.GET.get("done", "")
    return render(
        request,
        "portal/home.html",
        {
            "s": statement,
            "token": access.token,
            "lang": lang,
            "other_lang": "en" if lang == "fr" else "fr",
            "dispute_form": dispute_form or DisputeForm(invoices=choices),
            "plan_form": plan_form or PlanForm(initial={"first": as_of}, as_of=as_of),
            "done": done if done in ("dispute", "plan") else "",
            "problem": problem,
        },
        status=status,
    )


@require_GET
@with_access
def home(request: HttpRequest, access: PortalAccess, now: datetime, lang: str) -> HttpResponse:
    return _page(request, access, now, lang)


@require_GET
@with_access
def invoice_pdf(
    request: HttpRequest, access: PortalAccess, now: datetime, lang: str, invoice_id: int
) -> HttpResponseBase:
    invoice = portal_invoice(access=access, invoice_id=invoice_id)
    try:
        handle = invoice.pdf.open("rb")
    except OSError:
        raise NotFoundError("the invoice's file is missing") from None
    return FileResponse(
        handle, content_type="application/pdf", filename=f"{invoice.number}.pdf"
    )


@require_GET
@with_access
def qr_png(request: HttpRequest, access: PortalAccess, now: datetime, lang: str) -> HttpResponse:
    png = portal_qr_png(access=access, as_of=timezone.localdate(now))
    if not png:
        raise NotFoundError("no QR code to draw")
    return HttpResponse(png, content_type="image/png")


def _problem_text(exc: InvalidInputError) -> str:
    if isinstance(exc, PortalLimitError):
        return gettext(
            "You have sent many requests today. Please try again tomorrow, or write to us."
        )
    if isinstance(exc, AlreadyDisputedError):
        return gettext("This invoice is already being looked into.")
    return gettext("Your request could not be recorded. Please check it and try again.")


@require_POST
@with_access
def dispute(request: HttpRequest, access: PortalAccess, now: datetime, lang: str) -> HttpResponse:
    as_of = timezone.localdate(now)
    statement = portal_statement(access=access, as_of=as_of)
    form = DisputeForm(request.POST, invoices=[(i.pk, i.number) for i in statement.disputable])
    if not form.is_valid():
        return _page(request, access, now, lang, dispute_form=form, status=400)
    try:
        portal_dispute_report(
            access=access,
            invoice_id=form.cleaned_data["invoice"],
            reason=form.cleaned_data["reason"],
            now=now,
            as_of=as_of,
        )
    except InvalidInputError as exc:
        status = 429 if isinstance(exc, PortalLimitError) else 400
        return _page(
            request, access, now, lang, dispute_form=form, problem=_problem_text(exc), status=status
        )
    return HttpResponseRedirect(_home_url(access, lang, done="dispute"))


@require_POST
@with_access
def plan(request: HttpRequest, access: PortalAccess, now: datetime, lang: str) -> HttpResponse:
    as_of = timezone.localdate(now)
    form = PlanForm(request.POST, as_of=as_of)
    if not form.is_valid():
        return _page(request, access, now, lang, plan_form=form, status=400)
    proposal = PlanProposal(
        instalments=form.cleaned_data["instalments"],
        first=form.cleaned_data["first"],
        message=form.cleaned_data["message"],
    )
    try:
        portal_plan_propose(access=access, proposal=proposal, now=now, as_of=as_of)
    except InvalidInputError as exc:
        status = 429 if isinstance(exc, PortalLimitError) else 400
        return _page(
            request, access, now, lang, plan_form=form, problem=_problem_text(exc), status=status
        )
    return HttpResponseRedirect(_home_url(access, lang, done="plan"))
