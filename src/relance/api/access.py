"""Who is calling, for which creditor, with which role; and the project's errors as JSON.

A caller authenticates with ``Authorization: Bearer <token>`` (``relance user token``) or with
the workspace's session (CSRF checked on writes). The creditor is ``?creditor=ID``, else the
only one the caller is granted. A creditor not granted is "not found", like any id of it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from relance.apps.api_tokens.selectors import token_user
from relance.apps.workspace.selectors import Grant, grants_for
from relance.config.uploads import upload_limit_message, upload_too_large
from relance.domain.errors import InvalidInputError, NotFoundError, RefusedNowError, RelanceError


class BearerToken(HttpBearer):
    """``Authorization: Bearer <token>``: the token's user, when the token is live."""

    openapi_description = "A token made by `relance user token USERNAME`."

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return token_user(token=token)


class Session(SessionAuth):
    """A person logged in to the workspace (CSRF token required on writes)."""

    def __call__(self, request: HttpRequest) -> Any:
        # Without a logged-in session this scheme does not apply: a call with a bad token must
        # answer 401, not fail the CSRF check of a session it does not have.
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


def docs_access(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The docs and the schema: for a person logged in to the workspace, or a caller with a
    live token; anyone else is sent to the login."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return view(request, *args, **kwargs)
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer ") and token_user(token=header[7:].strip()) is not None:
            return view(request, *args, **kwargs)
        return redirect_to_login(request.get_full_path())

    return guarded


class Forbidden(RelanceError):
    code = "forbidden"


def actor(request: HttpRequest) -> str:
    return f"api:{request.auth.get_username()}"  # type: ignore[attr-defined]


def grant_for(request: HttpRequest, creditor: int | None, role: str = "viewer") -> Grant:
    """The caller's grant on ``creditor`` (or on their only creditor), with at least ``role``."""
    grants = grants_for(user=request.auth)  # type: ignore[attr-defined]
    if creditor is None:
        if not grants:
            raise NotFoundError("you are granted no creditor")
        if len(grants) > 1:
            raise InvalidInputError("you are granted several creditors: say which with ?creditor=ID")
        grant = grants[0]
    else:
        found = [g for g in grants if g.creditor.pk == creditor]
        if not found:
            raise NotFoundError(f"no creditor {creditor}")
        grant = found[0]
    if not grant.allows(role):
        raise Forbidden(f"a {grant.role} of {grant.creditor.name} cannot do this (needs {role})")
    return grant


def status_of(exc: RelanceError) -> int:
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, RefusedNowError):  # well-formed, refused by the state it meets
        return 409
    if isinstance(exc, Forbidden):
        return 403
    if isinstance(exc, InvalidInputError):
        return 400
    return 409


def install_errors(api: NinjaAPI) -> None:
    """One mapping for the whole API: ``{"code", "message"}`` with 400, 401, 403, 404 or 409."""

    @api.exception_handler(RelanceError)
    def relance_error(request: HttpRequest, exc: RelanceError) -> HttpResponse:
        body: dict[str, Any] = {"code": exc.code, "message": exc.message}
        refused = getattr(exc, "refused", None)  # a document approval refused: each problem
        if refused:
            body["problems"] = [p.as_dict() for p in refused]
        return api.create_response(request, body, status=status_of(exc))

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = api.create_response(
            request, {"code": "unauthenticated", "message": "give a live API token: Authorization: Bearer <token>"},
            status=401,
        )
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        codes = {400: "invalid_input", 403: "forbidden", 404: "not_found", 413: "too_large"}
        return api.create_response(
            request, {"code": codes.get(exc.status_code, "error"), "message": exc.message}, status=exc.status_code
        )

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return api.create_response(request, {"code": "not_found", "message": "not found"}, status=404)

    @api.exception_handler(ValidationError)
    def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        if upload_too_large(request):  # the file was stopped as it arrived: say why
            return api.create_response(
                request, {"code": "too_large", "message": upload_limit_message()}, status=413
            )
        where = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in exc.errors
        )
        return api.create_response(
            request, {"code": "invalid_input", "message": where or "invalid input", "errors": exc.errors}, status=400
        )
