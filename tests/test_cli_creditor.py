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
