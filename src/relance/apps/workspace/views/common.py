"""Small helpers every workspace page shares: who acts, and how a streamed file is answered."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponse


def actor(request: HttpRequest) -> str:
    """Who an event records as having acted: the signed-in user."""
    return f"user:{request.user.get_username()}"


def streamed(response: FileResponse) -> HttpResponse:
    # workspace_view types a page as returning an HttpResponse; a FileResponse streams, so it is
    # only an HttpResponseBase. Django serves either alike.
    return response  # type: ignore[return-value]
