"""The import reads the next chunks in a second thread: in order, errors passed on, stopped on exit."""

from __future__ import annotations

import itertools
import threading

import pytest

from relance.apps.ledger.services import _ReadAhead


def _threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "ledger-read-ahead"]


def test_chunks_come_in_order_and_the_thread_ends():
    with _ReadAhead(range(10), 3) as chunks:
        assert list(chunks) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert _threads() == []


def test_an_error_while_reading_is_raised_to_the_writer():
    def records():
        yield 1
        yield 2
        raise ValueError("unreadable")

    def write() -> None:
        with _ReadAhead(records(), 1) as chunks:
            assert next(chunks) == [1]
            list(chunks)

    with pytest.raises(ValueError, match="unreadable"):
        write()
    assert _threads() == []


def test_a_writer_that_stops_early_stops_the_reader():
    endless = itertools.count()

    def write() -> None:
        with _ReadAhead(endless, 5) as chunks:
            assert next(chunks) == [0, 1, 2, 3, 4]
            raise RuntimeError("the database refused a write")

    with pytest.raises(RuntimeError, match="refused"):
        write()
    assert _threads() == []
    assert next(endless) < 100  # the reader stopped with the queue full, two or three chunks ahead
