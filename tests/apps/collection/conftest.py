from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def outbox(settings, tmp_path):
    """Every test's e-mail goes to its own folder of .eml files."""
    folder = tmp_path / "outbox"
    settings.EMAIL_URL = f"file://{folder}"
    return folder
