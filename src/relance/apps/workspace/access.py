"""Who may open which page: login, the active creditor, and the role each page needs.

``workspace_view(role)`` wraps every page. It resolves the creditor from the person's grants
(the one kept in the session, else the first), refuses a role that is too low with 403, and maps
the project's errors once: ``NotFoundError`` becomes 404, which is also what an id belonging to
another creditor gives, so nobody learns that it exists.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from relance.apps.workspace.selectors import grant_choose, grants_for
from relance.apps.workspace.wording import error_text
from relance.domain.errors import NotFoundError, RelanceError

SESSION_CREDITOR = "workspace_creditor"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

View = Callable[..., HttpResponse]


def back_url(request: HttpRequest, default: str = "/") -> str:
    for candidate in (request.POST.get("next"), request.headers.get("referer")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return default


def workspace_view(role: str = "viewer", *, write_role: str = "collector") -> Callable[[View], View]:
    """Login, a grant on the active creditor, ``role`` to read and ``write_role`` to post."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), login_url=reverse("workspace:login"))
            grants = grants_for(user=request.user)
            grant = grant_choose(grants=grants, creditor_id=request.session.get(SESSION_CREDITOR))
            if grant is None:
                return render(request, "workspace/no_access.html", status=403)
            needed = role if request.method in SAFE_METHODS else max(
                role, write_role, key=lambda r: ("viewer", "collector", "admin").index(r)
            )
            if not grant.allows(needed):
                raise PermissionDenied
            request.grant = grant  # type: ignore[attr-defined]
            request.grants = grants  # type: ignore[attr-defined]
            request.creditor = grant.creditor  # type: ignore[attr-defined]
            try:
                return view(request, *args, **kwargs)
            except NotFoundError as exc:
                raise Http404(error_text(exc)) from exc
            except RelanceError as exc:
                messages.error(request, error_text(exc))
                return HttpResponseRedirect(back_url(request, request.path))

        return wrapper

    return decorate
