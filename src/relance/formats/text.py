"""Text-file plumbing shared by the ledger readers (CSV ledger, FEC).

Reads a binary stream one physical line at a time and decodes it: UTF-8 with or without a
byte-order mark first (strict), else the format's legacy encoding (Windows-1252 for the CSV
ledger, ISO-8859-15 for the FEC as art. A47 A-1 LPF allows), with charset-normalizer consulted
only when that legacy encoding cannot be right. Also: separator detection from the header line,
header normalisation (case- and accent-insensitive), and the date forms the readers accept.

Nothing here holds more than one line of the file: a 1,000,000-line export streams through.
"""

from __future__ import annotations

import codecs
import dataclasses
import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any, BinaryIO, TypeVar

from relance.domain.problems import N_, Note, Problem, TranslatableError

T = TypeVar("T")

UTF8 = "utf-8"
WINDOWS_1252 = "cp1252"
ISO_8859_15 = "iso8859_15"

_HEAD_SIZE = 64 * 1024
# Bytes 0x80-0x9F are C1 control characters in ISO-8859-15, never text; Windows-1252 prints
# letters there (€, Œ, œ, ’). A "latin-9" file holding them was written by Windows.
_C1 = re.compile(rb"[\x80-\x9f]")
# A multi-byte UTF-8 sequence: legacy text almost never holds one by chance ("Ã©" is how
# "é" looks when UTF-8 is misread), so a file with them is UTF-8 with some broken lines.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}")


class DateError(TranslatableError):
    """Text that is not a date in an accepted form."""


def _legacy_encoding(sample: bytes, legacy: str) -> str:
    """The encoding of a non-UTF-8 sample: the format's legacy one unless it cannot be."""
    if b"\x00" not in sample:
        if legacy == ISO_8859_15 and _C1.search(sample) is None:
            return ISO_8859_15
        try:
            sample.decode(WINDOWS_1252)
        except UnicodeDecodeError:
            pass
        else:
            return WINDOWS_1252
    # Only here is guessing needed: bytes undefined in Windows-1252, or NULs (UTF-16 without BOM).
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    return codecs.lookup(best.encoding).name if best is not None else legacy


class _Prefixed(io.RawIOBase):
    """A raw stream that replays bytes already read, then reads on."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        chunk = self._rest.read(len(buffer))
        n = len(chunk)
        buffer[:n] = chunk
        return n


def replay(head: bytes, rest: BinaryIO) -> BinaryIO:
    """A binary stream that reads ``head`` (bytes already taken from ``rest``), then ``rest``.

    Lets a caller sniff a stream that cannot seek (a pipe, an upload) and still hand it whole
    to a reader.

    >>> stream = io.BytesIO(b"abcdef")
    >>> head = stream.read(2)
    >>> replay(head, stream).read()
    b'abcdef'
    """
    return io.BufferedReader(_Prefixed(head, rest), buffer_size=_HEAD_SIZE)


class TextSource:
    """The decoded physical lines of a binary stream, line endings kept (as ``csv`` wants).

    ``encoding`` is what was detected; ``problems`` holds ``encoding`` problems (lines that
    could not be decoded and were read with replacement characters); ``line_number`` is the
    1-based number of the last line yielded.

    >>> source = TextSource(io.BytesIO("a;b\\r\\nRaison sociale;Société\\n".encode("cp1252")),
    ...                     legacy=WINDOWS_1252)
    >>> list(source), source.encoding
    (['a;b\\r\\n', 'Raison sociale;Société\\n'], 'cp1252')
    """

    def __init__(self, stream: BinaryIO, *, legacy: str) -> None:
        self.legacy = legacy
        self.encoding = UTF8
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        self.line_number = 0
        head = stream.read(_HEAD_SIZE)
        self._raw = replay(head, stream)
        self._utf16 = False
        if head.startswith(codecs.BOM_UTF8):
            self._raw.read(len(codecs.BOM_UTF8))
        elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            self.encoding = "utf-16"
            self._utf16 = True
        else:
            # A cut at the end of the head may split a character: judge complete lines only.
            complete = head if len(head) < _HEAD_SIZE else head[: head.rfind(b"\n") + 1]
            try:
                complete.decode(UTF8)
            except UnicodeDecodeError:
                if _UTF8_SEQUENCE.search(complete) is not None:
                    return  # mixed: read as UTF-8, the broken lines become problems
                self.encoding = _legacy_encoding(complete, legacy)
                if self.encoding != legacy:
                    self.notes.append(
                        Note(
                            N_(
                                "The file is neither UTF-8 nor %(legacy)s; it was read as %(encoding)s."
                            ),
                            legacy=codecs.lookup(legacy).name,
                            encoding=self.encoding,
                        )
                    )

    def __iter__(self) -> Iterator[str]:
        if self._utf16:
            text = io.TextIOWrapper(self._raw, encoding="utf-16", newline="")
            for line in text:
                self.line_number += 1
                yield line
            return
        encoding = self.encoding
        # While every line so far is plain ASCII, a later non-UTF-8 line just means the file
        # was never UTF-8: the earlier lines read the same in the legacy encoding.
        only_ascii = encoding == UTF8
        number = 0
        for raw in self._raw:
            number += 1
            self.line_number = number
            if only_ascii and not raw.isascii():
                try:
                    yield raw.decode(UTF8)
                except UnicodeDecodeError:
                    encoding = self.encoding = _legacy_encoding(raw, self.legacy)
                    only_ascii = False
                else:
                    only_ascii = False
                    continue
            try:
                yield raw.decode(encoding)
            except UnicodeDecodeError as exc:
                self.problems.append(
                    Problem.of(
                        "encoding",
                        N_(
                            "byte %(byte)r is not valid %(encoding)s, the encoding of the rest "
                            "of the file; save the whole file in one encoding "
                            "(UTF-8 or Windows-1252)"
                        ),
                        number,
                        byte=raw[exc.start : exc.end],
                        encoding=encoding,
                    )
                )
                yield raw.decode(encoding, errors="replace")


def head_line(head: bytes) -> str:
    """The first line of a file's first bytes, decoded leniently (for sniffing).

    >>> head_line(codecs.BOM_UTF8 + b"JournalCode\\tJournalLib\\r\\nVE\\t")
    'JournalCode\\tJournalLib'
    """
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = head.decode("utf-16", errors="replace")
    else:
        text = head.decode("utf-8-sig", errors="replace")
    return text.splitlines()[0] if text else ""


def detect_separator(header: str, candidates: str) -> str:
    """The candidate separator that occurs most in the header line (the first on a tie).

    >>> detect_separator("Numéro facture;Client;Montant TTC", ",;\\t")
    ';'
    >>> detect_separator("invoice_number", ",;\\t")
    ','
    """
    best = candidates[0]
    best_count = 0
    for candidate in candidates:
        count = header.count(candidate)
        if count > best_count:
            best, best_count = candidate, count
    return best


_HEADER_SEPARATORS = re.compile(r"[\s\-'’.]+")


def normalize_header(name: str) -> str:
    """A header reduced to compare names: no accents, lower case, words joined by ``_``.

    >>> normalize_header(" Date d'échéance ")
    'date_d_echeance'
    >>> normalize_header("Numéro-Facture")
    'numero_facture'
    """
    decomposed = unicodedata.normalize("NFKD", name.strip().strip("\ufeff"))
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _HEADER_SEPARATORS.sub("_", bare.lower()).strip("_")


_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_FRENCH = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")


def _date(year: str, month: str, day: str, text: str) -> date:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise DateError(N_("%(value)r is not a date"), value=text) from None


def parse_date(text: str) -> date:
    """Parse a date written ``YYYY-MM-DD`` or ``DD/MM/YYYY`` (day first, as in France).

    >>> parse_date("2026-01-08"), parse_date("08/01/2026"), parse_date("8/1/2026")
    (datetime.date(2026, 1, 8), datetime.date(2026, 1, 8), datetime.date(2026, 1, 8))
    """
    value = text.strip()
    match = _ISO.fullmatch(value)
    if match is not None:
        return _date(match[1], match[2], match[3], text)
    match = _FRENCH.fullmatch(value)
    if match is not None:
        return _date(match[3], match[2], match[1], text)
    raise DateError(N_("%(value)r is not a date (expected YYYY-MM-DD or DD/MM/YYYY)"), value=text)


def parse_fec_date(text: str) -> date:
    """Parse a FEC date, ``YYYYMMDD`` (art. A47 A-1 LPF).

    >>> parse_fec_date("20260108")
    datetime.date(2026, 1, 8)
    """
    match = _COMPACT.fullmatch(text.strip())
    if match is None:
        raise DateError(N_("%(value)r is not a date (expected YYYYMMDD)"), value=text)
    return _date(match[1], match[2], match[3], text)


def record_maker(cls: type[T]) -> Callable[..., T]:
    """A positional constructor for a frozen, slotted dataclass, some 5× faster than ``cls``.

    A frozen dataclass sets each field through ``object.__setattr__``, which costs the ledger
    readers more per row (2-3 µs) than everything else they do with a clean row. The maker
    fills a mutable twin with the very same slots, then turns it into ``cls``: the record is
    a plain ``cls`` instance, equal to and indistinguishable from ``cls(*values)``, and frozen.
    Falls back to ``cls`` itself when the class is not a plain slotted dataclass (a base class,
    a ``__post_init__``, other slots) or when the result would differ from ``cls(*values)``.

    >>> @dataclasses.dataclass(frozen=True, slots=True)
    ... class Point:
    ...     x: int
    ...     y: int = 0
    >>> point = record_maker(Point)(1, 2)
    >>> point, type(point) is Point, point == Point(1, 2)
    (Point(x=1, y=2), True, True)
    """
    if not dataclasses.is_dataclass(cls):
        return cls
    names = tuple(field.name for field in dataclasses.fields(cls))
    if (
        cls.__bases__ != (object,)
        or getattr(cls, "__slots__", None) != names
        or hasattr(cls, "__post_init__")
        or not all(name.isidentifier() and not name.startswith("_") for name in names)
    ):
        return cls
    twin = type(f"_Mutable{cls.__name__}", (), {"__slots__": names})
    # A field's plain default stays optional, as in ``cls``: taken from a name bound below.
    defaults = {
        f.name: f.default
        for f in dataclasses.fields(cls)
        if f.default is not dataclasses.MISSING
    }
    params = [f"{name}=_default_{name}" if name in defaults else name for name in names]
    # Generated like dataclasses' own __init__, from the class's field names only.
    source = (
        f"def make({', '.join(params)}):\n"
        "    _record = _new(_twin)\n"
        + "".join(f"    _record.{name} = {name}\n" for name in names)
        + "    _record.__class__ = _cls\n"
        "    return _record\n"
    )
    namespace: dict[str, Any] = {"_new": object.__new__, "_twin": twin, "_cls": cls}
    namespace.update({f"_default_{name}": value for name, value in defaults.items()})
    try:
        exec(source, namespace)  # noqa: S102 - the source is built from field names only
        make: Callable[..., T] = namespace["make"]
        values = [object() for _name in names]
        made = make(*values)
        if type(made) is not cls or made != cls(*values):
            return cls
    except (TypeError, SyntaxError):  # pragma: no cover - a layout CPython cannot swap
        return cls
    return make
