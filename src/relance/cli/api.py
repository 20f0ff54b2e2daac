"""``relance user token``: API tokens for the REST API, shown once, stored as a SHA-256."""

from __future__ import annotations

import argparse
import sys

from relance.cli.output import Subcommands, command, emit_json


def cmd_user_token(args: argparse.Namespace) -> int:
    from relance.apps.api_tokens.selectors import tokens_list
    from relance.apps.api_tokens.services import token_create, token_revoke

    if args.list:
        rows = [
            {"name": t.name, "prefix": t.prefix, "created_at": t.created_at.isoformat(timespec="seconds"),
             "revoked_at": t.revoked_at.isoformat(timespec="seconds") if t.revoked_at else None}
            for t in tokens_list(username=args.username)
        ]
        if args.json:
            emit_json(rows)
        else:
            for r in rows:
                print(f"{r['name']}  {r['prefix']}…  {r['created_at']}  {'revoked ' + r['revoked_at'] if r['revoked_at'] else 'live'}")
        return 0
    if args.revoke:
        row = token_revoke(username=args.username, name=args.revoke, actor="cli")
        if args.json:
            emit_json({"username": args.username, "name": row.name, "revoked": True})
        else:
            print(f"Token {row.name!r} of {args.username} revoked.")
        return 0
    row, token = token_create(username=args.username, name=args.name, actor="cli")
    if args.json:
        emit_json({"username": args.username, "name": row.name, "token": token})
    else:
        print(token)
        print(f"Token {row.name!r} for {args.username}: shown only now; send it as "
              "'Authorization: Bearer <token>'.", file=sys.stderr)
    return 0


def register(users: Subcommands) -> None:
    """Add ``token`` to the ``user`` group that ``relance.cli.workspace`` makes."""
    p = command(users, "token", cmd_user_token, "make (or revoke) an API token for a user")
    p.add_argument("username")
    p.add_argument("--name", default="default", help="the token's name, to revoke it later (default: default)")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--revoke", metavar="NAME", help="revoke the user's live token named NAME")
    what.add_argument("--list", action="store_true", help="list the user's tokens (never the tokens themselves)")
