"""A weak or short RELANCE_SECRET_KEY is refused at start (issue #19, 9)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from relance.config.settings import _secret_key_check
from relance.domain.errors import ConfigurationError
from tests.environment import TEST_SECRET_KEY

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("x", "shorter than 32"),
        ("test-only-secret-key", "known placeholder"),
        ("a" * 31, "shorter than 32"),
        ("django-insecure-" + "k3y" * 12, "known placeholder"),
        ("ab" * 20, "fewer than 8 different"),
    ],
)
def test_weak_keys_are_refused_with_the_reason(key, reason):
    with pytest.raises(ConfigurationError, match=reason):
        _secret_key_check(key, "RELANCE_SECRET_KEY")


def test_a_long_random_key_and_the_tests_key_are_taken():
    assert _secret_key_check(TEST_SECRET_KEY, "k") == TEST_SECRET_KEY
    assert len(TEST_SECRET_KEY) >= 32


def test_the_server_does_not_start_with_a_weak_key(tmp_path):
    env = {
        **os.environ, "RELANCE_SECRET_KEY": "x", "RELANCE_HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "relance.config.settings",
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]),
    }
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode != 0
    assert "RELANCE_SECRET_KEY is refused: it is shorter than 32 characters" in done.stderr
