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
