"""SMTP with deadlines (issue 19, point 7), and what an unanswered message becomes (point 2).

Real servers on 127.0.0.1: a TCP server that accepts and never says a word (the probe's: a run
of 29 e-mails went on for more than 25 minutes), aiosmtpd greylisting each recipient once
(451, then 250), aiosmtpd that keeps a message and answers too late. Tiny timeouts, so each
case takes a second or two.
"""

from __future__ import annotations

import asyncio
import collections
import email
import json
import socket
import threading
import time
from datetime import date

import pytest

from relance.apps.audit.models import Event
from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.dispatch import outbox_dispatch
from relance.apps.collection.models import Action
from relance.cli import main
from tests.factories import DebtorFactory, InvoiceFactory

controller_mod = pytest.importorskip("aiosmtpd.controller")
pytestmark = pytest.mark.django_db
AS_OF = date(2026, 3, 5)


def _debtors(creditor, count: int) -> None:
    for n in range(count):
        debtor = DebtorFactory(creditor=creditor, email=f"client{n}@example.org")
        InvoiceFactory(
            debtor=debtor, creditor=creditor, issue_date=date(2026, 2, 1), due_date=date(2026, 3, 2)
        )


class Silent:
    """Accepts every connection and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self.accepted = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            self.held.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def silent():
    server = Silent()
    yield server
    server.close()


@pytest.fixture
def tight(settings):
    settings.SMTP_CONNECT_TIMEOUT = 0.3
    settings.SMTP_COMMAND_TIMEOUT = 0.3
    settings.SMTP_RETRY_WAIT = 0.2
    settings.SMTP_RETRIES = 2
    return settings


def _planned_for_the_run(creditor) -> None:
    collection_run(creditor=creditor, as_of=AS_OF, dispatch=False)
    assert Action.objects.filter(channel="email", state="planned").exists()


def test_a_server_that_never_answers_holds_the_run_no_longer_than_its_deadline(
    creditor, silent, tight
):
    tight.EMAIL_URL = f"smtp://127.0.0.1:{silent.port}?connections=2"
    tight.SMTP_RUN_DEADLINE = 1.5
    tight.SMTP_BREAKER = 1000  # the deadline alone stops it here
    _debtors(creditor, 20)
    _planned_for_the_run(creditor)
    started = time.monotonic()
    out = outbox_dispatch(as_of=AS_OF)
    elapsed = time.monotonic() - started
    assert elapsed < 1.5 + 0.3 + 1.0, elapsed  # the deadline, a connect timeout, some slack
    assert silent.accepted >= 2  # it did try
    emails = Action.objects.filter(channel="email").exclude(state="skipped")
    assert not emails.filter(state__in=("sent", "sending", "failed", "uncertain")).exists()
    tried = emails.filter(attempts=1)
    assert tried.exists()
    for a in tried:
        assert a.next_attempt_at is not None, a.error
        assert "timed out" in a.error
    # Never tried: planned as they were, for the next run.
    untouched = emails.filter(attempts=0, next_attempt_at__isnull=True, claimed_by="")
    assert untouched.count() >= 10
    assert out.sent == 0
    assert [p.code for p in out.problems][-1] == "email_stopped"
    assert "time for sending e-mail is over" in out.problems[-1].message


def test_the_circuit_breaker_stops_trying_a_dead_server(creditor, silent, tight):
    tight.EMAIL_URL = f"smtp://127.0.0.1:{silent.port}?connections=2"
    tight.SMTP_RUN_DEADLINE = 60
    tight.SMTP_BREAKER = 3
    _debtors(creditor, 12)
    _planned_for_the_run(creditor)
    started = time.monotonic()
    out = outbox_dispatch(as_of=AS_OF)
    assert time.monotonic() - started < 3 * 0.3 + 2.0
    emails = Action.objects.filter(channel="email").exclude(state="skipped")
    assert emails.filter(attempts=1).count() == 3
    assert emails.filter(attempts=0, state="planned").count() == 9
    assert "failed several times in a row" in out.problems[-1].message
    requeued = Event.objects.filter(kind="action.requeued").values_list("payload", flat=True)
    assert {p["reason"] for p in requeued} == {"not tried: the run stopped (breaker)"}
    kinds = collections.Counter(Event.objects.values_list("kind", flat=True))
    assert kinds["action.requeued"] == 9


class Greylisting:
    """Answers 451 to each recipient's first RCPT, then 250; records what it keeps."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.ids: collections.Counter[str] = collections.Counter()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address not in self.seen:
            self.seen.add(address)
            return "451 4.7.1 Greylisted, please try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.ids[email.message_from_bytes(envelope.content)["Message-ID"]] += 1
        return "250 Message accepted"


class LateToAnswer:
    """Keeps every message, then answers after ``delay`` seconds."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.ids: collections.Counter[str] = collections.Counter()

    async def handle_DATA(self, server, session, envelope):
        self.ids[email.message_from_bytes(envelope.content)["Message-ID"]] += 1
        await asyncio.sleep(self.delay)
        return "250 Message accepted"


def _server(handler):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = controller_mod.Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def test_a_greylisted_message_goes_out_in_the_same_run_after_a_short_wait(creditor, tight):
    handler = Greylisting()
    controller = _server(handler)
    try:
        tight.EMAIL_URL = f"smtp://127.0.0.1:{controller.port}?connections=2"
        _debtors(creditor, 3)
        _planned_for_the_run(creditor)
        started = time.monotonic()
        out = outbox_dispatch(as_of=AS_OF)
        elapsed = time.monotonic() - started
    finally:
        controller.stop()
    assert out.sent == 3
    assert elapsed >= 0.2
    emails = Action.objects.filter(channel="email").exclude(state="skipped")
    assert set(emails.values_list("state", flat=True)) == {"sent"}
    assert set(handler.ids) == set(emails.values_list("message_id", flat=True))
    assert set(handler.ids.values()) == {1}


def test_a_greylisting_that_never_ends_waits_for_the_next_run(creditor, tight):
    class Always(Greylisting):
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            return "451 4.7.1 Greylisted, please try again later"

    controller = _server(Always())
    try:
        tight.EMAIL_URL = f"smtp://127.0.0.1:{controller.port}"
        _debtors(creditor, 1)
        _planned_for_the_run(creditor)
        started = time.monotonic()
        outbox_dispatch(as_of=AS_OF)
        elapsed = time.monotonic() - started
    finally:
        controller.stop()
    assert 0.2 + 0.4 <= elapsed < 5  # two waits in the run, no more
    action = Action.objects.filter(channel="email").exclude(state="skipped").get()
    assert (action.state, action.attempts) == ("planned", 1)
    assert "451" in action.error
    assert action.next_attempt_at is not None


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_reply_that_never_comes_leaves_the_message_uncertain_for_a_person(
    creditor, tight, capsys
):
    late = LateToAnswer(delay=1.5)
    controller = _server(late)
    try:
        tight.EMAIL_URL = f"smtp://127.0.0.1:{controller.port}?connections=2"
        _debtors(creditor, 2)
        _planned_for_the_run(creditor)
        out = outbox_dispatch(as_of=AS_OF)
    finally:
        controller.stop()
    assert (out.sent, out.uncertain) == (0, 2)
    assert sum(late.ids.values()) == 2  # the server has them; nobody here saw it say so
    code, listed, _ = run(capsys, "actions", "list", "--state", "uncertain", "--json")
    assert code == 0
    first, second = json.loads(listed)
    assert not Action.objects.filter(state="sent").exists()
    events = set(Event.objects.filter(subject_type="action").values_list("kind", flat=True))
    assert "action.uncertain" in events
    assert "action.sent" not in events

    code, _, _ = run(capsys, "actions", "confirm-sent", str(first["id"]), "--note", "client replied")
    assert code == 0
    confirmed = Action.objects.get(pk=first["id"])
    assert confirmed.state == "sent"
    assert confirmed.sent_at == confirmed.handed_over_at
    event = Event.objects.filter(subject_id=confirmed.pk, kind="action.sent").get()
    assert event.payload["confirmed_by_person"] is True

    code, _, _ = run(capsys, "actions", "resend", str(second["id"]))
    assert code == 0
    assert Action.objects.get(pk=second["id"]).state == "planned"
    again = LateToAnswer(delay=0)
    controller = _server(again)
    try:
        tight.EMAIL_URL = f"smtp://127.0.0.1:{controller.port}"
        assert outbox_dispatch(as_of=AS_OF).sent == 1
    finally:
        controller.stop()
    resent = Action.objects.get(pk=second["id"])
    assert resent.state == "sent"
    assert list(again.ids) == [resent.message_id]  # the same Message-ID as the first time
    code, _, err = run(capsys, "actions", "resend", str(first["id"]))
    assert code == 1
    assert "only an uncertain e-mail" in err
