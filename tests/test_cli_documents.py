"""The document commands end to end through ``relance.cli.main``: render, letters batch,
actions deliver."""

from __future__ import annotations

import email
import json
import shutil
import subprocess
from datetime import date
from email import policy

import pytest

from relance import cli
from relance.apps.collection.models import Action
from tests.apps.collection.test_letters import AS_OF, creditor, make_debtor, media, planned  # noqa: F401

pytestmark = pytest.mark.django_db


def run(capsys, *args):
    code = cli.main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_render_eml_has_text_html_and_the_qr_code(creditor, capsys, tmp_path):  # noqa: F811
    make_debtor(creditor)
    out = tmp_path / "reminder.eml"
    code, stdout, _ = run(capsys, "render", "--debtor", "411DUPONT", "--step", "reminder", "--as-of", "2026-04-15",
                          "--out", str(out), "--json")
    assert code == 0
    data = json.loads(stdout)
    assert (data["kind"], data["step"], data["channel"]) == ("eml", "reminder", "email")
    msg = email.message_from_bytes(out.read_bytes(), policy=policy.default)
    assert msg.is_multipart()
    assert msg["To"] == "Dupont Bâtiment NT <compta@dupont.example>"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "FA-411DUPONT-1" in text
    assert "FA-411DUPONT-2" in html
    (qr,) = [part for part in msg.iter_attachments() if part.get_content_type() == "image/png"]
    png = qr.get_content()
    assert png.startswith(b"\x89PNG")
    zxingcpp = pytest.importorskip("zxingcpp")
    import io

    from PIL import Image

    (code_read,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert code_read.text.startswith("BCD\n002\n1\nSCT\nAGRIFRPP\nAtelier Durand\nFR7630006000011234567890189\nEUR1700.00")
    assert not Action.objects.filter(step_key="reminder", state="sent", planned_date=AS_OF).exists()


def test_render_eml_of_a_letter_step_attaches_the_letter(creditor, capsys, tmp_path):  # noqa: F811
    make_debtor(creditor)
    out = tmp_path / "letter.eml"
    assert run(capsys, "render", "--debtor", "411DUPONT", "--step", "reminder_letter", "--as-of", "2026-04-15",
               "--lang", "en", "--out", str(out))[0] == 0
    msg = email.message_from_bytes(out.read_bytes(), policy=policy.default)
    # The letter attached, the QR code inline beside the HTML (multipart/related).
    types = sorted(part.get_content_type() for part in msg.walk()
                   if not part.is_multipart() and part.get_content_maintype() != "text")
    assert types == ["application/pdf", "image/png"]
    assert [p.get_content_type() for p in msg.iter_attachments()] == ["application/pdf"]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext is not installed")
def test_render_pdf_and_the_refusal_without_a_rate(creditor, capsys, tmp_path):  # noqa: F811
    make_debtor(creditor)
    out = tmp_path / "mise.pdf"
    code, stdout, _ = run(capsys, "render", "--debtor", "411DUPONT", "--step", "formal_notice", "--as-of",
                          "2026-04-15", "--out", str(out))
    assert code == 0
    assert "not sent" in stdout
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "MISE EN DEMEURE" in text
    late = tmp_path / "late.pdf"
    code, _, err = run(capsys, "render", "--debtor", "411DUPONT", "--step", "formal_notice", "--as-of",
                       "2026-08-17", "--out", str(late))
    assert code == 1
    assert "relance rates add --table ecb_mro --from 2026-07-01" in err
    assert not late.exists()
    code, _, err = run(capsys, "render", "--debtor", "411DUPONT", "--step", "formal_notice", "--out",
                       str(tmp_path / "x.txt"))
    assert code == 1
    assert ".pdf or .eml" in err


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext is not installed")
def test_letters_batch_then_deliver(creditor, capsys, tmp_path, media):  # noqa: F811
    d1, c1 = make_debtor(creditor, "411AA")
    d2, c2 = make_debtor(creditor, "411BB")
    letter = planned(d1, c1, "reminder_letter", "letter")
    notice = planned(d2, c2, "formal_notice", "registered_letter")
    out = tmp_path / "batch.pdf"
    code, stdout, _ = run(capsys, "letters", "batch", "--as-of", "2026-04-15", "--out", str(out),
                          "--creditor", str(creditor.pk), "--json")
    assert code == 0
    data = json.loads(stdout)
    assert [x["action"] for x in data["letters"]] == [letter.pk, notice.pk]
    assert data["refused"] == []
    cover = subprocess.run(["pdftotext", "-l", "1", str(out), "-"], capture_output=True, text=True,
                           check=True).stdout
    assert d1.name in cover
    assert d2.name in cover
    code, stdout, _ = run(capsys, "actions", "deliver", str(notice.pk), "--tracking", "1A00000000001")
    assert code == 0
    assert "waiting for the acknowledgement" in stdout
    code, stdout, _ = run(capsys, "actions", "deliver", str(notice.pk), "--tracking", "1A00000000001",
                          "--received", "2026-04-17", "--json")
    assert json.loads(stdout)["received_date"] == "2026-04-17"
    notice.refresh_from_db()
    assert notice.received_date == date(2026, 4, 17)
    code, _, err = run(capsys, "actions", "deliver", str(letter.pk), "--tracking", "X")
    assert code == 1
    assert "not a registered letter" in err
    with pytest.raises(SystemExit):
        cli.main(["actions", "deliver", str(notice.pk), "--tracking", "X", "--received", "2026-04-17",
                  "--not-claimed"])
    # The collection group's own commands are still there.
    assert run(capsys, "actions", "list", "--json")[0] == 0
    code, stdout, _ = run(capsys, "letters", "batch", "--as-of", "2026-04-15", "--out", str(tmp_path / "b2.pdf"))
    assert code == 0
    assert "No letter to print" in stdout


def test_letters_batch_without_as_of_prints_today_s_letters(creditor, capsys, tmp_path, media):  # noqa: F811
    from django.utils import timezone

    code, stdout, err = run(capsys, "letters", "batch", "--out", str(tmp_path / "today.pdf"))
    assert (code, err) == (0, "")
    assert f"No letter to print for {timezone.localdate()}." in stdout
