"""One entry point for bank files: the registry of formats, detection and reading.

``FORMATS`` lists each format's ``BankFormat`` (``relance.formats._bankutil``), as beangulp
lists importers: a name, a label, ``identify`` and ``extract``. Detection asks each in turn;
the choices of ``relance import bank --format``, the upload form's wording and the refusal of
an unknown file are all made from it, so a new format is one module and one line below.

Formats: ISO 20022 camt.053 / camt.054 (``relance.formats.camt``), OFX 1.x/2.x
(``relance.formats.ofx``), CFONB 120 (``relance.formats.cfonb``) and bank CSV
(``relance.formats.bank_csv``). The file name is never trusted; the first bytes decide.
Text formats are decoded as UTF-8, else Windows-1252 (Latin-1); XML follows its own
declaration.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO

from relance.domain.banking import BankReport, build_report
from relance.domain.problems import N_, Phrase, Problem
from relance.formats._bankutil import HEAD, BankFormat
from relance.formats.bank_csv import BANK_CSV
from relance.formats.camt import CAMT053, CAMT054
from relance.formats.cfonb import CFONB, read_cfonb
from relance.formats.ofx import OFX

# In the order detection asks them: camt and OFX before CFONB and CSV, whose tests are looser.
FORMATS: tuple[BankFormat, ...] = (CAMT053, CAMT054, OFX, CFONB, BANK_CSV)


def format_names() -> list[str]:
    """``auto`` and each format's name: the choices of ``--format``.

    >>> format_names()
    ['auto', 'camt053', 'camt054', 'ofx', 'cfonb', 'csv']
    """
    return ["auto", *(entry.name for entry in FORMATS)]


def format_labels() -> list[str]:
    """Each format's label once, in order (the ``N_`` ones still to be translated).

    >>> format_labels()
    ['camt.053/054', 'OFX', 'CFONB 120', 'bank CSV']
    """
    return list(dict.fromkeys(entry.label for entry in FORMATS))


def _one_of(labels: Sequence[str]) -> Phrase:
    """``a, b, c or d``, each label translatable, for the refusal of an unknown file."""
    *some, last = [Phrase.of(label) for label in labels]
    if not some:
        return last
    # Commas read the same in both languages: the list itself is no message to translate.
    listed = Phrase(
        ", ".join(f"%(f{n})s" for n in range(len(some))),
        {f"f{n}": phrase for n, phrase in enumerate(some)},
    )
    return Phrase.of(N_("%(some)s or %(last)s"), some=listed, last=last)


def detect_format(data: bytes) -> str | None:
    """The name of the first format that identifies ``data``, or ``None``.

    >>> detect_format(b"OFXHEADER:100\\nDATA:OFXSGML\\n<OFX>")
    'ofx'
    >>> detect_format(b"Date;Libelle;Montant\\n13/01/2024;VIR;12,50\\n")
    'csv'
    >>> detect_format(b"hello") is None
    True
    """
    return next((entry.name for entry in FORMATS if entry.identify(data)), None)


def read_statement(data: bytes | IO[bytes], *, format: str = "auto") -> BankReport:
    """Read a bank file, its bytes or a binary stream that can seek; a report with problems
    must be refused whole by the caller. From a stream, a CFONB 120 file is read as it
    streams (``relance.formats.cfonb``); the other formats are read whole."""
    if isinstance(data, bytes):
        head = data
    else:
        head = data.read(HEAD)
        data.seek(0)
    refused = _refusal(head, format)
    if refused is not None:
        return refused
    chosen = format if format != "auto" else detect_format(head)
    if chosen == "cfonb":
        return read_cfonb(data)
    named = {entry.name: entry for entry in FORMATS}
    return named[str(chosen)].extract(data if isinstance(data, bytes) else data.read())


def _refusal(data: bytes, format: str) -> BankReport | None:
    """The report refusing a file from its first bytes, or None when it can be read."""
    named = {entry.name: entry for entry in FORMATS}
    if format != "auto" and format not in named:
        return build_report(
            "unknown",
            (),
            [Problem.of("bank_format", N_("unknown format %(format)r"), format=format)],
        )
    if not data.strip():
        return build_report(
            "unknown" if format == "auto" else format,
            (),
            [Problem.of("bank_empty", N_("empty file"), 1)],
        )
    detected = detect_format(data)
    chosen = detected if format == "auto" else format
    if chosen is None:
        return build_report(
            "unknown",
            (),
            [
                Problem.of(
                    "bank_format",
                    N_("not a %(formats)s file"),
                    1,
                    formats=_one_of(format_labels()),
                )
            ],
        )
    if format != "auto" and detected is not None and detected != format:
        return build_report(
            format,
            (),
            [
                Problem.of(
                    "bank_format",
                    N_("the content is %(detected)s, not %(format)s"),
                    1,
                    detected=detected,
                    format=format,
                )
            ],
        )
    return None
