"""The portal's signed links: ``portal_url`` for a message, ``portal_token_read`` for a visit.

A token is ``django.core.signing``'s timestamped signature (the install's SECRET_KEY, the salt
``relance.portal``) over ``{"c": creditor id, "d": debtor id}``. Its timestamp is the day the
message is dated (``as_of``, at midnight UTC), not the clock: the same message rendered twice
carries the same link, and an expiry is tested with dates, not by waiting. A link is valid
``RELANCE_PORTAL_DAYS`` days (120 by default) from that day.

It lives with the collection, below the portal, because the messages carry the links: it
imports nothing of the other apps, and the portal reads the tokens back through it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "relance.portal"
DAY = 86400


class _DatedSigner(signing.TimestampSigner):
    """A TimestampSigner whose clock is an argument: it signs at ``at`` and checks ages
    against ``at`` (Django's own reads ``time.time()``)."""

    def __init__(self, *, at: float) -> None:
        super().__init__(salt=SALT)
        self.at = at

    def timestamp(self) -> str:
        return signing.b62_encode(int(self.at))

    def unsign(self, value: str, max_age: Any = None) -> str:
        result = signing.Signer.unsign(self, value)
        payload, stamp = result.rsplit(self.sep, 1)
        dated = signing.b62_decode(stamp)
        # A link is dated the day of its message, at midnight UTC: up to a day ahead of the
        # clock in Paris just after midnight, never more. One dated later (a render for a
        # future day) would outlive its validity: refused as not ours.
        if dated > self.at + DAY:
            raise signing.BadSignature("the portal link is dated in the future")
        if max_age is not None and self.at - dated > max_age:
            raise signing.SignatureExpired("the portal link has expired")
        return payload


def _midnight(day: date) -> float:
    return datetime.combine(day, time(0), tzinfo=UTC).timestamp()


def portal_token(*, creditor_id: int, debtor_id: int, as_of: date) -> str:
    """The token of a link dated ``as_of`` for one debtor of one creditor."""
    return _DatedSigner(at=_midnight(as_of)).sign_object({"c": creditor_id, "d": debtor_id})


class PortalLinkError(Exception):
    """A token that is not ours (``expired`` False) or too old (``expired`` True)."""

    def __init__(self, *, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def portal_token_read(token: str, *, now: datetime) -> tuple[int, int]:
    """(creditor id, debtor id) of a valid token as of ``now``; ``PortalLinkError`` otherwise."""
    signer = _DatedSigner(at=now.timestamp())
    try:
        payload = signer.unsign_object(token, max_age=settings.PORTAL_DAYS * DAY)
    except signing.SignatureExpired:
        raise PortalLinkError(expired=True) from None
    except (signing.BadSignature, ValueError, UnicodeDecodeError):
        raise PortalLinkError(expired=False) from None
    if not isinstance(payload, dict):
        raise PortalLinkError(expired=False)
    creditor_id, debtor_id = payload.get("c"), payload.get("d")
    if not isinstance(creditor_id, int) or not isinstance(debtor_id, int):
        raise PortalLinkError(expired=False)
    return creditor_id, debtor_id


def portal_url(*, creditor_id: int, debtor_id: int, as_of: date) -> str:
    """The absolute portal link a message dated ``as_of`` carries, or "" when the install has
    no public address (``RELANCE_PUBLIC_URL``)."""
    base = getattr(settings, "PUBLIC_URL", "")
    if not base:
        return ""
    token = portal_token(creditor_id=creditor_id, debtor_id=debtor_id, as_of=as_of)
    return base + reverse("portal:home", args=[token])
