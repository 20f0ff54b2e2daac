"""``relance user add|passwd|disable|revoke``: logins for the web workspace, with a role on one
or more creditors."""

from __future__ import annotations

import argparse
import sys

from relance.cli.output import Subcommands, command, emit_json, group
from relance.domain.errors import InvalidInputError


def _password(args: argparse.Namespace) -> str:
    if not args.password_stdin:
        raise InvalidInputError("give the password on standard input with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise InvalidInputError("no password on standard input")
    return password


def cmd_user_add(args: argparse.Namespace) -> int:
    from relance.apps.creditors.selectors import creditor_get
    from relance.apps.workspace.services import user_create

    password = _password(args)
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


def cmd_user_passwd(args: argparse.Namespace) -> int:
    from relance.apps.workspace.accounts import user_password_set

    user = user_password_set(username=args.username, password=_password(args))
    if args.json:
        emit_json({"username": user.get_username(), "password_changed": True})
    else:
        print(f"Password of {user.get_username()} changed; its open sessions are closed.")
    return 0


def cmd_user_disable(args: argparse.Namespace) -> int:
    from relance.apps.workspace.accounts import user_disable

    user = user_disable(username=args.username)
    if args.json:
        emit_json({"username": user.get_username(), "active": False})
    else:
        print(f"User {user.get_username()} disabled: no more logins, sessions or API tokens.")
    return 0


def cmd_user_revoke(args: argparse.Namespace) -> int:
    from relance.apps.creditors.selectors import creditor_get
    from relance.apps.workspace.accounts import user_revoke

    creditor = creditor_get(ref=args.creditor)
    user_revoke(username=args.username, creditor=creditor)
    if args.json:
        emit_json({"username": args.username, "creditor": creditor.pk, "revoked": True})
    else:
        print(f"User {args.username} no longer has access to {creditor.name}.")
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
    p = command(usub, "passwd", cmd_user_passwd, "change a user's password (12 characters or more)")
    p.add_argument("username")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p = command(usub, "disable", cmd_user_disable, "stop a user from logging in or using the API")
    p.add_argument("username")
    p = command(usub, "revoke", cmd_user_revoke, "remove a user's grant on a creditor")
    p.add_argument("username")
    p.add_argument("--creditor", required=True, help="id or name")
    return usub
