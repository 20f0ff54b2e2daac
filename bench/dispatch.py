"""E-mail dispatch to a local aiosmtpd: messages per second, beside raw smtplib.

A fresh database (SQLite, then PostgreSQL when it answers) gets N debtors each with one
overdue invoice, for a creditor with an IBAN and a pay link; the outbox then claims, renders
(the documents' texts, HTML, the EPC QR code inline), stores, hands over and records each message
(``outbox_dispatch``, default settings: batches of 100, groups of 8 SMTP connections) to an
aiosmtpd server running in a process of its own. The same bytes (the stored messages) are then sent with bare ``smtplib`` over
one connection, in the same process: on a busy machine both slow down, the ratio less so.
Target (issue 4): ≥ 300 messages/s.

    .venv/bin/python bench/dispatch.py [--messages 2000] [--db sqlite,postgres]
"""

from __future__ import annotations

import argparse
import socket
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import (
    fresh_database,
    postgres_available,
    print_table,
    run_child,
    setup_django,
    timed,
)

AS_OF = date(2026, 3, 5)


class Sink:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def sink(port: int) -> None:
    """The SMTP server, in a process of its own (as a real one is): it does not take the
    interpreter lock from the sender. Prints the count of messages received on each line read."""
    from aiosmtpd.controller import Controller

    handler = Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    for _ in sys.stdin:
        print(handler.count, flush=True)
    controller.stop()


def child(args: argparse.Namespace) -> None:
    import json
    import os
    import smtplib
    import subprocess
    import tempfile

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, __file__, "--sink", str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    assert server.stdin is not None
    assert server.stdout.readline().strip() == "ready"

    def received() -> int:
        server.stdin.write("count\n")
        server.stdin.flush()
        return int(server.stdout.readline())

    os.environ["RELANCE_EMAIL_URL"] = f"smtp://127.0.0.1:{port}"
    os.environ.setdefault(
        "RELANCE_HOME", tempfile.mkdtemp(prefix="relance-bench-mail-")
    )  # the stored .eml files
    setup_django(fresh_database(args.db, "mail"))
    from django.conf import settings
    from tests.factories import CreditorFactory, DebtorFactory, InvoiceFactory

    from relance.apps.collection.daily_pass import collection_run
    from relance.apps.collection.dispatch import outbox_dispatch
    from relance.apps.collection.models import Action

    creditor = CreditorFactory(
        email="recouvrement@bench.example",
        bic="AGRIFRPP",
        pay_link_template="https://pay.bench.example/{debtor}?amount={amount}",
    )
    for _ in range(args.messages):
        d = DebtorFactory(creditor=creditor)
        InvoiceFactory(
            debtor=d,
            creditor=creditor,
            issue_date=AS_OF - timedelta(days=33),
            due_date=AS_OF - timedelta(days=3),
        )
    collection_run(creditor=creditor, as_of=AS_OF, dispatch=False)
    with timed() as t:
        out = outbox_dispatch(as_of=AS_OF, creditor=creditor)
    relance_s = t()
    assert out.sent == args.messages, out
    # The baseline sends the very messages the outbox sent (stored as proof), one connection.
    rows = list(Action.objects.filter(state="sent").values_list("recipient", "document"))
    messages = [(Path(settings.MEDIA_ROOT, name).read_bytes(), rcpt) for rcpt, name in rows]
    size = sum(len(m) for m, _ in messages) / len(messages)
    with timed() as t, smtplib.SMTP("127.0.0.1", port) as smtp:
        for data, rcpt in messages:
            smtp.sendmail(creditor.email, [rcpt], data)
    raw_s = t()
    count = received()
    assert count == 2 * out.sent, (count, out.sent)  # every message, once by each sender
    server.stdin.close()
    server.wait()
    print(
        json.dumps(
            {"relance": relance_s, "raw": raw_s, "sent": out.sent, "received": count, "bytes": size}
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sink", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink:
        sink(args.sink)
        return
    if args.child:
        child(args)
        return
    rows = []
    for db in args.db.split(","):
        if db == "postgres" and not postgres_available():
            continue
        r = run_child(Path(__file__), ["--db", db, "--messages", str(args.messages)])
        rate, raw_rate = r["sent"] / r["relance"], r["sent"] / r["raw"]
        rows.append(
            [
                db,
                r["sent"],
                f"{r['bytes'] / 1024:.1f}",
                f"{r['relance']:.2f}",
                f"{rate:.0f}",
                f"{raw_rate:.0f}",
                f"{r['relance'] / r['raw']:.1f}x",
                "yes" if rate >= 300 else "NO",
            ]
        )
    print_table(
        rows,
        [
            "db",
            "messages",
            "KiB/msg",
            "dispatch s",
            "msg/s",
            "raw smtplib msg/s",
            "ratio",
            "target met",
        ],
    )
    print(
        "target: >= 300 messages/s through the outbox (render, claim, hand-over, record) to a local aiosmtpd"
    )


if __name__ == "__main__":
    main()
