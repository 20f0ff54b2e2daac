"""One entry point for bank files: detect the format from the content and read it.

Formats: ISO 20022 camt.053 / camt.054 (``relance.formats.camt``), OFX 1.x/2.x
(``relance.formats.ofx``), CFONB 120 (``relance.formats.cfonb``) and bank CSV
(``relance.formats.bank_csv``). The file name is never trusted; the first bytes decide.
Text formats are decoded as UTF-8, else Windows-1252 (Latin-1); XML follows its own
declaration.
"""

from __future__ import annotations

from typing import Literal

from relance.domain.banking import BankReport, build_report
from relance.domain.problems import N_, Problem
from relance.formats._bankutil import decode_text
from relance.formats.bank_csv import looks_like_bank_csv, read_bank_csv
from relance.formats.camt import camt_kind, read_camt
from relance.formats.cfonb import looks_like_cfonb, read_cfonb
from relance.formats.ofx import looks_like_ofx, read_ofx

BankFormat = Literal["auto", "camt053", "camt054", "ofx", "cfonb", "csv"]
FORMATS: tuple[BankFormat, ...] = ("auto", "camt053", "camt054", "ofx", "cfonb", "csv")


def detect_format(data: bytes) -> str | None:
    """``camt053``, ``camt054``, ``ofx``, ``cfonb``, ``csv`` or ``None``, from the content.

    >>> detect_format(b"OFXHEADER:100\\nDATA:OFXSGML\\n<OFX>")
    'ofx'
    >>> detect_format(b"Date;Libelle;Montant\\n13/01/2024;VIR;12,50\\n")
    'csv'
    >>> detect_format(b"hello") is None
    True
    """
    kind = camt_kind(data)
    if kind:
        return kind
    text, _ = decode_text(data[:65536])
    if looks_like_ofx(text):
        return "ofx"
    if looks_like_cfonb(text):
        return "cfonb"
    if text.lstrip().startswith("<"):
        return None
    if looks_like_bank_csv(text):
        return "csv"
    return None


def read_statement(data: bytes, *, format: BankFormat = "auto") -> BankReport:
    """Read a bank file; a report with problems must be refused whole by the caller."""
    if format not in FORMATS:
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
                    "bank_format", N_("not a camt.053/054, OFX, CFONB 120 or bank CSV file"), 1
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
    if chosen in {"camt053", "camt054"}:
        return read_camt(data, expect=chosen)
    if chosen == "ofx":
        return read_ofx(data)
    if chosen == "cfonb":
        return read_cfonb(data)
    return read_bank_csv(data)
