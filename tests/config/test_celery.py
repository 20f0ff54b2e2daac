"""The task queue's configuration: what each setting guarantees (relance.config.celery)."""

from __future__ import annotations

import pytest
from celery.schedules import crontab

from relance.config.celery import app, daily_pass_schedule, queue_config
from relance.config.settings import _seconds
from relance.domain.errors import ConfigurationError

REDIS = "redis://127.0.0.1:6379/0"


def test_tasks_travel_as_json_keep_no_result_and_are_acknowledged_after_the_work() -> None:
    config = queue_config(broker_url=REDIS)
    assert config["accept_content"] == ["json"]
    assert (config["task_serializer"], config["result_serializer"]) == ("json", "json")
    assert config["task_ignore_result"] is True
    assert config["result_backend"] is None
    assert config["task_acks_late"] is True
    assert config["task_reject_on_worker_lost"] is True
    assert config["worker_prefetch_multiplier"] == 1
    assert config["task_always_eager"] is False


def test_a_task_is_killed_at_its_time_limit_and_never_interrupted_before() -> None:
    config = queue_config(broker_url=REDIS, time_limit=600, visibility_timeout=900)
    assert config["task_time_limit"] == 600
    assert "task_soft_time_limit" not in config
    assert config["broker_transport_options"]["visibility_timeout"] == 900


def test_a_visibility_timeout_within_the_time_limit_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="must be longer than RELANCE_TASK_TIME_LIMIT"):
        queue_config(broker_url=REDIS, time_limit=3600, visibility_timeout=3600)


def test_a_prefix_keeps_an_install_s_keys_apart_on_a_shared_redis() -> None:
    assert (
        queue_config(broker_url=REDIS, prefix="agence:")["broker_transport_options"][
            "global_keyprefix"
        ]
        == "agence:"
    )
    assert "global_keyprefix" not in queue_config(broker_url=REDIS)["broker_transport_options"]


def test_without_a_broker_a_task_queued_anyway_runs_at_once_in_process() -> None:
    config = queue_config(broker_url="")
    assert config["broker_url"] is None
    assert config["task_always_eager"] is True


def test_the_morning_pass_runs_monday_to_friday_at_the_time_given() -> None:
    entry = daily_pass_schedule("07:30")["relance-daily-pass"]
    assert entry["task"] == "relance.daily_pass"
    assert entry["schedule"] == crontab(hour=7, minute=30, day_of_week="mon-fri")
    assert daily_pass_schedule("off") == {}


@pytest.mark.parametrize("text", ["7h30", "24:00", "07:60", "0730"])
def test_a_morning_time_that_is_not_hh_mm_is_refused(text) -> None:
    with pytest.raises(ConfigurationError, match="RELANCE_DAILY_PASS_AT must be HH:MM"):
        daily_pass_schedule(text)


def test_a_duration_that_is_not_whole_seconds_is_refused(monkeypatch) -> None:
    monkeypatch.setenv("RELANCE_TASK_TIME_LIMIT", "1.5")
    with pytest.raises(ConfigurationError, match="RELANCE_TASK_TIME_LIMIT must be a whole number"):
        _seconds("RELANCE_TASK_TIME_LIMIT", 3000)
    monkeypatch.setenv("RELANCE_TASK_TIME_LIMIT", "")
    assert _seconds("RELANCE_TASK_TIME_LIMIT", 3000) == 3000


def test_the_app_knows_the_collection_tasks_and_times_the_pass_in_paris() -> None:
    import relance.apps.collection.tasks  # noqa: F401  (what the worker's autodiscovery imports)

    assert {"relance.daily_pass", "relance.creditor_pass", "relance.outbox_dispatch"} <= set(
        app.tasks
    )
    assert app.conf.timezone == "Europe/Paris"
    assert app.conf.task_default_queue == "relance"
