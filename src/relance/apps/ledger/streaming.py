"""How an import reads its records: in chunks, read ahead by a second thread that also sorts
out each chunk's debtors, with Python's cyclic garbage collector paused meanwhile.

Nothing here touches the database.
"""

from __future__ import annotations

import dataclasses
import gc
import itertools
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from relance.domain.ledger import DebtorRecord, InvoiceRecord

_DEBTOR_FIELDS = attrgetter(*(f.name for f in dataclasses.fields(DebtorRecord)))


def _chunks(records: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(records)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


_DONE = object()


_gc_lock = threading.Lock()


_gc_pausers = 0


_gc_was_enabled = False


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a large import runs.

    An import allocates millions of short-lived tuples and records (freed by reference
    counting) beside hundreds of thousands of long-lived ones (the debtors and invoice
    numbers it has seen), which every full collection walks again: a third of a
    million-row import's CPU time went to collections that found nothing. The records form
    no cycles. Imports running at once share the pause; the last one out restores it.
    """
    global _gc_pausers, _gc_was_enabled
    with _gc_lock:
        if _gc_pausers == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pausers += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers -= 1
            if _gc_pausers == 0 and _gc_was_enabled:
                gc.enable()


class ReadAhead:
    """Chunks of records read by a second thread while the caller writes the previous ones.

    Reading is Python work; writing is mostly the database's (PostgreSQL's server, SQLite's
    B-trees, both without the GIL): on two cores they overlap. ``prepare``, run on each chunk
    in the reader thread, takes more of the Python work off the writer. At most two chunks
    wait in the queue, so memory stays bounded. The reader thread touches no database. Use
    as a context manager: leaving it, on success or error, stops and joins the thread.
    """

    def __init__(
        self,
        records: Iterable[Any],
        size: int,
        prepare: Callable[[list[Any]], Any] = lambda chunk: chunk,
    ):
        self._records = records
        self._size = size
        self._prepare = prepare
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, name="ledger-read-ahead", daemon=True)

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)  # wakes up to notice a stop
                return True
            except queue.Full:
                continue
        return False

    def _read(self) -> None:
        try:
            for chunk in _chunks(self._records, self._size):
                if not self._put(self._prepare(chunk)):
                    return
        except BaseException as exc:  # handed to the writing thread, which raises it
            self._put(exc)
            return
        self._put(_DONE)

    def __enter__(self) -> Iterator[Any]:
        self._thread.start()
        return self._chunks()

    def _chunks(self) -> Iterator[Any]:
        while (item := self._queue.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass(slots=True)
class Chunk:
    """A chunk of records, with what the read-ahead thread found out about its debtors."""

    records: list[InvoiceRecord]
    debtors: dict[str, DebtorRecord]  # by account, each as the chunk first shows it
    news: list[DebtorRecord]  # those the file shows for the first time, or changed since


class DebtorsSeen:
    """Sorts a chunk's debtors out against what the file showed before.

    Runs in the read-ahead thread (see ``ReadAhead``): comparing hundreds of thousands of
    debtors field by field is Python work that needs no database, and the writer's thread is
    the busier one. The records are the export's own, so the writer's decisions stay the same:
    a debtor is created the first time the file names it and refreshed when it changes.
    """

    def __init__(self) -> None:
        self._last: dict[str, DebtorRecord] = {}

    def __call__(self, records: list[InvoiceRecord]) -> Chunk:
        debtors: dict[str, DebtorRecord] = {}
        want = debtors.setdefault
        for debtor in [r.debtor for r in records]:
            want(debtor.account, debtor)
        last = self._last
        # Records are shared between a debtor's rows, so many are the very one seen before;
        # the others are compared field by field in C (a dataclass's __eq__ is Python).
        fields_of = _DEBTOR_FIELDS
        news = [
            rec
            for account, rec in debtors.items()
            if (before := last.get(account)) is not rec
            and (before is None or fields_of(before) != fields_of(rec))
        ]
        for rec in news:
            last[rec.account] = rec
        return Chunk(records, debtors, news)
