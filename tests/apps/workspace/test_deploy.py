"""Production settings pass `manage.py check --deploy`; the palette is readable (WCAG contrast)."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

CSS = Path(__file__).resolve().parents[3] / "src/relance/apps/workspace/static/workspace/app.css"


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        **os.environ,
        "RELANCE_DEBUG": "0",
        "RELANCE_SECRET_KEY": secrets.token_urlsafe(60),
        "RELANCE_SECURE_COOKIES": "1",
        "RELANCE_ALLOWED_HOSTS": "relance.example.fr",
        "RELANCE_HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "relance.config.settings",
    }
    # The browser tests allow Django's ORM next to Playwright's event loop in this process;
    # a deployment never does, and `check --deploy` rightly refuses it.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    code = (
        "import django; django.setup();"
        "from django.core.management import call_command;"
        "call_command('check', '--deploy', '--fail-level', 'WARNING')"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def _luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(fg: str, bg: str) -> float:
    hi, lo = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _palette() -> dict[str, str]:
    return dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", CSS.read_text()))


PAIRS = [
    ("ink", "paper"), ("ink", "page"), ("muted", "paper"), ("muted", "page"), ("accent", "paper"),
    ("accent", "page"), ("accent-ink", "accent"), ("head-ink", "head"), ("danger", "paper"),
    ("good", "paper"), ("warn-ink", "warn-bg"),
]


@pytest.mark.parametrize(("fg", "bg"), PAIRS)
def test_each_text_colour_has_a_contrast_of_at_least_4_5(fg, bg):
    palette = _palette()
    assert contrast(palette[fg], palette[bg]) >= 4.5


def test_message_colours_are_readable():
    assert min(contrast("#b91c1c", "#fee2e2"), contrast("#166534", "#dcfce7"), contrast("#1f2933", "#dbeafe")) >= 4.5
