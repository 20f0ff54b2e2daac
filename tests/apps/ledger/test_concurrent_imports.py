"""Imports at once on PostgreSQL: one creditor's imports take turns (its lock, as the daily pass
takes it), and no import ever holds a lock that makes another creditor wait (issue #19, 5)."""

from __future__ import annotations

import io
import threading
from datetime import date

import pytest
from django.db import connection

from relance.apps.ledger import services, writer
from relance.apps.ledger.models import Invoice
from relance.apps.ledger.services import ledger_import

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

HEADER = "invoice_number;debtor_account;debtor_name;issue_date;due_date;total_amount;open_amount\n"


def _rows(prefix: str, count: int) -> str:
    return HEADER + "".join(
        f"{prefix}-{i:05d};411{prefix}{i % 9};Client {prefix}{i % 9} SAS;2026-01-{1 + i % 28:02d};"
        f"2026-03-02;{10 + i},00;{10 + i},00\n"
        for i in range(count)
    )


def _import(creditor, text: str):
    # Each file is the whole open list (--full): a file that leaves out many open invoices
    # would otherwise ask before settling them, and settle nothing.
    return ledger_import(
        creditor=creditor, stream=io.BytesIO(text.encode()), filename="x.csv", as_of=date(2026, 4, 1),
        full=True,
    )


def _in_threads(*jobs):
    """Run each job in a thread of its own (its own database connection), all released at
    once; returns their results or raises the first error."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(n, job):
        try:
            barrier.wait()
            results[n] = job()
        except BaseException as exc:  # handed to the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n, job)) for n, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


def test_two_full_imports_at_once_settle_what_either_order_would():
    from tests.factories import CreditorFactory

    creditor = CreditorFactory()
    first, second = _rows("A", 400), _rows("B", 400)
    results = _in_threads(lambda: _import(creditor, first), lambda: _import(creditor, second))
    assert all(r.ok for r in results), [r.problems for r in results]
    # Whichever ran first, the other's file is the whole ledger: the first file's invoices
    # were settled, and once only.
    assert sorted(r.settled for r in results) == [0, 400]
    assert sorted(r.created for r in results) == [400, 400]
    later = next(r for r in results if r.settled)
    kept = "B" if later is results[1] else "A"
    open_numbers = set(
        Invoice.objects.filter(creditor=creditor, status=Invoice.Status.OPEN).values_list(
            "number", flat=True
        )
    )
    assert open_numbers == {f"{kept}-{i:05d}" for i in range(400)}
    assert Invoice.objects.filter(creditor=creditor).count() == 800


def test_two_first_imports_of_two_creditors_into_an_empty_table_both_commit(monkeypatch):
    from tests.factories import CreditorFactory

    monkeypatch.setattr(services, "CHUNK", 50)
    monkeypatch.setattr(writer, "REBUILD_INDEXES_FROM", 4)
    a, b = CreditorFactory(), CreditorFactory()
    assert Invoice.objects.count() == 0
    results = _in_threads(lambda: _import(a, _rows("A", 300)), lambda: _import(b, _rows("B", 300)))
    assert [r.created for r in results] == [300, 300]
    assert Invoice.objects.filter(creditor=a).count() == Invoice.objects.filter(creditor=b).count() == 300


def test_a_first_big_import_never_makes_another_creditor_wait(monkeypatch):
    from tests.factories import CreditorFactory

    monkeypatch.setattr(services, "CHUNK", 50)
    monkeypatch.setattr(writer, "REBUILD_INDEXES_FROM", 4)
    a, b = CreditorFactory(), CreditorFactory()
    assert _import(b, _rows("B", 20)).ok
    written, go_on = threading.Event(), threading.Event()
    finish = writer.LedgerWriter.finish

    def held_finish(self):
        if self.creditor.pk == a.pk:  # A's rows are written, its transaction still open
            written.set()
            assert go_on.wait(60)
        finish(self)

    monkeypatch.setattr(writer.LedgerWriter, "finish", held_finish)
    result: list[object] = []

    def import_a():
        try:
            result.append(_import(a, _rows("A", 500)))
        finally:
            written.set()
            connection.close()

    thread = threading.Thread(target=import_a)
    thread.start()
    try:
        assert written.wait(60)
        with connection.cursor() as cursor:
            # A lock held by A's import would fail these at once rather than stall them.
            cursor.execute("SET lock_timeout = '3s'")
            try:
                assert Invoice.objects.filter(creditor=b).count() == 20  # B's aging reads
                again = _import(b, _rows("B", 25))  # B's own import writes
            finally:
                cursor.execute("RESET lock_timeout")
    finally:
        go_on.set()
        thread.join()
    assert (again.created, again.unchanged) == (5, 20)
    assert result
    assert result[0].created == 500  # type: ignore[attr-defined]
