"""``relance user add``: logins for the web workspace, with a role on one or more creditors."""

from __future__ import annotations

import argparse
import sys

from relance.cli.output import Subcommands, command, emit_json, group
from relance.domain.errors import InvalidInputError


def cmd_user_add(args: argparse.Namespace) -> int:
    from relance.apps.creditors.selectors import creditor_get
    from relance.apps.workspace.services import user_create

    if not args.password_stdin:
        raise InvalidInputError("give the password on standard input with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise InvalidInputError("no password on standard input")
    creditors = [creditor_get(ref=ref) for ref in args.creditor]
    user = user_create(username=args.username, password=password, role=args.role, creditors=creditors,
                       email=args.email or "")
    data = {
        "username": user.get_username(),
        "role": args.role,
        "creditors": [{"id": c.pk, "name": c.name} for c in creditors],
    }
    if args.json:
        emit_json(data)
    else:
        names = ", ".join(c.name for c in creditors)
        print(f"User {data['username']} added: {args.role} of {names}. Log in at /login/.")
    return 0


def register(sub: Subcommands) -> Subcommands:
    """Add the ``user`` group and its ``add``; the group, for ``relance.cli.api``'s ``token``."""
    usub = group(sub, "user", "logins for the web workspace", "user_command")
    p = command(usub, "add", cmd_user_add, "add a login with a role on one or more creditors")
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=["admin", "collector", "viewer"])
    p.add_argument("--creditor", action="append", required=True, help="id or name; repeat for several")
    p.add_argument("--email")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    return usub
