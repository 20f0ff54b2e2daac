"""The import reads ahead in a second thread (in order, errors passed on, stopped on exit) and
pauses the cyclic garbage collector while it runs."""

from __future__ import annotations

import gc
import io
import itertools
import threading
from datetime import date

import pytest

from relance.apps.ledger.models import Invoice
from relance.apps.ledger.services import ledger_import
from relance.apps.ledger.streaming import ReadAhead, cyclic_gc_paused


def _threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "ledger-read-ahead"]


def test_chunks_come_in_order_and_the_thread_ends():
    with ReadAhead(range(10), 3) as chunks:
        assert list(chunks) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert _threads() == []


def test_an_error_while_reading_is_raised_to_the_writer():
    def records():
        yield 1
        yield 2
        raise ValueError("unreadable")

    def write() -> None:
        with ReadAhead(records(), 1) as chunks:
            assert next(chunks) == [1]
            list(chunks)

    with pytest.raises(ValueError, match="unreadable"):
        write()
    assert _threads() == []


def test_a_writer_that_stops_early_stops_the_reader():
    endless = itertools.count()

    def write() -> None:
        with ReadAhead(endless, 5) as chunks:
            assert next(chunks) == [0, 1, 2, 3, 4]
            raise RuntimeError("the database refused a write")

    with pytest.raises(RuntimeError, match="refused"):
        write()
    assert _threads() == []
    assert next(endless) < 100  # the reader stopped with the queue full, two or three chunks ahead


def test_imports_at_once_share_one_pause_of_the_cyclic_gc():
    assert gc.isenabled()
    first, second = cyclic_gc_paused(), cyclic_gc_paused()
    first.__enter__()
    second.__enter__()
    assert not gc.isenabled()
    first.__exit__(None, None, None)
    assert not gc.isenabled()  # the second import still runs
    second.__exit__(None, None, None)
    assert gc.isenabled()


@pytest.mark.django_db
def test_the_cyclic_gc_runs_again_after_an_import_refused_or_taken(creditor):
    header = "invoice_number;debtor_account;debtor_name;issue_date;due_date;total_amount\n"
    for text in (
        header + "F1;411A;A SAS;2026-01-31;2026-02-30;1,00\n",
        header + "F1;411A;A SAS;2026-01-31;2026-03-02;1,00\n",
    ):
        ledger_import(
            creditor=creditor,
            stream=io.BytesIO(text.encode()),
            filename="x.csv",
            as_of=date(2026, 4, 1),
        )
        assert gc.isenabled()
    assert Invoice.objects.count() == 1
