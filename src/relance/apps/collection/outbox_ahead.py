"""The outbox's next batch, written while the current one is sent (``relance.apps.collection.dispatch``).

Rendering a message (text, HTML, QR code, MIME, the stored copy) is most of its CPU, while
SMTP and the database make the outbox wait. ``RenderInline`` writes the next batch in the SMTP
round trips, in this process (the transport's ``idle``; never between a group's hand-over
commit and its final dots); ``RenderAhead`` writes it in a second process instead (with
``RELANCE_RENDER_AHEAD=1``). Either way the claim takes a message written ahead only if it was
written from the same context, template and Message-ID it rebuilds in its transaction: what
is written here is never trusted blindly, and a crash leaves at most unreferenced files. What
neither wrote, ``render_missing`` writes just before the claim: the claim itself never runs a
template, so no template holds its lock.

The outbox passes its own ``render`` and ``next_jobs``: this module knows nothing of actions.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from relance.channels.email_mime import PreparedEmail
from relance.channels.smtp import PermanentEmailError
from relance.documents.context import LetterContext
from relance.documents.templates import TemplateBudgetError
from relance.domain.errors import RelanceError


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    mail: PreparedEmail
    document: str
    sha256: str


Job = tuple[
    int, tuple[Any, ...], tuple[LetterContext, str, str, tuple[tuple[str, Path], ...], float]
]


@dataclass(frozen=True)
class RenderFailed:
    """A message that could not be written (a template refused or past its budget, an address
    missing): the claim fails its action with ``error`` instead of writing it again under its
    lock."""

    error: str
    budget: bool = False


Ahead = dict[int, tuple[tuple[Any, ...], "Rendered | RenderFailed | None"]]
Render = Callable[[LetterContext, str, str, tuple[tuple[str, Path], ...], float], Rendered]
"""The outbox's ``_render``: the message written and stored from its context, template,
Message-ID, invoice files and Date."""


def render_or_failure(render: Render, args: tuple[Any, ...]) -> Rendered | RenderFailed:
    """The message, or why it cannot be written; any other error is a bug and goes up."""
    try:
        return render(*args)
    except TemplateBudgetError as exc:
        return RenderFailed(str(exc), budget=True)
    except (PermanentEmailError, RelanceError, ValueError) as exc:
        return RenderFailed(str(exc))


def render_missing(jobs: list[Job], ahead: Ahead, render: Render) -> Ahead:
    """``ahead`` with every job it lacks (or holds from another context) written now, in this
    process and outside any transaction: the claim then takes a batch written in full, so its
    lock is never held while a template runs, and one creditor's slow template never keeps
    another's messages waiting on it."""
    done = dict(ahead)
    for pk, key, args in jobs:
        early = done.get(pk)
        if early is not None and early[1] is not None and early[0] == key:
            continue
        done[pk] = (key, render_or_failure(render, args))
    return done


def _render_loop(conn: Connection, parent_end: Connection, render: Render) -> None:
    """The render-ahead process: render each list of jobs it is sent, send the results back;
    stop when the dispatcher is gone (its end of the pipe closed, even by SIGKILL)."""
    parent_end.close()
    while True:
        try:
            jobs: list[Job] = conn.recv()
        except (EOFError, OSError):
            return
        out: list[tuple[int, tuple[tuple[Any, ...], Rendered | RenderFailed | None]]] = []
        for pk, key, args in jobs:
            try:
                out.append((pk, (key, render_or_failure(render, args))))
            except Exception:  # written again before the claim, which reports it
                out.append((pk, (key, None)))
        try:
            conn.send(out)
        except OSError:
            return


class RenderAhead:
    """A process that writes the next batch's messages while this one sends the current
    batch: rendering (text, HTML, QR code, MIME, the stored copy) is most of a message's CPU,
    and SMTP and the database wait. Nothing it writes is trusted blindly: the claim rebuilds
    each context in its transaction and takes the message written ahead only when it was
    written from the very same context, template and Message-ID (else it writes it again)."""

    def __init__(self, render: Render) -> None:
        ctx = multiprocessing.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_render_loop, args=(child, self.conn, render), daemon=True)
        self.proc.start()
        child.close()

    def submit(self, jobs: list[Job]) -> None:
        self.conn.send(jobs)

    def collect(self) -> Ahead:
        try:
            return dict(self.conn.recv())
        except (EOFError, OSError):
            return {}

    def close(self) -> None:
        self.conn.close()
        self.proc.join(timeout=10)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()


class RenderInline:
    """The next batch's messages written in this process while the transport waits for the
    server's replies (``Transport.send_group``'s ``idle``): one message per call, the first
    call reading what to write (``next_jobs``, the outbox's guess at its next claim). The server's round trips were a third of a
    message's time, the process idle in them; now they hold the next batch's rendering. As
    with the render-ahead process, the claim takes a message only if it rebuilds the same
    context, template and Message-ID, and a crash leaves at most unreferenced files: the
    transport never calls this between a group's hand-over commit and its final dots."""

    def __init__(self, render: Render, next_jobs: Callable[[], list[Job]]) -> None:
        self.render, self.next_jobs = render, next_jobs
        self.jobs: list[Job] | None = None
        self.done: Ahead = {}

    def __call__(self) -> bool:
        if self.jobs is None:
            try:
                self.jobs = self.next_jobs()[::-1]
            except Exception:  # read again by the claim, which reports what is wrong
                self.jobs = []
            return bool(self.jobs)
        if not self.jobs:
            return False
        pk, key, args = self.jobs.pop()
        try:
            self.done[pk] = (key, render_or_failure(self.render, args))
        except Exception:  # written again before the claim, which reports what is wrong
            self.done[pk] = (key, None)
        return True

    @property
    def complete(self) -> bool:
        """Every message of the guessed next batch written (or found unwritable)."""
        return self.jobs is not None and not self.jobs
