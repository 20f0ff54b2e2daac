"""``relance worker``, ``relance beat`` and ``relance run --queue`` refuse without a task queue."""

from __future__ import annotations

import pytest

from relance.cli import main


@pytest.mark.parametrize(
    ("args", "what"),
    [
        (["run", "--queue"], "relance run --queue"),
        (["worker", "--concurrency", "2"], "relance worker"),
        (["beat"], "relance beat"),
    ],
)
def test_the_task_queue_commands_refuse_clearly_without_a_broker(args, what, settings, capsys):
    settings.BROKER_URL = ""
    assert main(args) == 1
    err = capsys.readouterr().err
    assert f"relance: error: {what} needs a task queue: set RELANCE_BROKER_URL" in err
    assert "`relance run` does the daily pass in-process" in err


def test_a_queued_dry_run_is_refused_before_anything_is_queued(settings, capsys):
    settings.BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens: it must not be reached
    assert main(["run", "--queue", "--dry-run"]) == 1
    assert "--dry-run runs in-process: leave out --queue" in capsys.readouterr().err


def test_a_worker_takes_at_least_one_task_at_a_time(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["worker", "--concurrency", "0"])
    assert exit_.value.code == 2
    assert "'0' is not a whole number of at least 1" in capsys.readouterr().err
