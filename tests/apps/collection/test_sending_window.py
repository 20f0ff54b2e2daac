"""SIGKILL in the sending window, many times over: never sent twice, never "sent" unless received.

One database (a SQLite file, or a PostgreSQL database of its own) with ``DEBTORS`` debtors
owing one e-mail each, and an aiosmtpd in this process recording every Message-ID it keeps. A
driver process sets Django up once, then forks one dispatcher per kill: each runs the morning
pass with ``RELANCE_TEST_KILL_AT`` set to a point of the sending window (mostly
``after_hand_over``: the group's hand-over committed, its final dots not written — the window
where PostgreSQL lost messages that recovery then recorded as sent), and kills itself there
with SIGKILL. The next dispatcher recovers what the killed one left, then is killed in turn. A
last clean run sends the rest. Then, for every e-mail action:

- the server kept its message at most once (no duplicate);
- ``sent`` only if the server kept it, and every message is either received or ``uncertain``;
- an ``uncertain`` action has its ``action.uncertain`` event, and no ``action.sent`` one.

Forking from a driver that has Django loaded keeps each kill to a fraction of a second (a new
``relance run`` process costs a second or two of start-up), so the kills stay many and quick.
"""

from __future__ import annotations

import collections
import email
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.environment import TEST_SECRET_KEY

REPO = Path(__file__).resolve().parents[3]
DEBTORS = 160
GROUP = 2  # connections, hence messages handed over together: a kill leaves at most 2 unsure
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
# The kills, in order: (point, n-th time the point is reached in that process).
KILLS = [
    *[("after_hand_over", n) for n in (1, 2, 3, 1, 5, 2, 1, 4, 3, 1)] * 3,
    *[("during_smtp", n) for n in (1, 3, 2, 5)],
    *[("after_smtp", n) for n in (1, 3, 2, 4)],
    *[("after_hand_over", n) for n in (7, 1)],
]
DRIVER = """
import json, os, signal, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relance.config.settings")
import django
django.setup()
from datetime import date
from django.db import connections
from relance.apps.collection import dispatch
from relance.apps.collection.morning import morning_pass

dispatch.BATCH = 12  # each killed dispatcher renders only what it may send before it dies
statuses = []
for point, nth in json.loads(sys.argv[1]) + [[None, 0]]:
    connections.close_all()
    pid = os.fork()
    if pid == 0:
        if point:
            os.environ["RELANCE_TEST_KILL_AT"], os.environ["RELANCE_TEST_KILL_NTH"] = point, str(nth)
        code = 0
        try:
            morning_pass(as_of=date.fromisoformat(sys.argv[2]), actor="cli")
        except BaseException:
            import traceback
            traceback.print_exc()
            code = 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    statuses.append(os.WTERMSIG(status) if os.WIFSIGNALED(status) else -os.WEXITSTATUS(status))
    if statuses[-1] == -3:
        break
print(json.dumps(statuses))
"""
CHECK = """
import json, os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relance.config.settings")
django.setup()
from relance.apps.audit.models import Event
from relance.apps.audit.services import chain_verify
from relance.apps.collection.models import Action
rows = list(Action.objects.filter(channel="email").exclude(state="skipped").values("pk", "state", "message_id"))
events = {}
for kind, subject in Event.objects.filter(subject_type="action").values_list("kind", "subject_id"):
    events.setdefault(str(subject), []).append(kind)
print(json.dumps({"actions": rows, "events": events, "chain_ok": chain_verify().ok}))
"""

aiosmtpd = pytest.importorskip("aiosmtpd.controller")


class Recording:
    def __init__(self) -> None:
        self.ids: collections.Counter[str] = collections.Counter()

    async def handle_DATA(self, server, session, envelope):
        self.ids[email.message_from_bytes(envelope.content)["Message-ID"]] += 1
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    from tests.apps.collection.test_exactly_once import _free_port

    handler = Recording()
    controller = aiosmtpd.Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield handler, controller.port
    controller.stop()


def _python(env: dict[str, str], code: str, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def _kill_in_the_window(kind: str, tmp_path: Path, smtp_server) -> None:
    from tests.apps.collection.test_exactly_once import _database

    handler, port = smtp_server
    url, drop = _database(kind, tmp_path)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("RELANCE_TEST_")},
        "RELANCE_DATABASE_URL": url, "RELANCE_HOME": str(tmp_path),
        "RELANCE_SECRET_KEY": TEST_SECRET_KEY,
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]),
        "RELANCE_EMAIL_URL": f"smtp://127.0.0.1:{port}?connections={GROUP}",
    }
    try:
        init = subprocess.run([sys.executable, "-m", "relance.cli", "init"], env=env, cwd=REPO,
                              capture_output=True, text=True, timeout=120, check=False)
        assert init.returncode == 0, init.stderr
        _python(env, SEED.format(debtors=DEBTORS))
        started = time.monotonic()
        statuses = json.loads(_python(env, DRIVER, json.dumps(KILLS), AS_OF).stdout)
        print(f"{len(KILLS)} kills in {time.monotonic() - started:.1f} s")
        state = json.loads(_python(env, CHECK).stdout)
    finally:
        if drop:
            drop()  # type: ignore[operator]
    assert statuses[:-1] == [9] * len(KILLS), statuses  # every dispatcher but the last killed
    assert statuses[-1] == 0
    assert len(KILLS) >= 40
    assert state["chain_ok"]  # the trail is whole, and now it also tells the truth
    received = handler.ids
    assert set(received.values()) <= {1}, [m for m, n in received.items() if n > 1]
    actions = state["actions"]
    assert len(actions) == DEBTORS
    by_state = collections.Counter(a["state"] for a in actions)
    assert set(by_state) <= {"sent", "uncertain"}, by_state
    for a in actions:
        kinds = state["events"].get(str(a["pk"]), [])
        if a["state"] == "sent":
            assert a["message_id"] in received, a  # never recorded sent without being received
            assert "action.uncertain" not in kinds
        else:
            assert "action.uncertain" in kinds, (a, kinds)
            assert "action.sent" not in kinds, (a, kinds)
    # Each kill after a hand-over leaves its group unsure; none of those messages arrived.
    window_kills = sum(1 for point, _ in KILLS if point == "after_hand_over")
    assert by_state["uncertain"] >= window_kills
    assert by_state["sent"] == len(received) > 0
    assert not {a["message_id"] for a in actions if a["state"] == "uncertain"} & set(received)


@pytest.mark.slow
def test_sigkill_in_the_sending_window_never_records_a_lost_message_as_sent_on_sqlite(
    tmp_path, smtp_server
):
    _kill_in_the_window("sqlite", tmp_path, smtp_server)


@pytest.mark.postgres
@pytest.mark.slow
def test_sigkill_in_the_sending_window_never_records_a_lost_message_as_sent_on_postgresql(
    tmp_path, smtp_server
):
    _kill_in_the_window("postgres", tmp_path, smtp_server)
