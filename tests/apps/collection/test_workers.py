"""Workers on the task queue, for real: Redis, ``relance worker`` processes, aiosmtpd.

Each case seeds a fresh database (a SQLite file, or a PostgreSQL database ``relance_celery_*``)
that the worker processes share with this one, queues the day's pass with ``relance run
--queue`` on the Redis at ``RELANCE_TEST_REDIS_URL`` (db 11 by default) under a key prefix of
its own (so runs side by side never see each other's tasks; its keys are deleted afterwards),
and counts the messages an aiosmtpd in this process receives, by Message-ID. Nothing waits a
fixed time: each step is polled for, with a generous deadline.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import email
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from relance.apps.collection.dispatch import BATCH
from tests.environment import TEST_SECRET_KEY

REPO = Path(__file__).resolve().parents[3]
AS_OF = "2026-03-05"
REDIS_URL = os.environ.get("RELANCE_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
DEADLINE = 240.0  # seconds: a shared 2-core machine may be slow; a pass here takes a few
SEED = """
import os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relance.config.settings")
django.setup()
from datetime import date
from tests.factories import CreditorFactory, DebtorFactory, InvoiceFactory
c = CreditorFactory(email="recouvrement@creancier.example")
for n in range({debtors}):
    d = DebtorFactory(creditor=c, email=f"client{{n}}@example.org", language="en" if n % 2 else "fr")
    InvoiceFactory(debtor=d, creditor=c, issue_date=date(2026, 1, 31), due_date=date(2026, 3, 2))
"""

aiosmtpd = pytest.importorskip("aiosmtpd.controller")
redis = pytest.importorskip("redis")
ON_POSTGRES = os.environ.get("RELANCE_DATABASE_URL", "").startswith("postgres")


class Counting:
    """Counts messages by Message-ID. With ``meet=2``, the first messages wait (20 s at most,
    under the client's 30 s) until two connections are delivering at once: each worker sends
    over one connection, so both workers are then sending at the same time."""

    def __init__(self, *, meet: int = 0) -> None:
        self.ids: collections.Counter[str] = collections.Counter()
        self.meet = meet
        self.peers: set[Any] = set()
        self.met = asyncio.Event()

    async def handle_DATA(self, server, session, envelope):
        self.ids[email.message_from_bytes(envelope.content)["Message-ID"]] += 1
        if self.meet and not self.met.is_set():
            self.peers.add(session.peer)
            if len(self.peers) >= self.meet:
                self.met.set()
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.met.wait(), timeout=20)
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _smtp(handler: Counting) -> Iterator[tuple[Counting, int]]:
    controller = aiosmtpd.Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


@pytest.fixture
def smtp_server():
    yield from _smtp(Counting())


@pytest.fixture
def smtp_meeting():
    yield from _smtp(Counting(meet=2))


@pytest.fixture
def broker() -> Iterator[str]:
    """A key prefix of this test's own on the test Redis; its keys are deleted afterwards."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        message = f"no Redis at {REDIS_URL} ({exc})"
        if os.environ.get("RELANCE_REQUIRE_REDIS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    prefix = f"relance-test-{uuid.uuid4().hex[:12]}:"
    try:
        yield prefix
    finally:
        for key in client.scan_iter(match=f"{prefix}*"):
            client.delete(key)
        client.close()


def _database(kind: str, tmp_path: Path) -> tuple[str, Callable[[], None] | None]:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'workers.sqlite3'}", None
    import psycopg

    server = os.environ["RELANCE_DATABASE_URL"].rsplit("/", 1)[0]
    name = f"relance_celery_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{server}/{name}", drop


def _sent(url: str) -> list[tuple[str, str]]:
    """(message_id, claimed_by) of each e-mail action recorded as sent."""
    sql = "SELECT message_id, claimed_by FROM collection_action WHERE channel = 'email' AND state = 'sent'"
    if url.startswith("sqlite:"):
        with sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30) as conn:
            return [tuple(r) for r in conn.execute(sql)]
    import psycopg

    with psycopg.connect(url) as conn:
        return [tuple(r) for r in conn.execute(sql)]


def _relance(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "relance.cli", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


class Worker:
    """``relance worker`` in a child process, its output in a log file."""

    def __init__(self, env: dict[str, str], log: Path, *args: str) -> None:
        self.log = log
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "relance.cli", "worker", "--loglevel", "INFO", *args],
                env=env,
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, pattern: str, what: str) -> None:
        deadline = time.monotonic() + DEADLINE
        while not re.search(pattern, self.text()):
            if self.proc.poll() is not None:
                pytest.fail(
                    f"the worker stopped ({self.proc.returncode}) before {what}:\n{self.text()[-4000:]}"
                )
            if time.monotonic() > deadline:
                pytest.fail(f"no {what} within {DEADLINE:.0f} s:\n{self.text()[-4000:]}")
            time.sleep(0.2)

    def ready(self) -> Worker:
        self.wait_for(r"\bready\.", "ready")
        return self

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Setup:
    def __init__(
        self, kind: str, tmp_path: Path, prefix: str, smtp_port: int, *, connections: int = 8
    ) -> None:
        self.tmp_path = tmp_path
        self.url, self._drop = _database(kind, tmp_path)
        self.env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("RELANCE_TEST_", "RELANCE_BROKER_", "RELANCE_TASK_"))
            },
            "RELANCE_DATABASE_URL": self.url,
            "RELANCE_HOME": str(tmp_path),
            "RELANCE_SECRET_KEY": TEST_SECRET_KEY,
            "RELANCE_EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}?connections={connections}",
            "RELANCE_BROKER_URL": REDIS_URL,
            "RELANCE_BROKER_PREFIX": prefix,
            "PYTHONPATH": str(REPO),
        }
        self.workers: list[Worker] = []

    def seed(self, debtors: int) -> None:
        init = _relance(self.env, "init")
        assert init.returncode == 0, init.stderr
        seeded = subprocess.run(
            [sys.executable, "-c", SEED.format(debtors=debtors)],
            env=self.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        assert seeded.returncode == 0, seeded.stderr

    def worker(self, *args: str, env: dict[str, str] | None = None) -> Worker:
        n = len(self.workers) + 1
        w = Worker(
            {**self.env, **(env or {})},
            self.tmp_path / f"worker{n}.log",
            "--name",
            f"w{n}-{uuid.uuid4().hex[:6]}@%h",
            *args,
        )
        self.workers.append(w)
        return w

    def queue(self, *args: str) -> list[str]:
        out = _relance(self.env, "run", "--queue", "--as-of", AS_OF, "--json", *args)
        assert out.returncode == 0, out.stderr
        queued = json.loads(out.stdout)["queued"]
        assert len(queued) == 1
        return [q["task_id"] for q in queued]

    def wait_sent(self, count: int) -> list[tuple[str, str]]:
        deadline = time.monotonic() + DEADLINE
        while len(sent := _sent(self.url)) < count:
            if time.monotonic() > deadline:
                logs = "\n".join(w.text()[-3000:] for w in self.workers)
                pytest.fail(f"{len(sent)} of {count} sent within {DEADLINE:.0f} s:\n{logs}")
            time.sleep(0.5)
        return sent

    def close(self) -> None:
        for w in self.workers:
            w.stop()
        if self._drop is not None:
            self._drop()


@pytest.fixture
def setup(request, tmp_path, broker) -> Iterator[Callable[..., Setup]]:
    made: list[Setup] = []

    def make(kind: str, smtp_port: int, **kw: Any) -> Setup:
        if kind == "sqlite" and ON_POSTGRES:
            pytest.skip("the SQLite-file case ran in the SQLite pass")
        made.append(Setup(kind, tmp_path, broker, smtp_port, **kw))
        return made[-1]

    yield make
    for s in made:
        s.close()


DATABASES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgresql", marks=pytest.mark.postgres),
]


@pytest.mark.slow
@pytest.mark.parametrize("kind", DATABASES)
def test_a_queued_daily_pass_runs_in_a_worker_and_its_messages_arrive(kind, setup, smtp_server):
    handler, port = smtp_server
    s = setup(kind, port)
    s.seed(debtors=6)
    worker = s.worker("--concurrency", "2").ready()  # the default pool: a process per task
    (task_id,) = s.queue()
    assert re.fullmatch(r"[0-9a-f-]{36}", task_id)
    sent = s.wait_sent(6)
    worker.wait_for(rf"relance\.creditor_pass\[{task_id}\] succeeded", "the pass's success")
    assert len(handler.ids) == 6, handler.ids
    assert set(handler.ids.values()) == {1}, handler.ids
    assert {m for m, _ in sent} == set(handler.ids)


@pytest.mark.slow
@pytest.mark.parametrize("kind", DATABASES)
def test_two_workers_draining_one_outbox_send_each_message_once(kind, setup, smtp_meeting):
    handler, port = smtp_meeting
    debtors = BATCH + 10  # two claims at least
    s = setup(kind, port, connections=1)  # one connection per worker: a peer is a worker
    s.seed(debtors=debtors)
    first, second = s.worker("--pool", "solo"), s.worker("--pool", "solo")
    first.ready(), second.ready()
    s.queue("--dispatchers", "2")
    sent = s.wait_sent(debtors)
    assert handler.met.is_set(), "the two workers never sent at the same time"
    assert len(handler.ids) == debtors
    assert set(handler.ids.values()) == {1}, [m for m, n in handler.ids.items() if n > 1]
    assert {m for m, _ in sent} == set(handler.ids)
    owners = {int(owner.rpartition(":")[2]) for _, owner in sent}
    assert owners == {first.pid, second.pid}


@pytest.mark.slow
@pytest.mark.parametrize("kind", DATABASES)
def test_a_worker_killed_mid_dispatch_leaves_its_task_to_another_that_sends_each_once(
    kind, setup, smtp_server
):
    """Killed while writing its third message: the first group of two arrived, the second was
    discarded by the server; the next worker sends the last four, and the first two not again.
    (The kill at every other point is tests/apps/collection/test_exactly_once.py's.)"""
    handler, port = smtp_server
    s = setup(kind, port, connections=2)  # groups of two messages
    s.seed(debtors=6)
    # The solo pool runs the task in the worker's own process: the whole worker dies.
    killed = s.worker(
        "--pool",
        "solo",
        env={
            "RELANCE_TEST_KILL_AT": "during_smtp",
            "RELANCE_TEST_KILL_NTH": "3",
        },
    ).ready()
    (task_id,) = s.queue()
    assert killed.proc.wait(timeout=DEADLINE) == -signal.SIGKILL, killed.text()[-3000:]
    assert sum(handler.ids.values()) == 2
    # Nobody acknowledged the task: Redis hands it to the next worker once it is older than
    # the visibility timeout, short here (the solo pool has no time limit to exceed).
    again = s.worker(
        "--pool",
        "solo",
        env={
            "RELANCE_BROKER_VISIBILITY_TIMEOUT": "3",
            "RELANCE_TASK_TIME_LIMIT": "2",
        },
    ).ready()
    again.wait_for(rf"relance\.creditor_pass\[{task_id}\] succeeded", "the same task run again")
    sent = s.wait_sent(6)
    assert len(handler.ids) == 6, handler.ids
    assert set(handler.ids.values()) == {1}, handler.ids
    assert {m for m, _ in sent} == set(handler.ids)


@pytest.mark.slow
@pytest.mark.parametrize("kind", DATABASES)
def test_a_pool_process_killed_mid_dispatch_has_its_task_run_again_and_sends_each_once(
    kind, setup, smtp_server
):
    """The default pool: the process running the task dies after four messages went out; the
    worker puts the task back at once (acks_late, reject_on_worker_lost) and a new process
    runs it again, which sends the last two."""
    handler, port = smtp_server
    s = setup(kind, port, connections=2)
    s.seed(debtors=6)
    worker = s.worker(
        "--concurrency",
        "1",
        env={
            "RELANCE_TEST_KILL_AT": "after_smtp",
            "RELANCE_TEST_KILL_NTH": "3",
        },
    ).ready()
    (task_id,) = s.queue()
    worker.wait_for(r"WorkerLostError|exited with 'signal 9", "the pool process's death")
    worker.wait_for(rf"relance\.creditor_pass\[{task_id}\] succeeded", "the task run again")
    sent = s.wait_sent(6)
    assert worker.proc.poll() is None
    assert len(handler.ids) == 6, handler.ids
    assert set(handler.ids.values()) == {1}, handler.ids
    assert {m for m, _ in sent} == set(handler.ids)
