"""Creating and revoking API tokens. The token is shown once; only its digest is stored."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from relance.apps.api_tokens.models import ApiToken
from relance.apps.audit.services import event_record
from relance.domain.errors import InvalidInputError, NotFoundError

PREFIX = "rl_"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _user(username: str) -> Any:
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise NotFoundError(f"no user {username!r} (add one with `relance user add`)")
    return user


def token_create(*, username: str, name: str = "default", actor: str = "system") -> tuple[ApiToken, str]:
    """A new token for ``username``; returns the row and the token itself (shown only now)."""
    name = name.strip()
    if not name:
        raise InvalidInputError("a token needs a name")
    user = _user(username)
    token = PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        if ApiToken.objects.filter(user=user, name=name, revoked_at__isnull=True).exists():
            raise InvalidInputError(f"{username} already has a token named {name!r}: revoke it first")
        row = ApiToken.objects.create(user=user, name=name, digest=token_digest(token), prefix=token[:8])
        event_record(kind="api_token.created", subject_type="api_token", subject_id=row.pk, creditor_id=None,
                     payload={"user": username, "name": name}, actor=actor)
    return row, token


def token_revoke(*, username: str, name: str, actor: str = "system") -> ApiToken:
    user = _user(username)
    with transaction.atomic():
        row = ApiToken.objects.select_for_update().filter(user=user, name=name, revoked_at__isnull=True).first()
        if row is None:
            raise NotFoundError(f"{username} has no live token named {name!r}")
        row.revoked_at = timezone.now()
        row.save(update_fields=["revoked_at"])
        event_record(kind="api_token.revoked", subject_type="api_token", subject_id=row.pk, creditor_id=None,
                     payload={"user": username, "name": name}, actor=actor)
    return row
