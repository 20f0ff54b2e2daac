from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def outbox(settings, tmp_path):
    """Every test's e-mail goes to its own folder of .eml files."""
    folder = tmp_path / "outbox"
    settings.EMAIL_URL = f"file://{folder}"
    settings.MEDIA_ROOT = tmp_path / "media"  # where each sent message is stored as proof
    return folder
