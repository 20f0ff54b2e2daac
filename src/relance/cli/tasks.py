"""The task-queue commands: ``relance worker``, ``relance beat``, and ``relance run --queue``.

All three need ``RELANCE_BROKER_URL``; without it they refuse and say so (README, "Workers").
"""

from __future__ import annotations

import argparse

from relance.cli.collection import cmd_run
from relance.cli.output import Subcommands, command, emit_json


def cmd_run_queue(args: argparse.Namespace) -> int:
    """``relance run --queue``: today's pass queued per creditor; prints the task ids."""
    from django.utils import timezone

    from relance.config.celery import queue_required
    from relance.domain.errors import InvalidInputError

    queue_required("relance run --queue")
    if args.dry_run:
        raise InvalidInputError("--dry-run runs in-process: leave out --queue")
    from relance.apps.collection.tasks import daily_pass_enqueue

    as_of = args.as_of or timezone.localdate()
    queued = daily_pass_enqueue(as_of=as_of, creditor=args.creditor, dispatchers=args.dispatchers)
    if args.json:
        emit_json({"as_of": as_of, "queued": [q.as_dict() for q in queued]})
        return 0
    print(f"{as_of}: queued the daily pass of {len(queued)} creditor(s).")
    for q in queued:
        print(f"  {q.task_id}  {q.creditor} (creditor {q.creditor_id})")
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from relance.config.celery import queue_required

    app = queue_required("relance worker")
    argv = ["worker", f"--loglevel={args.loglevel}", f"--pool={args.pool}"]
    if args.concurrency is not None:
        argv.append(f"--concurrency={args.concurrency}")
    if args.name:
        argv.append(f"--hostname={args.name}")
    code = app.worker_main(argv)
    return int(code or 0)


def cmd_beat(args: argparse.Namespace) -> int:
    from relance.config.celery import queue_required

    app = queue_required("relance beat")
    code = app.start(["beat", f"--loglevel={args.loglevel}"])
    return int(code or 0)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def register(sub: Subcommands, *, run: argparse.ArgumentParser) -> None:
    """Add ``worker`` and ``beat``, and ``--queue`` to ``run`` (from ``relance.cli.collection``)."""
    levels = ["DEBUG", "INFO", "WARNING", "ERROR"]
    p = command(
        sub,
        "worker",
        cmd_worker,
        "run a worker: daily passes and outbox dispatches queued on RELANCE_BROKER_URL",
        json_flag=False,
    )
    p.add_argument(
        "--concurrency", type=_positive, help="tasks at once (default: one per CPU core)"
    )
    p.add_argument(
        "--pool",
        default="prefork",
        choices=["prefork", "solo"],
        help="prefork: a process per task (default); solo: tasks one after the other in this "
        "process, without time limits",
    )
    p.add_argument("--name", help="the worker's node name (default: celery@HOST)")
    p.add_argument("--loglevel", default="INFO", choices=levels)
    p = command(
        sub,
        "beat",
        cmd_beat,
        "queue the morning pass at RELANCE_DAILY_PASS_AT on business days (run one, only one)",
        json_flag=False,
    )
    p.add_argument("--loglevel", default="INFO", choices=levels)

    # `relance run` lives with the collection commands: it gains --queue here, which hands it
    # to cmd_run_queue, so the in-process pass stays as it is.
    def run_or_queue(args: argparse.Namespace) -> int:
        return cmd_run_queue(args) if args.queue else cmd_run(args)

    run.set_defaults(handler=run_or_queue)
    run.add_argument(
        "--queue",
        action="store_true",
        help="queue the pass of each creditor for the workers instead of running it here",
    )
    run.add_argument(
        "--dispatchers",
        type=_positive,
        default=1,
        help="with --queue: workers sending each creditor's outbox together (default 1)",
    )
