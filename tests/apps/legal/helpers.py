"""What the dossier and write-off tests share: the CLI as a user runs it, a PDF as read."""

from __future__ import annotations

import subprocess

from relance.cli import main


def cli(capsys, *args):
    """Run ``relance ARGS``; its exit code, standard output and standard error."""
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def pdf_text(data: bytes) -> str:
    """The PDF's text as pdftotext reads it, spaces made plain and runs of them one."""
    raw = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout
    return " ".join(raw.decode().replace("\u202f", " ").replace("\xa0", " ").split())
