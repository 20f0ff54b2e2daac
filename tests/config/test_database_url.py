"""RELANCE_DATABASE_URL becomes Django's DATABASES entry, with the options each engine needs."""

from __future__ import annotations

import pytest

from relance.config.settings import ConfigurationError, database_from_url


def test_sqlite_runs_in_wal_mode_with_immediate_transactions() -> None:
    config = database_from_url("sqlite:////srv/relance/relance.sqlite3")
    assert config["NAME"] == "/srv/relance/relance.sqlite3"
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_postgresql_turns_the_jit_off_and_keeps_options_given_in_the_url() -> None:
    config = database_from_url("postgresql://relance@db.example:5433/relance")
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.example", 5433, "relance")
    assert config["OPTIONS"]["options"] == "-c jit=off"
    given = database_from_url("postgresql://relance@db/relance?options=-c%20work_mem%3D64MB")
    assert given["OPTIONS"]["options"] == "-c work_mem=64MB -c jit=off"


def test_another_engine_is_refused_with_what_is_expected() -> None:
    with pytest.raises(ConfigurationError, match="must start with sqlite:/// or postgresql://"):
        database_from_url("mysql://root@localhost/relance")


def test_an_sqlite_commit_is_on_disk_when_it_returns():
    """synchronous=FULL: the outbox's hand-over record survives a power cut (WAL + NORMAL would
    lose the last commits), so a message is never sent twice after one."""
    from relance.config.settings import database_from_url

    init = database_from_url("sqlite:////tmp/x.sqlite3")["OPTIONS"]["init_command"]
    assert "PRAGMA synchronous=FULL" in init
    assert "PRAGMA journal_mode=WAL" in init
