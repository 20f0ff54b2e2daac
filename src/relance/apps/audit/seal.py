"""What makes the audit trail hold against someone who can write to the database: a key that is
not in it, and checkpoints of the chain's head that are not in it either.

- The key (``audit_key``): ``RELANCE_AUDIT_KEY`` (at least 32 characters) or, without it, a
  random key made once into ``RELANCE_HOME/var/audit_key``, readable by its owner only (0600).
  Each event's hash is an HMAC-SHA256 under it: whoever rewrites an event and recomputes the
  hashes without the key makes a chain ``relance audit verify`` refuses. Keep a copy of the key
  apart from the database's backups: without it no event can be verified.
- The checkpoints (``checkpoint_append``): after each commit that adds events, one line
  ``{"id", "hash", "mac"}`` is appended to ``RELANCE_AUDIT_CHECKPOINTS`` (default
  ``RELANCE_HOME/var/audit_checkpoints``), the mac covering the line under the same key. The
  verifier checks every line against the events: deleting the chain's tail together with its
  head row leaves a checkpoint naming an event that is gone. Put the file on storage the
  database's users cannot rewrite (another host, ``chattr +a``).

Reads settings and files only: no model, no other app.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from relance.domain.errors import ConfigurationError

KEY_MIN_LENGTH = 32


def _key_file() -> Path:
    return Path(settings.VAR_DIR) / "audit_key"


_cache: dict[tuple[str, str], bytes] = {}


def audit_key() -> bytes:
    """The key the events are signed with (see the module docstring), made at first use."""
    env = os.environ.get("RELANCE_AUDIT_KEY", "")
    path = _key_file()
    found = _cache.get((env, str(path)))
    if found is not None:
        return found
    if env:
        if len(env) < KEY_MIN_LENGTH:
            raise ConfigurationError(
                f"RELANCE_AUDIT_KEY must be at least {KEY_MIN_LENGTH} characters long"
            )
        key = env.encode()
    else:
        key = _key_from_file(path)
    _cache[(env, str(path))] = key
    return key


def _key_from_file(path: Path) -> bytes:
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        import secrets

        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under another name, then linked in place: a process killed half-way
        # leaves no empty key behind, and of two processes the first link wins.
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            with contextlib.suppress(FileExistsError):  # another process made it first
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return _key_from_file(path)
    if len(text) < KEY_MIN_LENGTH:
        raise ConfigurationError(
            f"the audit key in {path} is shorter than {KEY_MIN_LENGTH} characters"
        )
    return text.encode()


def mac(body: bytes) -> str:
    return hmac.new(audit_key(), body, hashlib.sha256).hexdigest()


def checkpoints_file() -> Path:
    return Path(settings.AUDIT_CHECKPOINTS)


def _line_mac(event_id: int, digest: str) -> str:
    return mac(f"checkpoint:{event_id}:{digest}".encode())


def checkpoint_append(event_id: int, digest: str) -> None:
    """Append the chain's head after a commit (opened O_APPEND: lines of concurrent writers
    never mix; the order of lines does not matter to the verifier)."""
    path = checkpoints_file()
    line = json.dumps(
        {"id": event_id, "hash": digest, "mac": _line_mac(event_id, digest)},
        separators=(",", ":"),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Checkpoint:
    line: int
    event_id: int
    digest: str
    valid: bool  # its mac is right


def checkpoints_read() -> Iterator[Checkpoint]:
    path = checkpoints_file()
    if not path.exists():
        return
    with path.open(encoding="utf-8", errors="replace") as fh:
        for number, text in enumerate(fh, start=1):
            if not text.strip():
                continue
            try:
                data = json.loads(text)
                event_id, digest, given = int(data["id"]), str(data["hash"]), str(data["mac"])
            except (ValueError, KeyError, TypeError):
                yield Checkpoint(number, 0, "", False)
                continue
            valid = hmac.compare_digest(given, _line_mac(event_id, digest))
            yield Checkpoint(number, event_id, digest, valid)
