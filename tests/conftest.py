"""Shared fixtures. Real components only: the database under test is SQLite or PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# Tests never depend on timing: Hypothesis's 200 ms deadline per example failed under load on
# examples whose first call builds a year's holiday calendar. Its search is still bounded by
# the number of examples.
settings.register_profile("relance", deadline=None)
settings.load_profile("relance")

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "samples"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    on_postgres = os.environ.get("RELANCE_DATABASE_URL", "").startswith("postgres")
    skip = pytest.mark.skip(reason="needs PostgreSQL (run by `make test` when it answers)")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip)


@pytest.fixture
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip(f"sample files not found at {SAMPLES} (clone with shared/ beside the repo)")
    return SAMPLES


@pytest.fixture
def creditor(db):  # type: ignore[no-untyped-def]
    from tests.factories import CreditorFactory

    return CreditorFactory()
