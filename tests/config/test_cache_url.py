"""RELANCE_CACHE_URL: the workspace's kept figures shared by every server process."""

from __future__ import annotations

import pytest

from relance.config.settings import _cache
from relance.domain.errors import ConfigurationError


def test_files_redis_or_one_process_memory():
    assert _cache("file:///srv/relance/cache") == {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": "/srv/relance/cache",
        "OPTIONS": {"MAX_ENTRIES": 2000},
    }
    assert _cache("redis://127.0.0.1:6379/1")["BACKEND"].endswith("RedisCache")
    assert _cache("locmem://")["BACKEND"].endswith("LocMemCache")


def test_anything_else_is_refused_with_the_forms_allowed():
    with pytest.raises(ConfigurationError, match="file:///DIR"):
        _cache("memcached://127.0.0.1:11211")


def test_two_processes_share_the_kept_figures(tmp_path):
    """What one server process computed, another reads (the file cache the install uses)."""
    import subprocess
    import sys

    script = (
        "import django, os, sys;"
        "os.environ['DJANGO_SETTINGS_MODULE']='relance.config.settings';"
        "django.setup();"
        "from django.core.cache import cache;"
        "print(cache.get('k') or cache.set('k', sys.argv[1]) or 'set')"
    )
    env = {**__import__("os").environ, "RELANCE_CACHE_URL": f"file://{tmp_path}"}
    first = subprocess.run(
        [sys.executable, "-c", script, "one"], env=env, capture_output=True, text=True, check=True
    )
    second = subprocess.run(
        [sys.executable, "-c", script, "two"], env=env, capture_output=True, text=True, check=True
    )
    assert (first.stdout.strip(), second.stdout.strip()) == ("set", "one")
