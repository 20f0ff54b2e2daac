"""Exactly once, for real: a dispatch process SIGKILLed at each point, a real SMTP server.

Each case seeds a fresh database (a SQLite file, or a PostgreSQL database), starts aiosmtpd in
a thread of this process counting messages by Message-ID, runs ``relance run`` in a child
process that kills itself (``os.kill(getpid(), SIGKILL)``) at the chosen point of the n-th
message, then runs ``relance run`` again and checks every due message arrived exactly once.
Messages go in batches of ``BATCH`` and, within a batch, in groups of ``SMTP_CONNECTIONS``
handed over together; the last cases queue several batches and kill in the middle of one.
"""

from __future__ import annotations

import collections
import email
import json
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from relance.apps.collection.dispatch import BATCH
from relance.channels.smtp import SMTP_CONNECTIONS
from tests.environment import TEST_SECRET_KEY

REPO = Path(__file__).resolve().parents[3]
DEBTORS = 6
AS_OF = "2026-03-05"
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


class CountingHandler:
    def __init__(self) -> None:
        self.ids: collections.Counter[str] = collections.Counter()

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content)
        self.ids[msg["Message-ID"]] += 1
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server():
    handler = CountingHandler()
    controller = aiosmtpd.Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield handler, controller.port
    controller.stop()


def _database(kind: str, tmp_path: Path) -> tuple[str, object]:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'crash.sqlite3'}", None
    import psycopg

    server = os.environ["RELANCE_DATABASE_URL"].rsplit("/", 1)[0]
    name = f"relance_crash_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{server}/{name}", drop


def _relance(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "relance.cli", *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=False)


KILL_POINTS = [
    ("before_claim", 1, SMTP_CONNECTIONS),
    ("after_claim", 1, SMTP_CONNECTIONS),
    ("during_smtp", 3, SMTP_CONNECTIONS),
    ("after_smtp", 3, SMTP_CONNECTIONS),
    ("after_smtp", 1, SMTP_CONNECTIONS),
    ("during_smtp", 3, 2),  # the first group of two arrived, the second was discarded
    ("after_smtp", 3, 2),
    ("during_smtp", 3, 1),  # one message at a time
    ("after_smtp", 3, 1),
]


def _arrived_before_the_kill(point: str, nth: int, total: int, group: int) -> int:
    """Killed at the n-th message's ``during_smtp``, the whole group it was written with is
    discarded (none handed over yet); at its ``after_smtp``, the whole group has arrived."""
    if point in ("before_claim", "after_claim"):
        return 0
    batch_start = (nth - 1) // BATCH * BATCH
    group_start = batch_start + (nth - 1 - batch_start) // group * group
    if point == "during_smtp":
        return group_start
    return min(group_start + group, batch_start + BATCH, total)


def _crash_and_recover(kind: str, point: str, nth: int, tmp_path: Path, smtp_server, *,
                       debtors: int = DEBTORS, group: int = SMTP_CONNECTIONS) -> None:
    handler, port = smtp_server
    url, drop = _database(kind, tmp_path)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("RELANCE_TEST_")},
        "RELANCE_DATABASE_URL": url, "RELANCE_HOME": str(tmp_path), "RELANCE_SECRET_KEY": TEST_SECRET_KEY,
        "RELANCE_EMAIL_URL": f"smtp://127.0.0.1:{port}?connections={group}",
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]),
    }
    try:
        assert _relance(env, "init").returncode == 0
        seed = SEED.format(debtors=debtors)
        seeded = subprocess.run([sys.executable, "-c", seed], env=env, cwd=REPO, capture_output=True, text=True, check=False)
        assert seeded.returncode == 0, seeded.stderr
        killed = _relance({**env, "RELANCE_TEST_KILL_AT": point, "RELANCE_TEST_KILL_NTH": str(nth)}, "run", "--as-of", AS_OF)
        assert killed.returncode == -9, (killed.stdout, killed.stderr)
        before = sum(handler.ids.values())
        again = _relance(env, "run", "--as-of", AS_OF, "--json")
        assert again.returncode == 0, again.stderr
        third = _relance(env, "run", "--as-of", AS_OF, "--json")
        listed = _relance(env, "actions", "list", "--state", "sent", "--json")
        sent = json.loads(listed.stdout)
    finally:
        if drop:
            drop()  # type: ignore[operator]
    assert before == _arrived_before_the_kill(point, nth, debtors, group)
    assert len(handler.ids) == debtors, handler.ids
    assert set(handler.ids.values()) == {1}, handler.ids
    assert {a["message_id"] for a in sent} == set(handler.ids)
    assert json.loads(third.stdout)["actions"]["sent"] == 0


@pytest.mark.slow
@pytest.mark.parametrize(("point", "nth", "group"), KILL_POINTS)
def test_a_killed_dispatch_sends_every_message_exactly_once_on_sqlite(point, nth, group, tmp_path, smtp_server):
    _crash_and_recover("sqlite", point, nth, tmp_path, smtp_server, group=group)


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.parametrize(("point", "nth", "group"), KILL_POINTS)
def test_a_killed_dispatch_sends_every_message_exactly_once_on_postgresql(point, nth, group, tmp_path, smtp_server):
    _crash_and_recover("postgres", point, nth, tmp_path, smtp_server, group=group)


MANY = BATCH * 2 + 30
MANY_KILL_POINTS = [("during_smtp", BATCH + 43), ("after_smtp", BATCH + 43)]


@pytest.mark.slow
@pytest.mark.parametrize(("point", "nth"), MANY_KILL_POINTS)
def test_a_killed_dispatch_of_several_batches_sends_each_once_on_sqlite(point, nth, tmp_path, smtp_server):
    _crash_and_recover("sqlite", point, nth, tmp_path, smtp_server, debtors=MANY)


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.parametrize(("point", "nth"), MANY_KILL_POINTS)
def test_a_killed_dispatch_of_several_batches_sends_each_once_on_postgresql(point, nth, tmp_path, smtp_server):
    _crash_and_recover("postgres", point, nth, tmp_path, smtp_server, debtors=MANY)
