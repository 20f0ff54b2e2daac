"""Reading API tokens: the user a presented token belongs to."""

from __future__ import annotations

from typing import Any

from relance.apps.api_tokens.models import ApiToken
from relance.apps.api_tokens.services import token_digest


def token_user(*, token: str) -> Any:
    """The active user holding the live ``token``, or None."""
    if not token:
        return None
    row = (
        ApiToken.objects.filter(digest=token_digest(token), revoked_at__isnull=True)
        .select_related("user")
        .first()
    )
    if row is None or not row.user.is_active:
        return None
    return row.user


def tokens_list(*, username: str) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user__username=username).order_by("created_at", "id"))
