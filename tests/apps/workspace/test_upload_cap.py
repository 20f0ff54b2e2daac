"""An upload over the cap is refused with a clear message, in French on French pages, and
nothing of it is kept: no staged import, no temporary file (issue #19, 9)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from relance.apps.workspace.models import ImportUpload

pytestmark = pytest.mark.django_db

ROW = "FA-{n:06d};411X;Client X SAS;2026-01-02;2026-02-01;10,00;10,00\n"
HEADER = "invoice_number;debtor_account;debtor_name;issue_date;due_date;total_amount;open_amount\n"


def _ledger(size: int) -> bytes:
    rows, n = [HEADER], 0
    while sum(map(len, rows)) < size:
        rows.append(ROW.format(n=n))
        n += 1
    return "".join(rows).encode()


@pytest.fixture
def small_cap(settings, tmp_path):
    settings.UPLOAD_MAX_BYTES = 4000
    # Its own staging folder: a file another test staged must not pass for one this test kept.
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # every part to a temporary file, to see it go
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "tmp")
    (tmp_path / "tmp").mkdir()
    return tmp_path / "tmp"


def _nothing_kept(temp: Path, settings) -> None:
    assert not ImportUpload.objects.exists()
    staged = Path(settings.MEDIA_ROOT) / "imports"
    assert not staged.exists() or not list(staged.iterdir())
    assert list(temp.iterdir()) == []


def test_a_file_over_the_cap_is_stopped_as_it_arrives_with_a_french_message(
    collector_a, small_cap, settings
):
    data = _ledger(20_000)  # the request says its length, within the fields' allowance
    page = collector_a.post(
        "/imports/", {"kind": "ledger", "file": SimpleUploadedFile("grand.csv", data)},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert page.status_code == 413
    text = page.content.decode()
    assert "Le fichier est trop volumineux : 1 Mo au plus." in text  # RELANCE_UPLOAD_MAX_MB, whole
    assert "relance import ledger" in text
    _nothing_kept(small_cap, settings)


def test_a_request_declaring_more_than_the_cap_is_refused_before_it_is_read(
    collector_a, small_cap, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    data = _ledger(20_000)
    page = collector_a.post(
        "/imports/", {"kind": "ledger", "file": SimpleUploadedFile("grand.csv", data)},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert page.status_code == 413
    assert "trop volumineux" in page.content.decode()
    _nothing_kept(small_cap, settings)


def test_a_file_under_the_cap_is_staged_as_before(collector_a, small_cap, settings):
    page = collector_a.post(
        "/imports/", {"kind": "ledger", "file": SimpleUploadedFile("petit.csv", _ledger(1000))}
    )
    assert page.status_code == 302
    assert ImportUpload.objects.count() == 1


def test_the_api_refuses_a_file_over_the_cap_with_413(db, creditor_a, small_cap, settings):
    from relance.apps.api_tokens.services import token_create
    from tests.apps.workspace.conftest import make_user

    make_user("api", "collector", creditor_a)
    token = token_create(username="api", name="t")[1]
    from django.test import Client

    response = Client().post(
        "/api/imports/ledger", {"file": SimpleUploadedFile("grand.csv", _ledger(20_000))},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert list(small_cap.iterdir()) == []
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000  # and before reading it, when it says its length
    response = Client().post(
        "/api/imports/ledger", {"file": SimpleUploadedFile("grand.csv", _ledger(20_000))},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_staged_files_left_by_a_killed_worker_are_removed_after_a_day(collector_a, settings):
    import os
    import time

    from relance.apps.workspace.services import _uploads_dir, _uploads_expire

    orphan = _uploads_dir() / "killed-mid-check.upload"
    orphan.write_bytes(b"x" * 100)
    day_old = time.time() - 2 * 86400
    os.utime(orphan, (day_old, day_old))
    fresh = _uploads_dir() / "being-checked.upload"
    fresh.write_bytes(b"y")
    _uploads_expire()
    assert not orphan.exists()
    assert fresh.exists()  # another request's, still being checked
