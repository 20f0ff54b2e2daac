"""Which outgoing mail server carries a creditor's e-mail, and setting it.

A creditor may set its own server (host, port, security, user, password) on the Settings page;
without one, ``RELANCE_EMAIL_URL`` (the install's, from the environment) carries it, as
before. ``mail_url_for`` gives the URL the channel's transport reads, and says which one is in
use; the dispatch routes each creditor's messages through it (``collection.mail_routes``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.db import transaction

from relance.apps.audit.services import event_record
from relance.apps.creditors.models import Creditor, MailServer
from relance.domain.errors import InvalidInputError
from relance.domain.problems import N_

SCHEMES = {"starttls": "smtp+starttls", "ssl": "smtps", "none": "smtp"}
_HOST = re.compile(r"^[A-Za-z0-9.-]{1,253}$|^\[[0-9a-fA-F:.]+\]$")


@dataclass(frozen=True)
class MailRoute:
    url: str
    source: str  # "creditor" (its own server) or "environment" (RELANCE_EMAIL_URL)
    shown: str  # where it goes, without any password


def mail_server_get(*, creditor: Creditor) -> MailServer | None:
    return MailServer.objects.filter(creditor=creditor).first()


def _url(server: MailServer) -> str:
    auth = ""
    if server.username:
        auth = quote(server.username, safe="") + (
            ":" + quote(server.password, safe="") if server.password else ""
        ) + "@"
    return f"{SCHEMES[server.security]}://{auth}{server.host}:{server.port}"


def mail_url_for(*, creditor: Creditor | None) -> MailRoute:
    """The server that carries ``creditor``'s e-mail, and which setting chose it."""
    server = mail_server_get(creditor=creditor) if creditor is not None else None
    if server is not None:
        return MailRoute(_url(server), "creditor", f"{SCHEMES[server.security]}://{server.host}:{server.port}")
    from urllib.parse import urlsplit

    parts = urlsplit(settings.EMAIL_URL)
    shown = parts.path if parts.scheme == "file" else (
        f"{parts.scheme}://{parts.hostname}:{parts.port or ''}".rstrip(":")
    )
    return MailRoute(settings.EMAIL_URL, "environment", shown)


def creditors_with_own_server() -> dict[int, str]:
    """creditor id → the URL of its own server, for every creditor that set one."""
    return {server.creditor_id: _url(server) for server in MailServer.objects.all()}


def mail_server_set(
    *,
    creditor: Creditor,
    actor: str,
    host: str,
    port: int,
    security: str,
    username: str = "",
    password: str | None = None,
) -> MailServer:
    """Set the creditor's own server; ``password=None`` keeps the one stored."""
    host = host.strip()
    if not _HOST.match(host):
        raise InvalidInputError(N_("%(value)r is not a server name"), params={"value": host})
    if not 1 <= int(port) <= 65535:
        raise InvalidInputError("the port is a number between 1 and 65535")
    if security not in SCHEMES:
        raise InvalidInputError(N_("unknown security %(value)r"), params={"value": security})
    with transaction.atomic():
        server = MailServer.objects.select_for_update().filter(creditor=creditor).first()
        before = None if server is None else {
            "host": server.host, "port": server.port, "security": server.security,
            "username": server.username,
        }
        server = server or MailServer(creditor=creditor)
        server.host, server.port, server.security = host, int(port), security
        server.username = username.strip()
        changed_password = password is not None and password != server.password
        if password is not None:
            server.password = password
        server.save()
        event_record(
            kind="creditor.mail_server_set", subject_type="creditor", subject_id=creditor.pk,
            creditor_id=creditor.pk, actor=actor,
            payload={"before": before, "after": {"host": host, "port": int(port),
                     "security": security, "username": server.username},
                     "password_changed": changed_password},
        )
    return server


def mail_server_remove(*, creditor: Creditor, actor: str) -> None:
    """Back to the install's server (RELANCE_EMAIL_URL)."""
    with transaction.atomic():
        deleted, _ = MailServer.objects.filter(creditor=creditor).delete()
        if deleted:
            event_record(
                kind="creditor.mail_server_removed", subject_type="creditor",
                subject_id=creditor.pk, creditor_id=creditor.pk, actor=actor, payload={},
            )
