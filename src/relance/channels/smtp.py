"""E-mail delivery: the SMTP and file transports behind ``RELANCE_EMAIL_URL``.

URLs: ``smtp://host:port`` (plain), ``smtp+starttls://user:pass@host:587``,
``smtps://user:pass@host:465`` (TLS from the start), ``file:///DIR`` (one ``.eml`` per message,
named after its Message-ID; the demo's default). SMTP URLs take ``?connections=N``: how many
connections, hence messages, make one group (default 8; 1 sends one message at a time).

Exactly once. SMTP has no idempotency, so the only sound place to decide "sent" is the end of
the DATA phase: a server keeps a message only once it has read the final ``.`` line; a
connection that drops before it discards the message. ``SmtpTransport.send_group`` therefore
writes each message of a group (one per connection) up to the final dot, then calls
``before_commit(ready)`` once (the caller records, durably, that those messages are handed
over, and returns the ones it recorded), and only then writes their final dots. A crash
before the callback leaves nothing on the server and nothing recorded: the messages are sent
again. A crash after it leaves a record that says "handed over": they are never sent again.
The one window left — the callback has returned but the final dots were not all written —
may lose messages rather than duplicate them; it lasts one ``send()`` system call per message
of the group, back to back, with no network round trip in it. So the caller counts a message
sent only once it has read the server's 250 to its dot; one handed over without that reply
is "uncertain" (``UncertainDeliveryError``, or the caller's recovery after a crash). Grouping
is what makes this cheap: one durable commit (a WAL flush, milliseconds on PostgreSQL) serves
the whole group.
The file transport has no such window: each file is renamed (atomically) to its Message-ID
*before* the callback, so writing it again after a crash is writing once.

Deadlines (``SmtpLimits``, ``limit``): connecting waits ``connect`` seconds, each reply
``command`` seconds, never past the run's deadline; after ``breaker`` connection failures or
timeouts in a row, or past the deadline, the transport tries nothing more (``stopped``) and
the messages it did not try are ``NotTried``: the caller puts them back in the queue.

Must not import ``relance.apps``.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import smtplib
import socket
import ssl
import tempfile
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from relance.channels.email_mime import PreparedEmail
from relance.domain.errors import ConfigurationError


class TemporaryEmailError(Exception):
    """Worth trying again later (connection refused, 4xx reply)."""


class RefusedForNowError(TemporaryEmailError):
    """The server answered 4xx (greylisting, a full mailbox, a busy server): worth trying
    again within the run, after a short wait."""


class UnreachableError(TemporaryEmailError):
    """No connection, or no answer in time: counts towards the circuit breaker."""


class NotTried(Exception):
    """Never tried: the run's deadline passed, or the circuit breaker opened. The message
    goes back to the queue as if it had never been taken."""


@dataclass(frozen=True)
class SmtpLimits:
    """How long the SMTP transport waits, and when it stops trying (``RELANCE_SMTP_*``).

    ``connect``: seconds to connect and read the greeting; ``command``: seconds for any one
    reply; ``breaker``: consecutive connection failures or timeouts after which the run stops
    trying this server. (A 4xx reply is tried again within the run by the caller, which knows
    the messages: ``RefusedForNowError``.)"""

    connect: float = 10.0
    command: float = 30.0
    breaker: int = 3


class PermanentEmailError(Exception):
    """Will fail again (5xx reply, recipient refused)."""


class UncertainDeliveryError(Exception):
    """The connection broke after the message was handed over, before the server's reply:
    maybe received, maybe not. Never resent, never counted as sent: a person decides."""


class Withdrawn(Exception):
    """The caller did not hand this message over: its connection was closed before the final
    dot, so the server discarded it."""


class Deferred(Exception):
    """Not tried: the server took fewer connections than the group needed (the group size
    shrinks to what it accepted). Send it again at once, in a later group."""


Outcome = Exception | None
"""Per message of a group: None (the server accepted it) or what went wrong."""


Idle = Callable[[], bool]
"""Work the caller does while the transport waits for the server: one small piece per call,
False once there is nothing left to do."""


class Transport(Protocol):
    group_size: int

    def limit(self, deadline: float | None) -> None:
        """Stop at ``deadline`` (``time.monotonic()``): what is not tried by then is
        ``NotTried``, and no wait runs past it."""
        ...

    def stopped(self) -> str:
        """Why the transport tries nothing more this run: "deadline" (the run's time for
        sending is over), "breaker" (the server failed too many times in a row), or "" while
        it still tries."""
        ...

    def send_group(
        self,
        mails: Sequence[PreparedEmail],
        *,
        before_commit: Callable[[list[int]], Collection[int]],
        idle: Idle | None = None,
    ) -> list[Outcome]: ...

    def close(self) -> None: ...


def _timed_out(exc: BaseException) -> bool:
    """A timeout, even as smtplib rewrites it (``SMTPServerDisconnected`` from ``TimeoutError``)."""
    return isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError)


_LEADING_DOT = re.compile(rb"(?m)^\.")
_ADDRESS = re.compile(r"[!-;=?-~]+")  # printable ASCII without spaces, < or >
SMTP_CONNECTIONS = 8


class SmtpTransport:
    """A group of up to ``connections`` messages at a time, one per connection; connections
    are reused and reopened when the server drops them.

    ``send_group`` writes each message of the group on its own connection up to the final
    dot, calls ``before_commit(ready)`` once with the indexes of the messages written (the
    caller records, durably, the hand-over of those it returns), then writes the final dots
    of the handed-over ones back to back and reads the replies. One durable commit per group
    instead of per message; the window between the commit and the dots is one ``send()``
    per message of the group, with no round trip in it.

    ``idle``, when given, is called while the group waits for the server's replies (after
    each command written on every connection, and after the final dots), until a reply is
    there on every connection or it has nothing left to do: the caller's work fills the
    round trips instead of adding to them. Never between ``before_commit`` and the last final
    dot: that window stays a few system calls long."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        mode: str = "plain",
        username: str = "",
        password: str = "",
        limits: SmtpLimits | None = None,
        connections: int = SMTP_CONNECTIONS,
    ) -> None:
        self.host, self.port, self.mode = host, port, mode
        self.username, self.password = username, password
        self.limits = limits or SmtpLimits()
        self.group_size = max(1, connections)
        self._pool: list[smtplib.SMTP | None] = [None] * self.group_size
        self.deadline: float | None = None
        self._failures = 0  # consecutive connection failures and timeouts

    def limit(self, deadline: float | None) -> None:
        self.deadline = deadline

    def stopped(self) -> str:
        if self._failures >= self.limits.breaker:
            return "breaker"
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return "deadline"
        return ""

    def _not_tried(self, why: str) -> NotTried:
        if why == "breaker":
            return NotTried(
                f"{self.host}:{self.port} failed {self._failures} times in a row: "
                "no more tries this run"
            )
        return NotTried("the run's time for sending e-mail is over")

    def _timeout(self, seconds: float) -> float:
        """``seconds``, cut to what is left before the deadline (never less than a moment)."""
        if self.deadline is None:
            return seconds
        return max(0.01, min(seconds, self.deadline - time.monotonic()))

    def _failed(self) -> None:
        self._failures += 1

    def _connect(self, slot: int) -> smtplib.SMTP:
        existing = self._pool[slot]
        if existing is not None:
            return existing
        why = self.stopped()
        if why:
            raise self._not_tried(why)
        timeout = self._timeout(self.limits.connect)
        try:
            if self.mode == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=timeout)
                if self.mode == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
            # The final dot is a small write right after the message: without NODELAY, Nagle's
            # algorithm holds it until the server's delayed ACK (about 40 ms per message).
            if smtp.sock is not None:
                smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            smtp.ehlo_or_helo_if_needed()
            if self.username:
                smtp.login(self.username, self.password)
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentEmailError(
                f"SMTP login refused: {exc.smtp_code} {exc.smtp_error!r}"
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            self._failed()
            raise UnreachableError(f"cannot connect to {self.host}:{self.port}: {exc}") from exc
        self._failures = 0
        if smtp.sock is not None:  # from now on, each reply waits a command's time at most
            smtp.sock.settimeout(self._timeout(self.limits.command))
        self._pool[slot] = smtp
        return smtp

    def _arm(self) -> None:
        """Each pooled connection waits at most a command's time, and never past the deadline."""
        timeout = self._timeout(self.limits.command)
        for smtp in self._pool:
            if smtp is not None and smtp.sock is not None:
                smtp.sock.settimeout(timeout)

    def close(self) -> None:
        for slot, smtp in enumerate(self._pool):
            if smtp is not None:
                with contextlib.suppress(Exception):
                    smtp.quit()
                self._pool[slot] = None

    def _drop(self, slot: int) -> None:
        # Closing the socket before the final dot makes the server discard the message.
        smtp = self._pool[slot]
        if smtp is not None:
            with contextlib.suppress(Exception):
                smtp.close()
            self._pool[slot] = None

    def _await_replies(self, slots: Collection[int], idle: Idle | None) -> None:
        """Let ``idle`` work until a reply (or an error) waits on each of ``slots``."""
        if idle is None:
            return
        poller = select.poll()
        count = 0
        for slot in slots:
            smtp = self._pool[slot]
            if smtp is not None and smtp.sock is not None:
                poller.register(smtp.sock, select.POLLIN)
                count += 1
        while count and len(poller.poll(0)) < count and idle():
            pass

    def _start_all(
        self, mails: Sequence[PreparedEmail], outcomes: list[Outcome], idle: Idle | None = None
    ) -> list[int]:
        """Everything of each message but the final dot, each on its own connection, the
        connections in step (one command out on each, then the replies): the slots ready."""
        steps: dict[int, list[tuple[str, str, tuple[int, ...], str]]] = {}
        for slot, mail in enumerate(mails):
            if slot >= self.group_size:
                outcomes[slot] = Deferred(
                    f"the server takes {self.group_size} connections at a time"
                )
                continue
            try:
                for address in (mail.sender, *mail.recipients):
                    if not _ADDRESS.fullmatch(address):
                        raise PermanentEmailError(f"not an address SMTP can carry: {address!r}")
                self._connect(slot)
            except NotTried as exc:
                outcomes[slot] = exc
                continue
            except TemporaryEmailError as exc:
                if any(c is not None for c in self._pool[:slot]):
                    # Some servers limit connections per client: use the ones it accepted.
                    self.group_size = slot
                    outcomes[slot] = Deferred(str(exc))
                else:
                    outcomes[slot] = exc
                continue
            except PermanentEmailError as exc:
                outcomes[slot] = exc
                continue
            # MAIL and RCPT written directly: ``smtp.mail``/``rcpt`` re-parse each address.
            steps[slot] = [
                ("mail", f"FROM:<{mail.sender}>", (250,), "sender"),
                *(
                    ("rcpt", f"TO:<{rcpt}>", (250, 251), f"recipient {rcpt}")
                    for rcpt in mail.recipients
                ),
                ("data", "", (354,), "DATA"),
            ]
        for n in range(max((len(s) for s in steps.values()), default=0)):
            turn = [slot for slot in steps if n < len(steps[slot])]
            for slot in turn:
                cmd, arg, _, _ = steps[slot][n]
                self._io(slot, outcomes, steps, partial(smtplib.SMTP.putcmd, cmd=cmd, args=arg))
            self._await_replies([slot for slot in turn if slot in steps], idle)
            for slot in turn:
                if slot not in steps:
                    continue
                _, _, ok, what = steps[slot][n]
                reply = self._io(slot, outcomes, steps, smtplib.SMTP.getreply)
                if reply is not None:
                    self._failures = 0
                if reply is not None and reply[0] not in ok:
                    outcomes[slot] = self._refused(slot, reply[0], reply[1], what)
                    del steps[slot]
        for slot, mail in enumerate(mails):
            if slot in steps:
                data = _LEADING_DOT.sub(b"..", mail.data)
                if not data.endswith(b"\r\n"):
                    data += b"\r\n"
                self._io(slot, outcomes, steps, partial(smtplib.SMTP.send, s=data))
        return list(steps)

    def _io(
        self,
        slot: int,
        outcomes: list[Outcome],
        steps: dict[int, Any],
        call: Callable[[smtplib.SMTP], Any],
    ) -> Any:
        """``call`` on the slot's connection; a broken connection is dropped and its message
        marked for a later try."""
        try:
            return call(self._pool[slot])  # type: ignore[arg-type]
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self._drop(slot)
            if _timed_out(exc):
                self._failed()
                outcomes[slot] = UnreachableError(f"no answer in time: {exc}")
            else:
                outcomes[slot] = TemporaryEmailError(f"connection lost: {exc}")
            steps.pop(slot, None)
            return None

    def send_group(
        self,
        mails: Sequence[PreparedEmail],
        *,
        before_commit: Callable[[list[int]], Collection[int]],
        idle: Idle | None = None,
    ) -> list[Outcome]:
        if len(mails) > self.group_size:
            raise ValueError(f"at most {self.group_size} messages at a time")
        outcomes: list[Outcome] = [None] * len(mails)
        why = self.stopped()
        if why:
            return [self._not_tried(why) for _ in mails]
        self._arm()
        ready = self._start_all(mails, outcomes, idle)
        if not ready:
            return outcomes
        try:
            handed = set(before_commit(ready))
        except BaseException:
            for slot in ready:
                self._drop(slot)
            raise
        dotted = []
        for slot in ready:
            if slot not in handed:
                self._drop(slot)
                outcomes[slot] = Withdrawn("not handed over: discarded by the server")
                continue
            try:
                self._pool[slot].send(b".\r\n")  # type: ignore[union-attr]
            except (OSError, smtplib.SMTPServerDisconnected) as exc:
                self._drop(slot)
                # Past the point of no return: the caller has recorded the hand-over.
                outcomes[slot] = UncertainDeliveryError(
                    f"connection lost after the message was handed over: {exc}"
                )
            else:
                dotted.append(slot)
        self._await_replies(dotted, idle)  # every dot written: the messages are the server's
        for slot in dotted:
            try:
                code, reply = self._pool[slot].getreply()  # type: ignore[union-attr]
            except (OSError, smtplib.SMTPServerDisconnected) as exc:
                self._drop(slot)
                if _timed_out(exc):
                    self._failed()
                outcomes[slot] = UncertainDeliveryError(
                    f"no reply after the message was handed over: {exc}"
                )
                continue
            self._failures = 0
            if code != 250:
                outcomes[slot] = (
                    RefusedForNowError if 400 <= code < 500 else PermanentEmailError
                )(f"message refused after DATA: {code} {reply.decode(errors='replace')}")
        return outcomes

    def _refused(self, slot: int, code: int, reply: bytes, what: str) -> Exception:
        """The error for a refusal; the connection is reset for the next message, or dropped."""
        try:
            if code == 421:  # the server is closing the connection
                raise smtplib.SMTPServerDisconnected(reply)
            self._pool[slot].rset()  # type: ignore[union-attr]
        except (OSError, smtplib.SMTPException):
            self._drop(slot)
        text = f"{what} refused: {code} {reply.decode(errors='replace')}"
        return (RefusedForNowError if 400 <= code < 500 else PermanentEmailError)(text)


class FileTransport:
    """Writes ``<Message-ID>.eml`` files into a folder (atomic rename; idempotent by name)."""

    group_size = 50

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def limit(self, deadline: float | None) -> None:
        return None

    def stopped(self) -> str:
        return ""

    @staticmethod
    def filename(message_id: str) -> str:
        return re.sub(r"[^A-Za-z0-9._-]", "_", message_id.strip("<>")) + ".eml"

    def _write(self, mail: PreparedEmail) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(mail.data)
                out.flush()
                os.fsync(out.fileno())
            # Written under its final name first: sending again after a crash rewrites the same file.
            os.replace(tmp, self.folder / self.filename(mail.message_id))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def send_group(
        self,
        mails: Sequence[PreparedEmail],
        *,
        before_commit: Callable[[list[int]], Collection[int]],
        idle: Idle | None = None,
    ) -> list[Outcome]:
        self.folder.mkdir(parents=True, exist_ok=True)
        for mail in mails:
            self._write(mail)
        handed = set(before_commit(list(range(len(mails)))))
        # A withdrawn file stays: whoever sends the message instead writes the same name.
        return [None if n in handed else Withdrawn("not handed over") for n in range(len(mails))]

    def close(self) -> None:
        return None


def transport_from_url(url: str, limits: SmtpLimits | None = None) -> Transport:
    parts = urlsplit(url)
    if parts.scheme == "file":
        return FileTransport(Path(unquote(parts.path)))
    modes = {"smtp": ("plain", 25), "smtp+starttls": ("starttls", 587), "smtps": ("ssl", 465)}
    if parts.scheme not in modes or not parts.hostname:
        raise ConfigurationError(
            f"RELANCE_EMAIL_URL {url!r}: use smtp://host:port, smtp+starttls://user:pass@host:587, "
            "smtps://user:pass@host:465 or file:///folder"
        )
    mode, default_port = modes[parts.scheme]
    query = parse_qs(parts.query)
    connections = query.get("connections", [str(SMTP_CONNECTIONS)])[0]
    if not connections.isdigit() or int(connections) < 1:
        raise ConfigurationError(
            f"RELANCE_EMAIL_URL {url!r}: connections must be a whole number, at least 1"
        )
    return SmtpTransport(
        host=parts.hostname,
        port=parts.port or default_port,
        mode=mode,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        limits=limits,
        connections=int(connections),
    )
