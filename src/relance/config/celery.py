"""The task queue: Relance's Celery app, configured from the settings (README, "Workers").

Off unless ``RELANCE_BROKER_URL`` is set: nothing is queued and ``relance run`` does the daily
pass in-process, as on a laptop. On, ``relance worker`` runs the tasks of
``relance.apps.*.tasks`` and ``relance beat`` queues the morning pass.

Why each setting:

- ``task_acks_late`` and ``task_reject_on_worker_lost``: a task whose worker dies (SIGKILL, out
  of memory, a lost machine) goes back to the queue and runs again. Every task here is safe to
  run twice: the daily pass locks its creditor and a second pass adds nothing (the actions'
  idempotency keys), and the outbox claims each message in the database, so a second dispatch
  takes back the dead one's claims and sends each message once
  (``relance.apps.collection.dispatch``).
- A hard time limit, no soft one: a soft limit raises an exception wherever the task happens
  to be, an outbox hand-over included, while a killed process is a crash, which the outbox is
  built to survive. A task that ran out of time is acknowledged, not run again.
- ``visibility_timeout``: with Redis, a task taken by a worker that vanished without a word
  comes back to the queue after this long. Longer than the time limit, so a task still running
  is never handed to a second worker; restored messages are looked for every few seconds.
- ``worker_prefetch_multiplier = 1``: a creditor's pass may take minutes; a busy worker does
  not hold the next creditors while an idle one waits.
- JSON only: the broker never hands a worker a pickle. Results are not kept: the work is in
  the database and the worker's log.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from celery import Celery
from celery.schedules import crontab
from django.conf import settings

from relance.domain.errors import ConfigurationError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relance.config.settings")

QUEUE = "relance"
_HH_MM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def daily_pass_schedule(at: str) -> dict[str, Any]:
    """Beat's entry for the morning pass at ``HH:MM`` (Monday to Friday; the task itself skips
    public holidays), or no entry for ``off``."""
    if at.lower() in {"", "off", "none", "no"}:
        return {}
    match = _HH_MM.match(at)
    if match is None:
        raise ConfigurationError(
            f"RELANCE_DAILY_PASS_AT must be HH:MM (e.g. 07:30) or off, not {at!r}"
        )
    return {
        "relance-daily-pass": {
            "task": "relance.daily_pass",
            "schedule": crontab(
                hour=int(match.group(1)), minute=int(match.group(2)), day_of_week="mon-fri"
            ),
        }
    }


def queue_config(
    *,
    broker_url: str,
    prefix: str = "",
    visibility_timeout: int = 3600,
    time_limit: int = 3000,
    daily_pass_at: str = "07:30",  # noqa: S107 (a time of day, not a password)
    timezone: str = "Europe/Paris",
    var_dir: Path | None = None,
) -> dict[str, Any]:
    """Celery's configuration for these settings."""
    if broker_url and visibility_timeout <= time_limit:
        raise ConfigurationError(
            f"RELANCE_BROKER_VISIBILITY_TIMEOUT ({visibility_timeout} s) must be longer than "
            f"RELANCE_TASK_TIME_LIMIT ({time_limit} s): a task still running would be handed "
            "to a second worker"
        )
    transport: dict[str, Any] = {
        "visibility_timeout": visibility_timeout,
        # Look for the tasks of vanished workers every few seconds (kombu: every
        # interval x throttle seconds), not every 100 s, a cheap query on one sorted set.
        "unacked_restore_interval": max(1, min(10, visibility_timeout // 4)),
        "unacked_restore_throttle": 1,
    }
    if prefix:
        transport["global_keyprefix"] = prefix
    config: dict[str, Any] = {
        "broker_url": broker_url or None,
        "broker_transport_options": transport,
        "broker_connection_retry_on_startup": True,
        "task_default_queue": QUEUE,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "task_ignore_result": True,
        "result_backend": None,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_time_limit": time_limit,
        "worker_prefetch_multiplier": 1,
        "worker_cancel_long_running_tasks_on_connection_loss": False,
        "timezone": timezone,
        "enable_utc": True,
        "beat_schedule": daily_pass_schedule(daily_pass_at),
        # Off, a task someone queues anyway runs at once in-process, as everything else does.
        "task_always_eager": not broker_url,
        "task_eager_propagates": True,
    }
    if var_dir is not None:
        config["beat_schedule_filename"] = str(var_dir / "celerybeat-schedule")
    return config


def queue_required(what: str) -> Celery:
    """The app, or a clear refusal when the task queue is off."""
    if not settings.BROKER_URL:
        raise ConfigurationError(
            f"{what} needs a task queue: set RELANCE_BROKER_URL (e.g. redis://127.0.0.1:6379/0);"
            " without one, `relance run` does the daily pass in-process"
        )
    return app


app = Celery("relance")
app.conf.update(
    queue_config(
        broker_url=settings.BROKER_URL,
        prefix=settings.BROKER_PREFIX,
        visibility_timeout=settings.BROKER_VISIBILITY_TIMEOUT,
        time_limit=settings.TASK_TIME_LIMIT,
        daily_pass_at=settings.DAILY_PASS_AT,
        timezone=settings.TIME_ZONE,
        var_dir=settings.VAR_DIR,
    )
)
app.autodiscover_tasks()
