"""`relance creditor add` refuses a bad identifier with a sentence, never a traceback."""

from __future__ import annotations

import json

import pytest

from relance import cli
from relance.apps.creditors.models import Creditor

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("vat", ["GB1232434", "GB123456789", "XX123", "FR00000000000"])
def test_a_vat_number_that_is_no_eu_vat_number_is_refused_with_a_clear_error(capsys, vat):
    code = cli.main(["creditor", "add", "--name", "Atelier SAS", "--vat", vat])

    err = capsys.readouterr().err
    assert code == 1
    assert f"VAT number {vat!r} is not a valid EU VAT number" in err
    assert "Traceback" not in err
    assert not Creditor.objects.exists()


def test_a_valid_french_vat_number_is_kept_compact(capsys):
    assert cli.main(["creditor", "add", "--name", "Atelier SAS", "--vat", "FR 40 303 265 045", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["vat_number"] == "FR40303265045"


def test_creditor_set_gives_a_siren_then_its_e_invoices_import(capsys, samples):
    assert cli.main(["creditor", "add", "--name", "Au bon moulin", "--json"]) == 0
    ref = str(json.loads(capsys.readouterr().out)["id"])
    invoice = str(samples / "facturx" / "fnfe-Facture_FR_BASICWL.pdf")
    assert cli.main(["import", "einvoices", invoice, "--creditor", ref]) == 1
    assert f"relance creditor set --creditor {ref} --siren" in capsys.readouterr().err

    assert cli.main(["creditor", "set", "--creditor", ref, "--siren", "123 456 789"]) == 1
    assert "SIREN '123 456 789' is not valid" in capsys.readouterr().err
    assert cli.main(["creditor", "set", "--creditor", ref, "--siren", "999 999 998"]) == 0
    assert Creditor.objects.get(pk=ref).siren == "999999998"
    capsys.readouterr()
    assert cli.main(["import", "einvoices", invoice, "--creditor", ref]) == 0
