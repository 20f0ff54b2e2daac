"""Workspace pages served by gunicorn over 1,000,000 invoices and 200,000 debtors: p50/p95 per page.

A fresh PostgreSQL database (``relance_web_bench``, or SQLite with ``--sqlite``) is seeded with
one big creditor (the invoices and debtors asked for, about one in seven invoices paid through a
payment, the rest open) and a small second one, plus the collection state a working desk has:
cases for half the debtors, e-mails sent, calls due today, letters waiting for approval, promises,
disputes, payment plans, audit events, ledger imports and a bank statement. A user with the
admin role logs in over HTTP (CSRF token and session cookie, as a browser does) to gunicorn
started on a free loopback port with DEBUG off, and each page is fetched 3 times to warm up,
then ``--repeat`` times. Pages are found from the workspace's URL patterns (the editors' too), so
pages added later are measured without editing this script; those answering 405 to GET are
skipped. The queries a page runs are counted once in-process (Django's test client).

Time is the full response on loopback, client side. The baseline is a static file (app.css)
served by the same gunicorn through the same middleware, fetched in the same loop: the ratio
is what the page costs beyond a bare request. Target (issue 7): every page p95 <= 300 ms.

    .venv/bin/python bench/web.py [--invoices 1000000] [--debtors 200000] [--repeat 30] [--sqlite]
    .venv/bin/python bench/web.py --invoices 20000 --debtors 4000      # a quick run
    .venv/bin/python bench/web.py --reuse     # measure again on the database seeded last time
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import (
    PG_SERVER,
    REPO,
    fresh_database,
    insert_open_invoices,
    postgres_available,
    print_table,
    run_child,
    setup_django,
    timed,
)

DB_NAME = "relance_web_bench"
TARGET_MS = 300.0
PASSWORD = "Bench-Horse-Battery-9"  # noqa: S105 - the bench user of a throwaway database
SURNAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "Andre",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "Francois",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guerin",
    "Muller",
    "Henry",
    "Roussel",
    "Nicolas",
    "Perrin",
    "Morin",
    "Mathieu",
    "Clement",
    "Gauthier",
    "Dumont",
    "Lopez",
    "Fontaine",
    "Chevalier",
    "Robin",
    "Masson",
]
TRADES = [
    "Boulangerie",
    "Garage",
    "Cabinet",
    "Transports",
    "Menuiserie",
    "Pharmacie",
    "Hotel",
    "Imprimerie",
    "Plomberie",
    "Studio",
]
FORMS = ("SARL", "SAS", "EURL", "SA", "")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- seeding --------------------------------------------------------------------------------------


def _debtor_name(rng: random.Random, i: int) -> str:
    return f"{rng.choice(TRADES)} {rng.choice(SURNAMES)} {rng.choice(FORMS)} {i}".replace("  ", " ")


def _insert_debtors(
    cur: Any, creditor_id: int, count: int, rng: random.Random, prefix: str, now: str
) -> int:
    kinds = ["business"] * 7 + ["consumer"] * 2 + ["public"]
    rows = [
        (
            creditor_id,
            f"{prefix}{i:07d}",
            _debtor_name(rng, i),
            kinds[i % 10],
            f"{rng.randrange(10**8, 10**9)}",
            f"compta{i}@client{i}.example",
            f"04 72 {i % 100:02d} {i // 100 % 100:02d} {i % 97:02d}" if i % 3 else "",
            f"{i % 200 + 1} rue de la Republique",
            f"{69000 + i % 10:05d}",
            "Lyon",
            now,
            now,
        )
        for i in range(count)
    ]
    cur.executemany(
        "INSERT INTO ledger_debtor (creditor_id, account, name, kind, siren, email, phone, address,"
        " postal_code, city, country, language, is_do_not_contact, is_legal_hold, notes, created_at, updated_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'FR', 'fr', false, false, '', %s, %s)",
        rows,
    )
    cur.execute("SELECT min(id) FROM ledger_debtor WHERE creditor_id = %s", [creditor_id])
    return int(cur.fetchone()[0])


def _insert_invoices(
    cur: Any,
    creditor_id: int,
    first: int,
    debtors: int,
    n: int,
    big: int,
    as_of: date,
    rng: random.Random,
    prefix: str,
    now: str,
) -> None:
    """``n`` invoices, ``big`` of them on the first debtor (a big account), the rest spread."""
    batch = []
    for i in range(n):
        due = as_of - timedelta(days=rng.randrange(-60, 420))
        amount = f"{rng.randrange(5_000, 2_000_000) / 100:.2f}"
        debtor = first if i < big else first + rng.randrange(debtors)
        batch.append(
            (
                creditor_id,
                debtor,
                f"{prefix}{i:08d}",
                due - timedelta(days=30),
                due,
                amount,
                amount,
                now,
                now,
            )
        )
        if len(batch) == 50_000:
            insert_open_invoices(cur, batch)
            batch = []
    if batch:
        insert_open_invoices(cur, batch)


def _pay_invoices(cur: Any, creditor_id: int, as_of: date, every: int) -> None:
    """About one invoice in ``every`` paid in full by its own payment (ledger), allocated to it."""
    cur.execute(
        "SELECT id, debtor_id, number, due_date, total_amount FROM ledger_invoice"
        " WHERE creditor_id = %s AND due_date < %s AND id %% %s = 0",
        [creditor_id, as_of, every],
    )
    rows = cur.fetchall()
    now = f"{as_of} 08:00:00+00"
    payments = []
    for n, (_id, debtor_id, number, due, total) in enumerate(rows):
        value = min(due + timedelta(days=n % 45 - 5), as_of)
        payments.append((creditor_id, debtor_id, value, total, number, now))
    cur.executemany(
        "INSERT INTO ledger_payment (creditor_id, debtor_id, value_date, amount, currency, reference, origin,"
        " import_batch_id, created_at) VALUES (%s, %s, %s, %s, 'EUR', %s, 'ledger', NULL, %s)",
        payments,
    )
    cur.execute(
        "INSERT INTO ledger_allocation (payment_id, invoice_id, amount, created_at)"
        " SELECT p.id, i.id, p.amount, p.created_at FROM ledger_payment p"
        " JOIN ledger_invoice i ON i.creditor_id = p.creditor_id AND i.number = p.reference"
        " WHERE p.creditor_id = %s",
        [creditor_id],
    )
    cur.execute(
        "UPDATE ledger_invoice SET status = 'paid', open_amount = 0"
        " WHERE id IN (SELECT invoice_id FROM ledger_allocation)",
    )


def _seed_collection(
    creditor: Any, first: int, debtors: int, as_of: date, rng: random.Random
) -> None:
    """Cases for half the debtors, and what a desk sees: sends, calls, approvals, promises..."""
    from relance.apps.collection.models import (
        Action,
        Case,
        Dispute,
        PaymentPlan,
        Promise,
        Scenario,
        Step,
    )
    from relance.apps.ledger.models import Invoice

    tz = datetime.now().astimezone().tzinfo
    scenario = Scenario.objects.create(
        name=f"Bench {creditor.pk}",
        debtor_kinds=["business", "consumer", "public"],
        is_default=False,
    )
    for pos, (key, offset, channel, template) in enumerate(
        [
            ("reminder", 3, "email", "reminder"),
            ("call", 15, "call", "call"),
            ("letter", 30, "letter", "reminder_letter"),
            ("formal", 45, "registered_letter", "formal_notice"),
        ]
    ):
        Step.objects.create(
            scenario=scenario,
            position=pos,
            key=key,
            offset_days=offset,
            channel=channel,
            template=template,
            requires_approval=channel == "registered_letter",
        )
    cases = []
    for k in range(0, debtors, 2):
        status = "paused" if k % 40 == 0 else "plan" if k % 100 == 2 else "active"
        cases.append(
            Case(
                creditor=creditor,
                debtor_id=first + k,
                scenario=scenario,
                status=status,
                current_step="reminder",
                opened_on=as_of - timedelta(days=k % 60 + 10),
                pause_reason="litige en cours" if status == "paused" else "",
            )
        )
    Case.objects.bulk_create(cases, batch_size=5000)
    log(f"  {len(cases):,} cases")
    case_ids = dict(Case.objects.filter(creditor=creditor).values_list("debtor_id", "id"))
    actions = []
    for n, (debtor_id, case_id) in enumerate(sorted(case_ids.items())):
        sent = datetime.combine(
            as_of - timedelta(days=n % 50 + 1), datetime.min.time(), tzinfo=tz
        ) + timedelta(hours=9)
        common = {"creditor": creditor, "debtor_id": debtor_id, "case_id": case_id}
        actions.append(
            Action(
                **common,
                step_key="reminder",
                channel="email",
                template="reminder",
                planned_date=sent.date(),
                state="sent",
                sent_at=sent,
                handed_over_at=sent,
                idempotency_key=f"b{case_id}-reminder",
                subject="Relance facture impayee",
                body_text="Bonjour, ...",
                recipient=f"compta{n}@client.example",
            )
        )
        if n % 20 == 0:  # a call due today or overdue
            actions.append(
                Action(
                    **common,
                    step_key="call",
                    channel="call",
                    template="call",
                    planned_date=as_of - timedelta(days=n % 3),
                    state="planned",
                    idempotency_key=f"b{case_id}-call",
                )
            )
        if n % 15 == 1:  # a registered letter waiting for someone to approve it
            actions.append(
                Action(
                    **common,
                    step_key="formal",
                    channel="registered_letter",
                    template="formal_notice",
                    planned_date=as_of + timedelta(days=n % 5),
                    state="planned",
                    requires_approval=True,
                    idempotency_key=f"b{case_id}-formal",
                )
            )
        if n % 3 == 2:  # the next e-mail, planned
            actions.append(
                Action(
                    **common,
                    step_key="letter",
                    channel="email",
                    template="reminder_letter",
                    planned_date=as_of + timedelta(days=n % 10 + 1),
                    state="planned",
                    idempotency_key=f"b{case_id}-letter",
                )
            )
    Action.objects.bulk_create(actions, batch_size=5000)
    log(f"  {len(actions):,} actions")
    promises = []
    for n, debtor_id in enumerate(sorted(case_ids)):
        if n % 40 == 3:
            promises.append(
                Promise(
                    creditor=creditor,
                    debtor_id=debtor_id,
                    case_id=case_ids[debtor_id],
                    amount=Decimal("500.00"),
                    baseline_amount=Decimal("1200.00"),
                    promised_date=as_of + timedelta(days=n % 14),
                    status="open",
                )
            )
        elif n % 100 == 7:
            promises.append(
                Promise(
                    creditor=creditor,
                    debtor_id=debtor_id,
                    case_id=case_ids[debtor_id],
                    amount=Decimal("300.00"),
                    baseline_amount=Decimal("900.00"),
                    promised_date=as_of - timedelta(days=n % 40 + 5),
                    status="broken",
                    resolved_on=as_of - timedelta(days=n % 40),
                )
            )
    Promise.objects.bulk_create(promises, batch_size=5000)
    plans = [
        PaymentPlan(
            creditor=creditor,
            debtor_id=debtor_id,
            case_id=case_ids[debtor_id],
            total_amount=Decimal("2400.00"),
            baseline_amount=Decimal("2400.00"),
            status="active",
        )
        for n, debtor_id in enumerate(sorted(case_ids))
        if n % 50 == 1
    ]
    PaymentPlan.objects.bulk_create(plans, batch_size=5000)
    step = max(1, debtors // 3000)  # about 3,000 disputes, and two on the big account
    first_open: dict[int, int] = {}
    for debtor_id, invoice_id in (
        Invoice.objects.filter(
            creditor=creditor, status="open", debtor_id__in=range(first + 1, first + debtors, step)
        )
        .order_by("id")
        .values_list("debtor_id", "id")
    ):
        first_open.setdefault(debtor_id, invoice_id)
    disputed = list(first_open.values())
    disputed += list(
        Invoice.objects.filter(debtor_id=first, status="open")
        .order_by("-id")
        .values_list("id", flat=True)[:2]
    )
    Dispute.objects.bulk_create(
        [
            Dispute(
                creditor=creditor,
                invoice_id=i,
                reason="Marchandise non conforme",
                opened_on=as_of - timedelta(days=9),
            )
            for i in sorted(set(disputed))
        ],
        batch_size=5000,
    )
    log(f"  {len(promises):,} promises, {len(plans):,} plans, {len(set(disputed)):,} disputes")


def _seed_events(creditor: Any, first: int, debtors: int, as_of: date, rng: random.Random) -> None:
    """Audit events on a quarter of the invoices and a tenth of the debtors (the big one included).

    Hashes are random, not chained: ``relance audit verify`` fails on this database by design.
    """
    from django.db import connection

    from relance.apps.audit.models import Event

    with connection.cursor() as cur:
        cur.execute(
            "SELECT id, number, total_amount FROM ledger_invoice WHERE creditor_id = %s AND id %% 4 = 0",
            [creditor.pk],
        )
        invoices = cur.fetchall()
        cur.execute(
            "SELECT id, number, total_amount FROM ledger_invoice WHERE debtor_id = %s", [first]
        )
        invoices += cur.fetchall()
    at = datetime.combine(as_of - timedelta(days=60), datetime.min.time()).astimezone()
    events = []
    for n, (invoice_id, number, total) in enumerate(invoices):
        events.append(
            Event(
                created_at=at + timedelta(minutes=n % 80_000),
                actor="import:ledger",
                creditor_id=creditor.pk,
                subject_type="invoice",
                subject_id=invoice_id,
                kind="invoice.updated",
                payload={
                    "number": number,
                    "before": {"open_amount": str(total)},
                    "after": {"open_amount": str(total / 2)},
                },
                prev_hash=f"{n:064x}",
                hash=f"{n + 1:064x}",
            )
        )
    base = len(events)
    for k in [0, *range(1, debtors, 10)]:
        events.append(
            Event(
                created_at=at + timedelta(minutes=k % 80_000),
                actor="user:bench",
                creditor_id=creditor.pk,
                subject_type="debtor",
                subject_id=first + k,
                kind="debtor.notes_updated",
                payload={"notes": "Rappeler le comptable le mardi"},
                prev_hash=f"{base + k:064x}",
                hash=f"{base + k + 1 + 10**12:064x}",
            )
        )
    Event.objects.bulk_create(events, batch_size=5000)
    log(f"  {len(events):,} audit events")


def _seed_imports_and_bank(creditor: Any, first: int, as_of: date) -> None:
    from relance.apps.banking.models import BankStatement, StatementLine
    from relance.apps.ledger.models import ImportBatch

    batches = ImportBatch.objects.bulk_create(
        [
            ImportBatch(
                creditor=creditor,
                kind="ledger",
                format="csv",
                filename=f"grand-livre-{n:03d}.csv",
                sha256=f"{n:064x}",
                status="committed" if n % 9 else "refused",
                created_count=n * 100,
                updated_count=n * 10,
                problems=[] if n % 9 else [{"line": 3, "message": "date illisible"}],
            )
            for n in range(60)
        ]
    )
    bank = ImportBatch.objects.create(
        creditor=creditor,
        kind="bank",
        format="camt.053",
        filename="releve.xml",
        sha256="b" * 64,
        status="committed",
    )
    statement = BankStatement.objects.create(
        creditor=creditor,
        import_batch=bank,
        account="FR7630006000011234567890189",
        currency="EUR",
        statement_id="S1",
        fingerprint="f" * 64,
        closing_date=as_of,
    )
    statuses = ["matched"] * 6 + ["unmatched", "suggested", "ignored", "dismissed"]
    StatementLine.objects.bulk_create(
        [
            StatementLine(
                statement=statement,
                creditor=creditor,
                fingerprint=f"{n:064x}",
                booking_date=as_of - timedelta(days=n % 30),
                amount=Decimal(f"{(n * 37) % 5000 + 10}.{n % 100:02d}")
                * (-1 if n % 10 == 8 else 1),
                currency="EUR",
                counterparty_name=f"CLIENT {n}",
                remittance=f"VIR FACT F{n:08d}",
                status=statuses[n % 10],
                line=n,
            )
            for n in range(2000)
        ],
        batch_size=2000,
    )
    log(f"  {len(batches) + 1} import batches, 2,000 bank lines")


def _record_rates(as_of: date) -> None:
    """What a user does when a page asks for it: record the ECB rate of the current half-year
    (unpublished when Relance shipped), so that the letters and penalties can be computed, as
    they are in real use, instead of stopping early on a missing rate."""
    from decimal import Decimal

    from relance.apps.legal.services import rate_add

    for table, day in (
        ("ecb_mro", date(as_of.year, 1, 1)),
        ("ecb_mro", date(as_of.year, 7, 1)),
        ("fr_legal_professional", date(as_of.year, 7, 1)),
        ("fr_legal_individual", date(as_of.year, 7, 1)),
    ):
        if day <= as_of:
            rate = Decimal("2.15") if table == "ecb_mro" else Decimal("6.67")
            rate_add(table=table, from_date=day, rate=rate, source="bench: assumed")


def seed(invoices: int, debtors: int, as_of: date) -> None:
    from django.db import connection

    from relance.apps.creditors.services import creditor_create

    rng = random.Random(7)
    now = f"{as_of} 07:00:00+00"
    big = creditor_create(name="Alpes Distribution SAS")
    small = creditor_create(name="Zephyr Atelier SARL")
    _record_rates(as_of)
    big_account = min(2000, max(1, invoices // 50))
    with connection.cursor() as cur:
        first = _insert_debtors(cur, big.pk, debtors, rng, "C", now)
        log(f"  {debtors:,} debtors")
        _insert_invoices(cur, big.pk, first, debtors, invoices, big_account, as_of, rng, "F", now)
        log(f"  {invoices:,} invoices")
        small_first = _insert_debtors(cur, small.pk, 100, rng, "P", now)
        _insert_invoices(cur, small.pk, small_first, 100, 500, 10, as_of, rng, "S", now)
        _pay_invoices(cur, big.pk, as_of, 7)
        _pay_invoices(cur, small.pk, as_of, 7)
        log("  payments and allocations")
    _seed_collection(big, first, debtors, as_of, rng)
    _seed_events(big, first, debtors, as_of, rng)
    _seed_imports_and_bank(big, first, as_of)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")


# --- the pages --------------------------------------------------------------------------------------


def pages(
    big_debtor: int,
    debtor_name: str,
    first_name_word: str,
    action_id: int | None,
    routes: dict[str, dict[str, Any]] | None = None,
) -> list[tuple[str, str]]:
    """(label, path) for every workspace page answering GET; list variants from the selectors.

    ``routes`` gives the arguments of the pages that need their own (a call's page needs a
    call, a letter's preview a letter), by route name."""
    from django.urls import URLPattern, URLResolver, get_resolver, reverse

    from relance.apps.workspace import selectors

    known: dict[str, Any] = {"debtor_id": big_debtor, "action_id": action_id}
    routes = routes or {}
    skip = {"login", "logout", "set_language", "creditor_switch"}
    found: list[tuple[str, str]] = []
    skipped: list[str] = []

    def walk(patterns: list[Any], namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace == "admin":
                    continue
                walk(p.url_patterns, p.namespace or namespace)
            elif isinstance(p, URLPattern) and p.name and p.name not in skip:
                params = list(p.pattern.converters) or re.findall(r"\(\?P<(\w+)>", str(p.pattern))
                if p.name in routes:
                    if routes[p.name] is None:
                        skipped.append(f"{namespace}:{p.name} (none in the data)")
                        continue
                    name = f"{namespace}:{p.name}" if namespace else p.name
                    found.append((name, reverse(name, kwargs=routes[p.name])))
                    continue
                if any(known.get(k) is None for k in params):
                    skipped.append(f"{namespace}:{p.name} (needs {', '.join(params)})")
                    continue
                name = f"{namespace}:{p.name}" if namespace else p.name
                found.append((name, reverse(name, kwargs={k: known[k] for k in params})))

    walk(get_resolver().url_patterns, "")
    debtors_path = reverse("workspace:debtors")
    variants = [
        (f"debtors ?q={debtor_name}", {"q": debtor_name}),
        (f"debtors ?q={first_name_word}", {"q": first_name_word}),
    ]
    variants += [(f"debtors ?sort={s}", {"sort": s}) for s in selectors.SORTS if s != "overdue"]
    variants += [(f"debtors ?filter={f}", {"filter": f}) for f in selectors.FILTERS]
    variants += [
        ("debtors ?page=last", {"page": "last"}),
        (
            "debtors ?filter=overdue&sort=days&page=2",
            {"filter": "overdue", "sort": "days", "page": 2},
        ),
    ]
    found += [(label, f"{debtors_path}?{urlencode(q)}") for label, q in variants]
    for line in skipped:
        log(f"  skipped {line}")
    return found


def count_queries(paths: list[tuple[str, str]], username: str) -> dict[str, int]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    counts = {}
    for label, path in paths:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
        counts[label] = (
            len(ctx.captured_queries) if response.status_code == 200 else -response.status_code
        )
    return counts


class Browser:
    """A keep-alive HTTP client with a cookie jar, as little overhead as possible per request."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes]:
        headers = {
            "Host": "127.0.0.1",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, data

    def login(self, username: str, password: str) -> None:
        status, html = self.request("GET", "/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        if status != 200 or token is None:
            raise SystemExit(f"login page answered {status} without a CSRF token")
        body = urlencode(
            {
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": token.group(1).decode(),
            }
        )
        status, _ = self.request("POST", "/login/", body)
        if status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"login refused (status {status})")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_gunicorn(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "RELANCE_DATABASE_URL": url,
        "RELANCE_SECRET_KEY": "relance-bench-web-only-secret-key-not-for-production",
        "RELANCE_DEBUG": "0",
        "RELANCE_ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "relance"),
            "serve",
            "--production",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # a readiness wait, not a measurement
        if proc.poll() is not None:
            raise SystemExit(
                f"gunicorn exited: {proc.stderr.read().decode() if proc.stderr else ''}"
            )
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        time.sleep(0.2)
    stop_gunicorn(proc)
    raise SystemExit("gunicorn did not answer within 60 s")


def stop_gunicorn(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def measure(browser: Browser, path: str, repeat: int) -> tuple[int, list[float]]:
    for _ in range(3):
        status, _ = browser.request("GET", path)
        if status != 200:
            return status, []
    times = []
    for _ in range(repeat):
        with timed() as t:
            status, _ = browser.request("GET", path)
        times.append(t() * 1000)
    return status, times


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _routes(creditor: Any) -> dict[str, Any]:
    """Arguments for the pages that show one kind of thing: a pending call, a pending letter,
    a sent document, a scenario, a template. ``None`` where the data holds none."""
    from relance.apps.collection.models import Action, Scenario

    pending = Action.objects.filter(creditor=creditor, state__in=["planned", "approved"])
    call = pending.filter(channel="call").order_by("pk").first()
    letter = pending.filter(channel__in=["letter", "registered_letter"]).order_by("pk").first()
    sent = (
        Action.objects.filter(creditor=creditor, state="sent").exclude(document="")
        .order_by("pk").first()
    )
    scenario = Scenario.objects.order_by("pk").first()
    return {
        "call": call and {"action_id": call.pk},
        "action_letter": letter and {"action_id": letter.pk},
        "action_document": sent and {"action_id": sent.pk},
        "scenario": scenario and {"scenario_id": scenario.pk},
        "template": {"lang": "fr", "name": "reminder_letter.txt"},
    }


def child(args: argparse.Namespace) -> None:
    import json

    kind = "sqlite" if args.sqlite else "postgres"
    url = f"{PG_SERVER}/{args.database}" if args.reuse else fresh_database(kind, args.database, keep=True)
    os.environ["RELANCE_ALLOWED_HOSTS"] = (
        "127.0.0.1,localhost,testserver"  # testserver: the query count
    )
    setup_django(url)
    from django.utils import timezone

    from relance.apps.collection.models import Action
    from relance.apps.creditors.models import Creditor
    from relance.apps.ledger.models import Debtor, ImportBatch, Invoice
    from relance.apps.workspace.services import user_create

    as_of = timezone.localdate()
    if not args.reuse:
        log(
            f"seeding {args.invoices:,} invoices / {args.debtors:,} debtors ({kind}, as of {as_of})"
        )
        with timed() as t:
            seed(args.invoices, args.debtors, as_of)
        log(f"seeded in {t():.0f} s")
        user_create(
            username="bench",
            password=PASSWORD,
            role="admin",
            creditors=list(Creditor.objects.order_by("pk")),
        )
    creditor = Creditor.objects.get(name="Alpes Distribution SAS")
    big = Debtor.objects.get(creditor=creditor, account="C0000000")
    other = Debtor.objects.filter(creditor=creditor).order_by("pk")[len(SURNAMES)]
    action = Action.objects.filter(creditor=creditor).order_by("pk").first()
    paths = pages(
        big.pk, other.name, other.name.split()[1], action.pk if action else None,
        routes=_routes(creditor),
    )
    # The API serves the creditor named in ?creditor= (the bench user holds two).
    paths = [
        (label, f"{path}?creditor={creditor.pk}")
        if label.startswith("api:") and "openapi" not in label
        else (label, path)
        for label, path in paths
    ]
    counts = count_queries(paths, "bench")
    port = free_port()
    proc = start_gunicorn(url, port, args.workers)
    results = []
    try:
        browser = Browser(port)
        browser.login("bench", PASSWORD)
        if creditor.name.encode() not in browser.request("GET", "/")[1]:
            raise SystemExit(f"the workspace did not open on {creditor.name}")
        static = "/static/workspace/app.css"
        _, base_times = measure(browser, static, args.repeat)
        for label, path in paths:
            status, times = measure(browser, path, args.repeat)
            # The first view after the ledger changed (a file imported): kept figures go stale.
            ImportBatch.objects.create(
                creditor=creditor,
                kind="ledger",
                format="csv",
                filename="bump.csv",
                sha256="0" * 64,
                status="refused",
            )
            with timed() as t:
                browser.request("GET", path)
            results.append(
                {
                    "page": label,
                    "path": path,
                    "status": status,
                    "queries": counts.get(label),
                    "p50": statistics.median(times) if times else None,
                    "p95": percentile(times, 95) if times else None,
                    "changed": t() * 1000,
                }
            )
            log(f"  {label}: {status} " + (f"p50 {results[-1]['p50']:.0f} ms" if times else ""))
        _, base_after = measure(browser, static, args.repeat)
    finally:
        stop_gunicorn(proc)
    base = base_times + base_after
    print(
        json.dumps(
            {
                "db": kind,
                "invoices": Invoice.objects.count(),
                "debtors": Debtor.objects.count(),
                "big_invoices": Invoice.objects.filter(debtor=big).count(),
                "actions": Action.objects.count(),
                "base_p50": statistics.median(base),
                "base_p95": percentile(base, 95),
                "pages": results,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--debtors", type=int, default=200_000)
    parser.add_argument(
        "--repeat", type=int, default=30, help="timed requests per page, after 3 warm-ups"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure again on the PostgreSQL database seeded by an earlier run",
    )
    parser.add_argument("--database", default=DB_NAME, help=f"database name (default {DB_NAME})")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if args.reuse and args.sqlite:
        parser.error(
            "--reuse works with PostgreSQL only (each SQLite run gets a fresh temporary file)"
        )
    if not args.sqlite and not postgres_available():
        raise SystemExit("PostgreSQL does not answer on 127.0.0.1:5432 (or use --sqlite)")
    forwarded = (
        [
            "--invoices",
            str(args.invoices),
            "--debtors",
            str(args.debtors),
            "--repeat",
            str(args.repeat),
            "--workers",
            str(args.workers),
        ]
        + (["--sqlite"] if args.sqlite else [])
        + (["--reuse"] if args.reuse else [])
        + ["--database", args.database]
    )
    r = run_child(Path(__file__), forwarded)
    rows = []
    for p in r["pages"]:
        if p["p50"] is None:
            rows.append(
                [
                    p["page"],
                    p["path"][:48],
                    p["queries"],
                    f"HTTP {p['status']}",
                    "",
                    "",
                    "",
                    "skipped",
                ]
            )
            continue
        rows.append(
            [
                p["page"],
                p["path"][:48],
                p["queries"],
                f"{p['p50']:.0f}",
                f"{p['p95']:.0f}",
                f"{p['p50'] / r['base_p50']:.0f}x",
                f"{p['changed']:.0f}",
                "yes" if p["p95"] <= TARGET_MS else "NO",
            ]
        )
    print(
        f"{r['db']}: {r['invoices']:,} invoices, {r['debtors']:,} debtors ({r['big_invoices']:,} on the big one),"
        f" {r['actions']:,} actions; static-file baseline p50 {r['base_p50']:.1f} ms, p95 {r['base_p95']:.1f} ms"
    )
    print_table(
        rows,
        [
            "page",
            "path",
            "queries",
            "p50 ms",
            "p95 ms",
            "p50/static",
            "after import ms",
            "p95<=300ms",
        ],
    )
    print(
        "queries: counted once in-process, figures not yet kept; after import: the first view"
        " after a new import batch, when the kept figures (workspace/figures.py) are computed again"
    )
    missed = sum(1 for row in rows if row[-1] == "NO")
    print(
        f"target: every page p95 <= {TARGET_MS:.0f} ms server time, full response on loopback"
        f" ({missed} page(s) miss it)"
    )


if __name__ == "__main__":
    main()
