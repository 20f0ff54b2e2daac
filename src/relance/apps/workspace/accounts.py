"""Accounts: a user's password, its login, its grants, and the throttle on failed logins.

Each service records its audit event on every creditor the user is granted.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from relance.apps.audit.services import event_record
from relance.apps.creditors.models import Creditor
from relance.apps.workspace.models import LoginFailure, Membership
from relance.apps.workspace.selectors import THROTTLE_FAILURES, THROTTLE_WINDOW
from relance.domain.errors import InvalidInputError, NotFoundError


def _user_named(username: str) -> Any:
    user = get_user_model().objects.filter(username=username.strip()).first()
    if user is None:
        raise NotFoundError(f"no user {username!r}")
    return user


def _user_events(user: Any, kind: str, actor: str, **payload: Any) -> None:
    """One event per creditor the user is granted (the install's when none): each creditor's
    trail says who may act on it."""
    creditor_ids: list[int | None] = list(
        Membership.objects.filter(user=user).values_list("creditor_id", flat=True)
    )
    for creditor_id in creditor_ids or [None]:
        event_record(
            kind=kind, subject_type="user", subject_id=user.pk, creditor_id=creditor_id,
            payload={"username": user.get_username(), **payload}, actor=actor,
        )


def user_password_set(*, username: str, password: str, actor: str = "cli") -> AbstractBaseUser:
    """A new password, passing Django's validators; the user's open sessions end with it."""
    user = _user_named(username)
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise InvalidInputError("password refused: " + " ".join(exc.messages)) from exc
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        LoginFailure.objects.filter(username=user.get_username()).delete()
        _user_events(user, "workspace.user_password_changed", actor)
    return user  # type: ignore[no-any-return]


def user_disable(*, username: str, actor: str = "cli") -> AbstractBaseUser:
    """The user can no longer log in, to the workspace, the admin or the API (tokens included:
    ``token_user`` refuses an inactive user); its sessions end at their next request."""
    user = _user_named(username)
    with transaction.atomic():
        user.is_active = False
        user.save(update_fields=["is_active"])
        _user_events(user, "workspace.user_disabled", actor)
    return user  # type: ignore[no-any-return]


def user_revoke(*, username: str, creditor: Creditor, actor: str = "cli") -> None:
    """Remove the user's grant on ``creditor``: from the next request on it sees nothing of it."""
    user = _user_named(username)
    with transaction.atomic():
        membership = Membership.objects.filter(user=user, creditor=creditor).first()
        if membership is None:
            raise NotFoundError(f"user {username!r} has no grant on {creditor.name!r}")
        membership.delete()
        event_record(
            kind="workspace.user_revoked", subject_type="user", subject_id=user.pk,
            creditor_id=creditor.pk,
            payload={"username": user.get_username(), "role": membership.role}, actor=actor,
        )


# --- login throttling ---------------------------------------------------------------------------


def _throttle_lock(username: str, ip: str) -> None:
    """Serialise the attempts of one username and address: PostgreSQL by an advisory lock
    until the transaction ends; SQLite's transactions already take the write lock first."""
    if connection.vendor != "postgresql":
        return
    digest = hashlib.blake2b(f"login:{username}\0{ip}".encode(), digest_size=8).digest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest, "big", signed=True)])


def login_attempt_reserve(*, username: str, ip: str) -> bool:
    """Count one login attempt as a failure before the password is checked, unless
    THROTTLE_FAILURES are already counted in the window: then refuse (False) without checking.

    Counting first, under a lock, is what holds under concurrency: 40 simultaneous attempts
    get THROTTLE_FAILURES password checks, not one each because each saw the count below the
    limit. A success then clears them all (``login_failures_clear``)."""
    username, ip = username[:150], ip[:45]
    now = timezone.now()
    with transaction.atomic():
        _throttle_lock(username, ip)
        recent = LoginFailure.objects.filter(username=username, ip=ip, at__gte=now - THROTTLE_WINDOW)
        if recent.count() >= THROTTLE_FAILURES:
            return False
        LoginFailure.objects.create(username=username, ip=ip, at=now)
    # Old rows are of no use to the throttle; keep the table small as it goes.
    LoginFailure.objects.filter(at__lt=now - 4 * THROTTLE_WINDOW).delete()
    return True


def login_failures_clear(*, username: str, ip: str) -> None:
    LoginFailure.objects.filter(username=username[:150], ip=ip[:45]).delete()
