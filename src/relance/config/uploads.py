"""The upload size cap (``RELANCE_UPLOAD_MAX_MB``), for the workspace's imports and the API's.

Two guards, so that no upload over the cap is read into memory or kept on disk:

- ``UploadCapMiddleware`` answers 413 before the body is read when the request declares a
  length above the cap (plus the form fields' own budget, DATA_UPLOAD_MAX_MEMORY_SIZE): a
  page in the reader's language, or the API's ``{"code", "message"}``.
- ``CappedUploadHandler``, first of the upload handlers, counts the files' bytes as they
  arrive (a request of no declared length): past the cap it stops the upload, the parts
  already written are closed and deleted, and ``request.upload_too_large`` tells the view,
  which says so in the form (the workspace) or answers 413 (the API).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import escape
from django.utils.translation import gettext as _


def upload_limit_message() -> str:
    return _(
        "The file is too large: %(max)s MB at most. Split it, or import it with the "
        "command line (relance import ledger), which has no limit."
    ) % {"max": settings.UPLOAD_MAX_BYTES // 2**20 or 1}


def upload_too_large(request: HttpRequest) -> bool:
    return bool(getattr(request, "upload_too_large", False))


def _refusal(request: HttpRequest) -> HttpResponse:
    message = upload_limit_message()
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "too_large", "message": message}, status=413)
    back = escape(request.get_full_path())
    page = (
        f'<!doctype html><html lang="{escape(request.LANGUAGE_CODE or "fr")}"><meta charset="utf-8">'
        f"<title>Relance</title><p>{escape(message)}</p>"
        f'<p><a href="{back}">{escape(_("Back"))}</a></p></html>'
    )
    return HttpResponse(page, status=413)


class UploadCapMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in ("POST", "PUT", "PATCH"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > settings.UPLOAD_MAX_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
                request.upload_too_large = True  # type: ignore[attr-defined]
                return _refusal(request)
        return self.get_response(request)


class CappedUploadHandler(FileUploadHandler):
    """Stops an upload whose files pass the cap, whatever length the request declared."""

    def __init__(self, request: HttpRequest | None = None):
        super().__init__(request)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > settings.UPLOAD_MAX_BYTES:
            if self.request is not None:
                self.request.upload_too_large = True  # type: ignore[attr-defined]
            # Not a reset: the rest of the body is read and dropped, so the browser gets
            # the page that says why, not a broken connection.
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> Any:
        return None  # the next handlers keep the file
