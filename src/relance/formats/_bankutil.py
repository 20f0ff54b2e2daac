"""Small helpers shared by the bank-statement readers (camt, OFX, CFONB, bank CSV), and
``BankFormat``, the entry each of them gives ``relance.formats.bank``'s registry.

Decoding follows what French banks actually send: UTF-8 (with or without a BOM), else
Windows-1252, a superset of the Latin-1 printable range that CFONB and OFX 1.x files use.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from relance.domain.banking import BankReport

_BOMS = (b"\xef\xbb\xbf",)
HEAD = 65536  # the bytes a format is identified from


@dataclass(frozen=True, slots=True)
class BankFormat:
    """One bank file format, as beangulp's importer: ``identify`` says from a file's bytes
    whether it is this format, ``extract`` reads it.

    ``name`` is the value of ``relance import bank --format`` and the report's ``format``;
    ``label`` how a person calls it, in English, marked ``N_`` when French says it otherwise
    (formats one module reads may share a label: ``camt.053/054``).
    """

    name: str
    label: str
    identify: Callable[[bytes], bool]
    extract: Callable[[bytes], BankReport]


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode a bank file: UTF-8 when it is valid UTF-8, else cp1252, else Latin-1.

    >>> decode_text("été".encode("utf-8"))
    ('été', 'utf-8')
    >>> decode_text("été".encode("cp1252"))
    ('été', 'cp1252')
    """
    for bom in _BOMS:
        if data.startswith(bom):
            data = data[len(bom) :]
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; Latin-1 maps every byte.
        return data.decode("latin-1"), "latin-1"


def head_text(data: bytes) -> str:
    """The start of a text file, decoded as ``decode_text`` does, for ``identify``."""
    return decode_text(data[:HEAD])[0]


def compact_iban(text: str) -> str:
    """Upper case without spaces or dashes; not validated (statements carry foreign ids too).

    >>> compact_iban(" fr76 3000-3000 ")
    'FR7630003000'
    """
    return re.sub(r"[\s\-.]", "", text).upper()


def clean(text: str | None) -> str:
    """Collapse runs of white space; ``None`` becomes an empty string.

    >>> clean("  A   B\\n C ")
    'A B C'
    """
    if not text:
        return ""
    return " ".join(text.split())


def join_texts(parts: list[str]) -> str:
    """Join non-empty texts with a space, dropping exact repeats (banks often echo a field)."""
    seen: list[str] = []
    for part in parts:
        part = clean(part)
        if part and part not in seen:
            seen.append(part)
    return " ".join(seen)


def parse_yymmdd_fr(text: str) -> date:
    """A CFONB ``JJMMAA`` date; years 00-79 are 20xx, 80-99 are 19xx.

    >>> parse_yymmdd_fr("130124")
    datetime.date(2024, 1, 13)
    """
    if not re.fullmatch(r"\d{6}", text):
        raise ValueError(f"{text!r} is not a JJMMAA date")
    day, month, year = int(text[0:2]), int(text[2:4]), int(text[4:6])
    year += 2000 if year < 80 else 1900
    return date(year, month, day)


def parse_flexible_date(text: str) -> date:
    """ISO ``2024-01-13``, ``13/01/2024``, ``13.01.2024``, ``13-01-2024``, ``13/01/24``, ``20240113``.

    >>> parse_flexible_date("13/01/24")
    datetime.date(2024, 1, 13)
    >>> parse_flexible_date("2024-01-13T10:00:00")
    datetime.date(2024, 1, 13)
    """
    raw = text.strip()
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?", raw)
    if match:
        return date(int(match[1]), int(match[2]), int(match[3]))
    match = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})", raw)
    if match:
        year = int(match[3])
        if len(match[3]) == 2:
            year += 2000 if year < 80 else 1900
        return date(year, int(match[2]), int(match[1]))
    match = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", raw)
    if match:
        return date(int(match[1]), int(match[2]), int(match[3]))
    raise ValueError(f"{text!r} is not a date")
