"""The bank formats are one registry (``relance.formats.bank.FORMATS``): detection, the
refusal of an unknown file, the CLI's ``--format`` choices and the upload form all follow it,
so a new format (MT940 here, a fake) is one module and one entry."""

from __future__ import annotations

import pytest
from django.utils import translation

from relance import cli
from relance.apps.workspace.forms import UploadForm
from relance.apps.workspace.wording import problem_text
from relance.domain.banking import BankReport, build_report
from relance.formats import bank
from relance.formats._bankutil import BankFormat

MT940_FILE = b":20:STARTUMSE\r\n:25:10020030/1234567\r\n:28C:00001/001\r\n"
UNKNOWN_FILE = b"hello, this is no bank statement\n"


def _is_mt940(data: bytes) -> bool:
    return data.startswith(b":20:")


def _read_mt940(data: bytes) -> BankReport:
    return build_report("mt940", (), (), ["MT940 (fake)"])


MT940 = BankFormat("mt940", "MT940", _is_mt940, _read_mt940)


@pytest.fixture
def with_mt940(monkeypatch):
    monkeypatch.setattr(bank, "FORMATS", (*bank.FORMATS, MT940))


def _format_choice(*argv: str) -> str:
    args = cli.build_parser().parse_args(["import", "bank", "statement.sta", *argv])
    chosen: str = args.format
    return chosen


def test_the_real_formats_keep_their_names_and_their_refusal() -> None:
    assert bank.format_names() == ["auto", "camt053", "camt054", "ofx", "cfonb", "csv"]
    report = bank.read_statement(UNKNOWN_FILE)
    [problem] = report.problems
    assert (report.format, problem.code, problem.line) == ("unknown", "bank_format", 1)
    assert problem.message == "not a camt.053/054, OFX, CFONB 120 or bank CSV file"
    assert bank.detect_format(MT940_FILE) is None


def test_a_registered_format_is_detected_and_read(with_mt940) -> None:
    assert bank.detect_format(MT940_FILE) == "mt940"
    report = bank.read_statement(MT940_FILE)
    assert (report.format, report.problems, report.notes) == ("mt940", (), ("MT940 (fake)",))
    assert bank.read_statement(MT940_FILE, format="mt940").format == "mt940"
    # The formats before it still win on their own files.
    assert bank.detect_format(b"Date;Libelle;Montant\n13/01/2024;VIR;12,50\n") == "csv"


def test_a_registered_format_is_named_in_the_refusal(with_mt940) -> None:
    [problem] = bank.read_statement(UNKNOWN_FILE).problems
    assert problem.message == "not a camt.053/054, OFX, CFONB 120, bank CSV or MT940 file"
    with translation.override("fr"):
        assert problem_text(problem) == (
            "ce n’est pas un fichier camt.053/054, OFX, CFONB 120, CSV bancaire ou MT940"
        )


def test_the_cli_offers_a_registered_format(with_mt940) -> None:
    assert _format_choice("--format", "mt940") == "mt940"
    assert _format_choice() == "auto"


def test_the_cli_refuses_a_format_not_registered(capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        _format_choice("--format", "mt940")
    assert exited.value.code == 2
    assert "invalid choice: 'mt940'" in capsys.readouterr().err


def test_the_upload_form_names_a_registered_format(with_mt940) -> None:
    with translation.override("en"):
        label = dict(UploadForm(bank=True).fields["kind"].choices)["bank"]
    assert label == "Bank statement (camt.053/054, OFX, CFONB 120, bank CSV, MT940)"
