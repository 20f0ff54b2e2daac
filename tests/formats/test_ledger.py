"""Opening a ledger export: the format comes from the content, never from the file name."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from relance.domain.errors import InvalidInputError
from relance.formats.fec import FecReader
from relance.formats.ledger import detect_format, open_ledger
from relance.formats.ledger_csv import LedgerCsvReader

CSV = (
    "Numéro facture;Compte client;Client;Date facture;Date échéance;Montant TTC\r\n"
    "F1;C1;Dupont;01/01/2026;31/01/2026;12,50\r\n"
).encode("cp1252")


class Pipe(io.RawIOBase):
    """A stream that cannot seek, like an upload or stdin."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def seekable(self) -> bool:
        return False


def test_a_fec_is_recognised_by_its_header(samples: Path) -> None:
    data = (samples / "fec" / "rezdevops-fec-minimal-conforme.txt").read_bytes()
    reader = open_ledger(Pipe(data), payment_terms_days=60)  # type: ignore[arg-type]

    assert isinstance(reader, FecReader)
    [record] = list(reader)
    assert reader.report.format == "fec"
    assert (record.due_date - record.issue_date).days == 60


def test_a_csv_ledger_is_recognised_and_read_whole_from_a_stream_that_cannot_seek() -> None:
    reader = open_ledger(Pipe(CSV), default_currency="CHF")  # type: ignore[arg-type]

    assert isinstance(reader, LedgerCsvReader)
    [record] = list(reader)
    assert (record.number, record.currency, record.line) == ("F1", "CHF", 2)
    assert reader.report.problems == []


def test_a_forced_format_skips_detection() -> None:
    reader = open_ledger(io.BytesIO(b"nothing known here\n"), format="csv")

    assert list(reader) == []
    assert [p.code for p in reader.report.problems] == ["missing_column"] * 6


def test_an_unknown_content_is_a_clear_error() -> None:
    with pytest.raises(InvalidInputError, match="neither a FEC") as caught:
        open_ledger(io.BytesIO(b"%PDF-1.7\n"))

    assert caught.value.code == "unknown_format"


def test_an_unknown_format_name_is_a_clear_error() -> None:
    with pytest.raises(InvalidInputError, match="use auto, csv or fec"):
        open_ledger(io.BytesIO(CSV), format="xlsx")  # type: ignore[arg-type]


def test_detect_format_reads_bytes_only() -> None:
    assert detect_format(b"\xef\xbb\xbfJournalCode\tJournalLib") == "fec"
    assert detect_format(CSV) == "csv"
    assert detect_format(b"") is None
