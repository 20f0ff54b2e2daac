"""The outbox's groups: MIME written by hand, hand-over per group, claims lost, few connections."""

from __future__ import annotations

import asyncio
import collections
import email
import hashlib
import socket
import threading
from datetime import date
from decimal import Decimal
from email import policy

import pytest

from relance.apps.audit.models import Event
from relance.apps.audit.services import chain_verify
from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.dispatch import outbox_dispatch
from relance.apps.collection.models import Action
from relance.channels.email_mime import OutgoingEmail, build_message, prepare
from relance.channels.smtp import (
    FileTransport,
    PermanentEmailError,
    SmtpTransport,
    TemporaryEmailError,
    Withdrawn,
)
from tests.factories import DebtorFactory, InvoiceFactory

AS_OF = date(2026, 3, 5)
controller_mod = pytest.importorskip("aiosmtpd.controller")


class Counting:
    def __init__(self) -> None:
        self.ids: collections.Counter[str] = collections.Counter()
        # When set, MAIL FROM is answered only once the event is (the client's idle work ran):
        # a test then sees the client wait for a reply whatever the machine's speed.
        self.gate: threading.Event | None = None

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.gate is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.gate.wait, 10)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.ids[email.message_from_bytes(envelope.content)["Message-ID"]] += 1
        return "250 OK"


@pytest.fixture
def smtp():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = Counting()
    c = controller_mod.Controller(handler, hostname="127.0.0.1", port=port)
    c.start()
    yield handler, port
    c.stop()


def _mail(n: int = 0, **kw: str) -> OutgoingEmail:
    fields = {
        "message_id": f"<m{n}@creancier.example>",
        "from_name": "Atelier Lumière SAS",
        "from_address": "recouvrement@creancier.example",
        "to": f"client{n}@example.org",
        "reply_to": "recouvrement@creancier.example",
        "subject": "Relance : règlement attendu",
        "text": "Bonjour,\n\n.ligne commençant par un point\n",
        "html": "<p>Réglez</p>\n",
    }
    return OutgoingEmail(**{**fields, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "subject"),
    [
        (
            "Atelier Lumière SAS",
            "Relance : règlement de vos factures en attente depuis longtemps, merci de régulariser "
            * 3,
        ),
        ('Dupont, "Fils" & Cie', "Short"),
        ("Plain Name", "A long plain ASCII subject that has to be folded over several lines " * 3),
        ("x =?utf-8?q?a?=", "=?utf-8?q?looks_encoded?= but is not"),
    ],
)
def test_the_hand_written_mime_reads_back_exactly(name, subject):
    mail = _mail(
        text="Bonjour,\n\nLigne é   \n.point\n" + "x" * 200 + "\nfin",
        from_name=name,
        subject=subject,
    )
    data = prepare(mail).data
    msg = email.message_from_bytes(data, policy=policy.default)
    assert str(msg["Subject"]) == subject
    assert msg["From"].addresses[0].display_name == name
    assert msg["Reply-To"].addresses[0].addr_spec == mail.reply_to
    assert msg.get_content_type() == "multipart/alternative"
    assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == mail.text
    assert msg.get_body(("html",)).get_content().replace("\r\n", "\n") == mail.html
    assert all(not part.defects for part in msg.walk())
    assert data.isascii()
    head = data.split(b"\r\n\r\n", 1)[0].decode()
    subject = head[head.index("Subject:") : head.index("\r\nMessage-ID:")]
    assert max(len(line) for line in subject.split("\r\n")) <= 78
    assert max(len(line) for line in data.split(b"\r\n")) <= 78 * 2
    assert build_message(mail)["Message-ID"] == mail.message_id


def test_a_header_cannot_be_injected():
    with pytest.raises(ValueError, match="line break"):
        prepare(_mail(subject="x\r\nBcc: victim@example.org"))


def test_a_group_goes_out_on_its_connections_after_one_hand_over(smtp):
    handler, port = smtp
    transport = SmtpTransport(host="127.0.0.1", port=port, connections=4)
    calls = []

    def before_commit(ready):
        calls.append(list(ready))
        assert not handler.ids  # nothing is kept by the server before the hand-over
        return [n for n in ready if n != 2]  # the third one is no longer ours

    try:
        outcomes = transport.send_group(
            [prepare(_mail(n)) for n in range(4)], before_commit=before_commit
        )
        again = transport.send_group([prepare(_mail(9))], before_commit=lambda ready: ready)
    finally:
        transport.close()
    assert calls == [[0, 1, 2, 3]]
    assert [type(o) for o in outcomes] == [type(None), type(None), Withdrawn, type(None)]
    assert again == [None]  # the connection closed before the dot is reopened
    assert set(handler.ids) == {f"<m{n}@creancier.example>" for n in (0, 1, 3, 9)}
    assert set(handler.ids.values()) == {1}


def test_a_bad_address_fails_that_message_only(smtp):
    handler, port = smtp
    transport = SmtpTransport(host="127.0.0.1", port=port, connections=2)
    try:
        outcomes = transport.send_group(
            [prepare(_mail(0, to="a b@example.org")), prepare(_mail(1))],
            before_commit=lambda ready: ready,
        )
    finally:
        transport.close()
    assert isinstance(outcomes[0], PermanentEmailError)
    assert outcomes[1] is None
    assert list(handler.ids) == ["<m1@creancier.example>"]


class Limited(SmtpTransport):
    """A server that takes two connections from us, no more."""

    def _connect(self, slot):
        if slot >= 2 and self._pool[slot] is None:
            raise TemporaryEmailError("421 too many connections")
        return super()._connect(slot)


def _due(creditor, n: int) -> None:
    for k in range(n):
        debtor = DebtorFactory(creditor=creditor, email=f"client{k}@example.org")
        InvoiceFactory(
            debtor=debtor, creditor=creditor, issue_date=date(2026, 2, 1), due_date=date(2026, 3, 2)
        )
    collection_run(creditor=creditor, as_of=AS_OF, dispatch=False)


@pytest.mark.django_db
def test_a_server_taking_fewer_connections_gets_smaller_groups_and_no_retry(creditor, smtp):
    handler, port = smtp
    _due(creditor, 7)
    transport = Limited(host="127.0.0.1", port=port, connections=4)
    out = outbox_dispatch(as_of=AS_OF, creditor=creditor, transport=transport)
    assert transport.group_size == 2
    assert (out.sent, out.retried, out.failed) == (7, 0, 0)
    assert len(handler.ids) == 7
    assert set(handler.ids.values()) == {1}
    sendable = Action.objects.filter(channel="email").exclude(state="skipped")  # the courtesy note, not sent to an overdue debt
    assert sorted(sendable.values_list("state", "attempts")) == [("sent", 1)] * 7


class Stolen:
    """The lease ran out and another dispatcher took the first row back before the hand-over."""

    group_size = 8

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send_group(self, mails, *, before_commit, idle=None):
        Action.objects.filter(message_id=mails[0].message_id).update(claimed_by="elsewhere:1")
        handed = set(before_commit(list(range(len(mails)))))
        self.sent += [m.message_id for n, m in enumerate(mails) if n in handed]
        return [None if n in handed else Withdrawn("not handed over") for n in range(len(mails))]

    def limit(self, deadline):  # the Transport protocol's; no deadline to keep here
        return None

    def stopped(self):
        return ""

    def close(self) -> None:
        return None


@pytest.mark.django_db
def test_a_row_taken_back_by_another_dispatcher_is_not_handed_over(creditor):
    _due(creditor, 3)
    transport = Stolen()
    out = outbox_dispatch(as_of=AS_OF, creditor=creditor, transport=transport)
    assert (out.sent, out.abandoned) == (2, 1)
    stolen = Action.objects.get(claimed_by="elsewhere:1")
    assert (stolen.state, stolen.handed_over_at) == ("sending", None)
    assert stolen.message_id not in transport.sent
    assert len(transport.sent) == 2


@pytest.mark.django_db
def test_sent_is_recorded_per_batch_with_the_hand_over_time_and_an_event_each(creditor):
    _due(creditor, 5)
    out = outbox_dispatch(as_of=AS_OF, creditor=creditor)
    assert out.sent == 5
    emails = Action.objects.filter(channel="email").exclude(state="skipped")  # the courtesy note, not sent to an overdue debt
    for a in emails:
        assert a.state == "sent"
        assert a.sent_at == a.handed_over_at is not None
    sent = Event.objects.filter(kind="action.sent")
    assert sorted(sent.values_list("subject_id", flat=True)) == sorted(
        emails.values_list("pk", flat=True)
    )
    assert Event.objects.filter(kind="action.sending").count() == 5
    assert chain_verify().ok


class Keeping:
    def __init__(self) -> None:
        self.received: dict[str, bytes] = {}

    async def handle_DATA(self, server, session, envelope):
        self.received[email.message_from_bytes(envelope.content)["Message-ID"]] = (
            envelope.original_content
        )
        return "250 OK"


@pytest.mark.django_db
def test_each_message_sent_is_stored_unchanged_with_its_hash_in_the_audit_trail(creditor, settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = Keeping()
    c = controller_mod.Controller(handler, hostname="127.0.0.1", port=port, decode_data=False)
    c.start()
    try:
        _due(creditor, 3)
        out = outbox_dispatch(
            as_of=AS_OF,
            creditor=creditor,
            transport=SmtpTransport(host="127.0.0.1", port=port, connections=2),
        )
    finally:
        c.stop()
    assert out.sent == 3
    for a in Action.objects.filter(state="sent"):
        stored = (settings.MEDIA_ROOT / a.document.name).read_bytes()
        assert a.document.name == f"documents/{a.sha256}.eml"
        assert hashlib.sha256(stored).hexdigest() == a.sha256
        # What the server received, byte for byte (it adds nothing to the DATA it was given).
        assert handler.received[a.message_id].replace(b"\r\n", b"\n") == stored.replace(
            b"\r\n", b"\n"
        )
        sent = Event.objects.get(kind="action.sent", subject_id=a.pk)
        assert (sent.payload["sha256"], sent.payload["document"]) == (a.sha256, a.document.name)
    assert chain_verify().ok


@pytest.mark.django_db
def test_a_message_written_ahead_is_taken_only_if_written_from_the_same_context(creditor):
    from dataclasses import replace

    from relance.apps.collection import dispatch
    from relance.apps.ledger.models import Invoice

    _due(creditor, 2)
    jobs = dispatch._next_jobs(as_of=AS_OF, creditor=creditor)
    assert len(jobs) == 2
    ahead = {}
    for pk, key, args in jobs:
        rendered = dispatch._render(*args)
        ahead[pk] = (key, replace(rendered, subject=f"written ahead {pk}"))
    first, second = (Action.objects.get(pk=pk) for pk, _, _ in jobs)
    Invoice.objects.filter(debtor_id=second.debtor_id).update(
        open_amount=Decimal("7.77")
    )  # changed since
    batch = dispatch._claim(
        as_of=AS_OF, creditor=creditor, out=dispatch.DispatchResult(), actor="t", ahead=ahead
    )
    assert batch is not None
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.subject == f"written ahead {first.pk}"
    # The claim never writes a message under its lock: the changed one is left for the next
    # claim, untouched, and written again from its new context before it.
    assert (batch.left, second.state, second.attempts, second.body_text) == (1, "planned", 0, "")
    again = dispatch._next_jobs(as_of=AS_OF, creditor=creditor)
    ahead = dispatch.render_missing(again, {}, dispatch._render)
    batch = dispatch._claim(
        as_of=AS_OF, creditor=creditor, out=dispatch.DispatchResult(), actor="t", ahead=ahead
    )
    second.refresh_from_db()
    assert (batch.left, second.state) == (0, "sending")
    assert "7,77" in second.body_text


@pytest.mark.django_db
def test_batches_rendered_ahead_by_another_process_each_go_once(creditor, monkeypatch, outbox):
    from relance.apps.collection import dispatch

    monkeypatch.setattr(dispatch, "BATCH", 3)
    monkeypatch.setattr(dispatch, "RENDER_AHEAD", True)
    _due(creditor, 7)
    out = dispatch.outbox_dispatch(as_of=AS_OF, creditor=creditor)
    assert (out.sent, out.failed) == (7, 0)
    sent = Action.objects.filter(state="sent")
    assert sorted(p.name for p in outbox.glob("*.eml")) == sorted(
        FileTransport.filename(m) for m in sent.values_list("message_id", flat=True)
    )
    assert Event.objects.filter(kind="action.sending").count() == 7


def test_the_caller_works_in_the_round_trips_but_never_between_hand_over_and_dots(
    smtp, monkeypatch
):
    import smtplib

    handler, port = smtp
    handler.gate = threading.Event()
    log: list[str] = []
    send = smtplib.SMTP.send

    def logged_send(self, s):
        if s == b".\r\n":
            log.append("dot")
        return send(self, s)

    monkeypatch.setattr(smtplib.SMTP, "send", logged_send)
    transport = SmtpTransport(host="127.0.0.1", port=port, connections=3)

    def idle():
        log.append("idle")
        handler.gate.set()
        return len(log) < 200

    def before_commit(ready):
        log.append("commit")
        return ready

    try:
        outcomes = transport.send_group(
            [prepare(_mail(n)) for n in range(3)], before_commit=before_commit, idle=idle
        )
    finally:
        transport.close()
    assert outcomes == [None] * 3
    assert len(handler.ids) == 3
    commit = log.index("commit")
    assert log[commit + 1 : commit + 4] == ["dot"] * 3  # nothing between the commit and the dots
    assert "idle" in log[:commit]  # the caller worked while the commands went round


class Slow(FileTransport):
    """A transport whose server takes its time: the caller's ``idle`` work runs out each time."""

    waiting = False

    def send_group(self, mails, *, before_commit, idle=None):
        self.waiting = True
        while idle is not None and idle():
            pass
        self.waiting = False
        return super().send_group(mails, before_commit=before_commit)


@pytest.mark.django_db
def test_the_next_batch_written_in_the_round_trips_is_what_goes_out(creditor, monkeypatch, outbox):
    from relance.apps.collection import dispatch

    monkeypatch.setattr(dispatch, "BATCH", 3)
    transport = Slow(outbox)
    rendered, ahead = collections.Counter(), 0
    render = dispatch._render

    def counted(*args):
        nonlocal ahead
        rendered[args[2]] += 1  # by Message-ID
        ahead += transport.waiting
        return render(*args)

    monkeypatch.setattr(dispatch, "_render", counted)
    _due(creditor, 7)
    out = dispatch.outbox_dispatch(as_of=AS_OF, creditor=creditor, transport=transport)
    assert (out.sent, out.failed) == (7, 0)
    sent = Action.objects.filter(state="sent")
    assert set(rendered) == set(sent.values_list("message_id", flat=True))
    assert ahead == 4  # the second batch while the first went out, the third during the second
    assert set(rendered.values()) == {1}  # the claims took every message written ahead
    for a in sent:
        stored = (outbox.parent / "media" / a.document.name).read_bytes()
        assert (outbox / FileTransport.filename(a.message_id)).read_bytes() == stored
    assert chain_verify().ok
