"""Set-based writes keep every value exactly, whatever the database."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from relance.apps.ledger import services, writer
from relance.apps.ledger.models import Debtor, Invoice
from relance.apps.ledger.services import ledger_import

pytestmark = pytest.mark.django_db


def test_names_with_delimiters_and_escapes_survive_the_bulk_write(creditor):
    awkward = 'Dupont \\ Fils "Le Tab\tlier" & Cie'
    text = (
        "invoice_number\tdebtor_account\tdebtor_name\tissue_date\tdue_date\ttotal_amount\topen_amount\n"
        f'FA-1\t411\\X\t"{awkward.replace(chr(34), chr(34) * 2)}"\t2026-01-31\t2026-03-02\t0.01\t0.01\n'
        "FA-2\t411Y\tÉlodie Ñúñez — 10 €\t2026-01-31\t2026-03-02\t123456789012.34\t0\n"
    )
    result = ledger_import(
        creditor=creditor,
        stream=io.BytesIO(text.encode()),
        filename="x.tsv",
        as_of=date(2026, 4, 1),
    )
    assert result.ok, result.problems
    assert Debtor.objects.get(account="411\\X").name == awkward
    assert Debtor.objects.get(account="411Y").name == "Élodie Ñúñez — 10 €"
    fa2 = Invoice.objects.get(number="FA-2")
    assert (fa2.total_amount, fa2.open_amount, fa2.status) == (
        Decimal("123456789012.34"),
        Decimal("0.00"),
        "paid",
    )
    assert Invoice.objects.get(number="FA-1").due_date == date(2026, 3, 2)


HEADER = "invoice_number;debtor_account;debtor_name;issue_date;due_date;total_amount;open_amount\n"


def _rows(count: int, start: int = 0) -> str:
    return "".join(
        f"FC-{i:04d};411C{i % 7};Client {i % 7} SAS;2026-01-{1 + i % 28:02d};2026-03-02;{10 + i},00;{5 + i},00\n"
        for i in range(start, start + count)
    )


def _import(creditor, text: str):
    return ledger_import(
        creditor=creditor,
        stream=io.BytesIO(text.encode()),
        filename="x.csv",
        as_of=date(2026, 4, 1),
        full=True,
    )


def _indexes(*tables: str) -> list[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = ANY(%s)"
                " ORDER BY tablename, indexname",
                [list(tables)],
            )
        else:
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                f" AND tbl_name IN ({', '.join(['%s'] * len(tables))}) ORDER BY tbl_name, name",
                list(tables),
            )
        return [row[0] for row in cursor.fetchall()]


TABLES = ("ledger_invoice", "ledger_debtor")


def _statements(queries: CaptureQueriesContext, verb: str) -> list[str]:
    return [
        q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(verb)
    ]


@pytest.fixture
def small_thresholds(monkeypatch):
    """Chunks of 3 rows, indexes set aside from 4 new invoices: a large import in miniature."""
    monkeypatch.setattr(services, "CHUNK", 3)
    monkeypatch.setattr(writer, "REBUILD_INDEXES_FROM", 4)


def test_a_large_import_rebuilds_the_indexes_it_set_aside(creditor, small_thresholds):
    if connection.vendor != "sqlite":
        pytest.skip("only SQLite imports set indexes aside (PostgreSQL: see test_concurrent_imports)")
    before = _indexes(*TABLES)
    aside = [s for s in before if "UNIQUE" not in s]  # invoices' and debtors'
    with CaptureQueriesContext(connection) as queries:
        result = _import(creditor, HEADER + _rows(20))
    assert result.ok, result.problems
    assert len(_statements(queries, "DROP INDEX")) == len(aside)
    assert sorted(_statements(queries, "CREATE INDEX")) == sorted(aside)
    assert _indexes(*TABLES) == before
    assert Invoice.objects.count() == 20
    assert Invoice.objects.get(number="FC-0019").open_amount == Decimal("24.00")
    assert Debtor.objects.filter(creditor=creditor).count() == 7


def test_a_refused_import_leaves_the_indexes_it_set_aside(creditor, small_thresholds):
    before = _indexes(*TABLES)
    bad = HEADER + _rows(20) + "FC-BAD;411Z;Z SAS;2026-02-30;2026-03-02;10,00;10,00\n"
    with CaptureQueriesContext(connection) as queries:
        result = _import(creditor, bad)
    assert [p.code for p in result.problems] == ["bad_date"]
    assert bool(_statements(queries, "DROP INDEX")) == (connection.vendor == "sqlite")
    assert _indexes(*TABLES) == before
    assert Invoice.objects.count() == 0


def test_a_small_import_into_a_large_table_keeps_its_indexes(creditor, small_thresholds):
    assert _import(creditor, HEADER + _rows(40)).ok
    with CaptureQueriesContext(connection) as queries:
        result = _import(creditor, HEADER + _rows(45))
    assert (result.created, result.unchanged) == (5, 40)
    assert _statements(queries, "DROP INDEX") == []


def test_bulk_rows_store_dates_and_timestamps_as_the_orm_does(creditor):
    assert _import(creditor, HEADER + _rows(3)).ok
    if connection.vendor == "sqlite":  # the text itself: ISO dates, naive UTC timestamps
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT issue_date || '', created_at || '', updated_at || '' FROM ledger_invoice ORDER BY number"
            )
            rows = cursor.fetchall()
            cursor.execute("SELECT created_at || '' FROM ledger_importbatch")
            (orm_stamp,) = cursor.fetchone()
        assert [r[0] for r in rows] == ["2026-01-01", "2026-01-02", "2026-01-03"]
        stamp = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?")
        assert stamp.fullmatch(orm_stamp)
        assert all(stamp.fullmatch(r[1]) and stamp.fullmatch(r[2]) for r in rows), rows
    since = timezone.now() - timedelta(minutes=5)
    assert Invoice.objects.filter(created_at__gte=since, updated_at__gte=since).count() == 3
    assert [i.issue_date for i in Invoice.objects.order_by("number")] == [
        date(2026, 1, 1),
        date(2026, 1, 2),
        date(2026, 1, 3),
    ]


@pytest.mark.django_db(transaction=True)
def test_an_sqlite_import_writes_without_foreign_key_checks_and_leaves_every_reference_sound():
    if connection.vendor != "sqlite":
        pytest.skip("only SQLite imports turn foreign-key checks off")
    from tests.factories import CreditorFactory

    creditor = CreditorFactory()
    first = HEADER + _rows(20)
    newer = HEADER + _rows(10, start=5) + _rows(5, start=40)  # 5 settled, 5 new
    with CaptureQueriesContext(connection) as queries:
        assert _import(creditor, first).ok
        assert _import(creditor, newer).ok
    assert _statements(queries, "PRAGMA FOREIGN_KEYS = OFF")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_key_check")
        assert cursor.fetchall() == []
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1  # on again for everything else
    assert Invoice.objects.count() == 25


@pytest.mark.django_db(transaction=True)
def test_an_import_for_a_creditor_deleted_meanwhile_writes_nothing():
    from relance.domain.errors import NotFoundError
    from tests.factories import CreditorFactory

    creditor = CreditorFactory()
    type(creditor).objects.filter(pk=creditor.pk).delete()
    with pytest.raises(NotFoundError):
        _import(creditor, HEADER + _rows(3))
    assert Invoice.objects.count() == Debtor.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_an_sqlite_import_sorts_its_indexes_in_runs_and_restores_the_settings(monkeypatch):
    if connection.vendor != "sqlite":
        pytest.skip("only SQLite imports set indexes aside")
    from tests.factories import CreditorFactory

    monkeypatch.setattr(services, "CHUNK", 3)
    monkeypatch.setattr(writer, "REBUILD_INDEXES_FROM", 4)

    def settings() -> list[int]:
        with connection.cursor() as cursor:
            names = ("temp_store", "cache_size")
            return [cursor.execute(f"PRAGMA {name}").fetchone()[0] for name in names]

    during: list[list[int]] = []
    create = writer.create_indexes
    monkeypatch.setattr(
        writer,
        "create_indexes",
        lambda statements: (during.append(settings()), create(statements)),
    )
    before = settings()
    assert _import(CreditorFactory(), HEADER + _rows(20)).ok
    assert during == [[1, before[1]]]  # temporary files, so runs of a bounded size
    assert settings() == before


def _dangling_references() -> int:
    """Rows whose reference leads nowhere, among what imports write."""
    checks = [
        ("ledger_invoice", "debtor_id", "ledger_debtor"),
        ("ledger_invoice", "creditor_id", "creditors_creditor"),
        ("ledger_invoice", "import_batch_id", "ledger_importbatch"),
        ("ledger_debtor", "creditor_id", "creditors_creditor"),
        ("ledger_allocation", "invoice_id", "ledger_invoice"),
        ("ledger_allocation", "payment_id", "ledger_payment"),
    ]
    with connection.cursor() as cursor:
        return sum(
            cursor.execute(
                f"SELECT COUNT(*) FROM {child} c WHERE c.{column} IS NOT NULL"
                f" AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.id = c.{column})"
            ).fetchone()[0]
            for child, column, parent in checks
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_first_postgresql_import_skips_row_by_row_checks_and_leaves_every_reference_sound():
    from tests.factories import CreditorFactory

    creditor = CreditorFactory()
    with CaptureQueriesContext(connection) as queries:
        assert _import(creditor, HEADER + _rows(20)).ok
    assert _statements(queries, "SET LOCAL SESSION_REPLICATION_ROLE = REPLICA")
    with CaptureQueriesContext(connection) as queries:  # the creditor has invoices now
        assert _import(creditor, HEADER + _rows(10, start=5) + _rows(5, start=40)).ok
    assert not _statements(queries, "SET LOCAL SESSION_REPLICATION_ROLE")
    assert _dangling_references() == 0
    with connection.cursor() as cursor:
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "origin"  # SET LOCAL ended with the import's transaction
    assert Invoice.objects.count() == 25


@pytest.mark.postgres
def test_without_the_privilege_postgresql_keeps_its_checks_and_the_transaction_goes_on(db):
    from relance.apps.ledger.bulk import foreign_key_checks_off

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE pg_monitor")  # a role that may not set it
        try:
            assert foreign_key_checks_off() is False
        finally:
            cursor.execute("RESET ROLE")
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "origin"
    assert Invoice.objects.count() == 0


def test_an_import_into_an_empty_table_sets_indexes_aside_from_its_first_rows(creditor):
    assert Invoice.objects.count() == 0
    with CaptureQueriesContext(connection) as queries:
        assert _import(creditor, HEADER + _rows(3)).ok  # far below REBUILD_INDEXES_FROM
    # PostgreSQL never drops an index: it would lock every other creditor out of the table.
    assert bool(_statements(queries, "DROP INDEX")) == (connection.vendor == "sqlite")
    with CaptureQueriesContext(connection) as queries:
        assert _import(creditor, HEADER + _rows(6)).ok
    assert _statements(queries, "DROP INDEX") == []
