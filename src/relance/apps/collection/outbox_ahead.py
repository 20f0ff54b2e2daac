"""The outbox's next batch, written while the current one is sent (``relance.apps.collection.dispatch``).

Rendering a message (text, HTML, QR code, MIME, the stored copy) is most of its CPU, while
SMTP and the database make the outbox wait. ``RenderInline`` writes the next batch in the SMTP
round trips, in this process (the transport's ``idle``; never between a group's hand-over
commit and its final dots); ``RenderAhead`` writes it in a second process instead (with
``RELANCE_RENDER_AHEAD=1``). Either way the claim takes a message written ahead only if it was
written from the same context, template and Message-ID it rebuilds in its transaction: what
is written here is never trusted blindly, and a crash leaves at most unreferenced files.

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
from relance.documents.context import LetterContext


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
Ahead = dict[int, tuple[tuple[Any, ...], "Rendered | None"]]
Render = Callable[[LetterContext, str, str, tuple[tuple[str, Path], ...], float], Rendered]
"""The outbox's ``_render``: the message written and stored from its context, template,
Message-ID, invoice files and Date."""


def _render_loop(conn: Connection, parent_end: Connection, render: Render) -> None:
    """The render-ahead process: render each list of jobs it is sent, send the results back;
    stop when the dispatcher is gone (its end of the pipe closed, even by SIGKILL)."""
    parent_end.close()
    while True:
        try:
            jobs: list[Job] = conn.recv()
        except (EOFError, OSError):
            return
        out: list[tuple[int, tuple[tuple[Any, ...], Rendered | None]]] = []
        for pk, key, args in jobs:
            try:
                out.append((pk, (key, render(*args))))
            except Exception:
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
            self.done[pk] = (key, self.render(*args))
        except Exception:  # written again by the claim, which reports what is wrong
            self.done[pk] = (key, None)
        return True
