"""The ``relance`` console script: thin commands that parse, call one service, print.

Every reporting command takes ``--json``. A ``RelanceError`` is printed as ``relance: error:
<message>`` on stderr with exit status 1; argument errors exit with status 2.

Each module of this package builds the subtree of its command groups (``register``);
``build_parser`` calls them in the order ``relance --help`` lists the commands, and hands a
group that another module adds to (``import``, ``scenario``, ``actions``, ``run``, ``user``)
from the module that makes it to the module that extends it. Helpers they share live in
``output``, which imports none of them.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from relance.cli import (
    admin,
    agency,
    api,
    bank,
    collection,
    costs,
    documents,
    editors,
    law,
    ledger,
    legal,
    legal_stage,
    tasks,
    workspace,
)
from relance.domain.errors import RelanceError


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relance.config.settings")
    import django

    django.setup()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="relance", description="Gets unpaid invoices paid.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    admin.register(sub)
    imports = ledger.register(sub)
    admin.register_upkeep(sub)
    law.register(sub)
    bank.register(sub, imports=imports)
    groups = collection.register(sub)
    costs.register(groups.case)
    legal_stage.register(groups.case)
    agency.register(sub)
    documents.register(sub, actions=groups.actions)
    legal.register(sub, case=groups.case)
    users = workspace.register(sub)
    api.register(users)
    editors.register(sub, scenario=groups.scenario)
    tasks.register(sub, run=groups.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _setup_django()
        code: int = args.handler(args)
        return code
    except RelanceError as exc:
        print(f"relance: error: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `relance ... | head`: the reader left; say nothing more, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
