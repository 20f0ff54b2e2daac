"""Shared fixtures. Real components only: the database under test is SQLite or PostgreSQL."""

from __future__ import annotations

import itertools
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


@pytest.fixture(autouse=True)
def _audit_checkpoints_per_test(tmp_path_factory):
    """Each test its own audit checkpoint file: tests empty the database between them, and a
    checkpoint naming an event of an earlier test would read as a cut trail."""
    from django.conf import settings as django_settings

    if not django_settings.configured:  # the pure tests run without Django
        yield
        return
    base = tmp_path_factory.getbasetemp() / "audit"
    base.mkdir(exist_ok=True)
    before = django_settings.AUDIT_CHECKPOINTS
    django_settings.AUDIT_CHECKPOINTS = base / f"checkpoints-{next(_checkpoint_numbers)}"
    try:
        yield
    finally:
        django_settings.AUDIT_CHECKPOINTS = before


_checkpoint_numbers = itertools.count()


@pytest.fixture
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip(f"sample files not found at {SAMPLES} (clone with shared/ beside the repo)")
    return SAMPLES


@pytest.fixture
def creditor(db):  # type: ignore[no-untyped-def]
    from tests.factories import CreditorFactory

    return CreditorFactory()
