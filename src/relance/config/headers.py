"""Response headers of Django's deployment checklist that Django 5.2 does not set itself: a
Content-Security-Policy and a Permissions-Policy (README, "Security headers").

The policy allows only this site's own scripts, styles, images and forms: no inline script,
no script or style from elsewhere (Swagger UI's assets are served from the install, see
``api.main``). One relaxation, explained: ``style-src-attr 'unsafe-inline'`` lets the
dashboard's bars carry their width in a ``style`` attribute; a style attribute runs no code.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
