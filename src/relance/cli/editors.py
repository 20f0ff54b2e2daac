"""The template and scenario-assignment commands: a creditor's templates as files.

``relance template list [--creditor C] [--json]``
``relance template export NAME [--lang fr|en] [--creditor C] [--out FILE] [--shipped]``
``relance template import FILE --name NAME [--lang fr|en] [--creditor C]``
``relance template reset NAME [--lang fr|en] [--creditor C]``
``relance scenario assign --debtor ACCOUNT --scenario NAME [--creditor C]``

NAME is ``<step>.subject`` or ``<step>.txt`` (``reminder.txt``; a trailing ``.j2`` is accepted).
A broken or unsafe file is refused with each problem's line and reason, and nothing is saved.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from relance.cli.output import Subcommands, command, creditor_of, emit_json, group, table
from relance.domain.errors import InvalidInputError


def _actor() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def cmd_template_list(args: argparse.Namespace) -> int:
    from relance.apps.editors.selectors import templates_list

    rows = templates_list(creditor=creditor_of(args))
    data = [
        {
            "name": r.name,
            "lang": r.lang,
            "step": r.step,
            "part": r.part,
            "edited": r.edited,
            "updated_at": r.updated_at,
            "updated_by": r.updated_by,
        }
        for r in rows
    ]
    if args.json:
        emit_json(data)
        return 0
    print(
        table(
            [
                (
                    r.name,
                    r.lang,
                    "edited" if r.edited else "shipped",
                    r.updated_by,
                    r.updated_at.isoformat(timespec="seconds") if r.updated_at else "",
                )
                for r in rows
            ],
            ["name", "lang", "state", "by", "at"],
        )
    )
    return 0


def cmd_template_export(args: argparse.Namespace) -> int:
    from relance.apps.editors.selectors import template_get

    detail = template_get(creditor=creditor_of(args), name=args.name, lang=args.lang)
    text = detail.shipped if args.shipped else detail.source
    if args.out:
        out = Path(args.out)
        if out.parent and not out.parent.is_dir():
            raise InvalidInputError(f"{out.parent} is not a folder")
        tmp = out.with_name(out.name + ".part")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out)
        state = "shipped" if args.shipped or not detail.edited else "edited"
        print(
            f"{out}: {detail.lang}/{detail.name} ({state}), {len(text)} characters.",
            file=sys.stderr,
        )
    else:
        sys.stdout.write(text)
    return 0


def cmd_template_import(args: argparse.Namespace) -> int:
    from relance.apps.editors.services import template_save
    from relance.documents.templates import TemplateRefusedError

    path = Path(args.file)
    if not path.is_file():
        raise InvalidInputError(f"{path} is not a readable file")
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"{path} is not UTF-8 text: {exc}") from None
    try:
        row = template_save(
            creditor=creditor_of(args), name=args.name, lang=args.lang, source=source, actor=_actor()
        )
    except TemplateRefusedError as exc:
        if args.json:
            emit_json({"saved": False, "problems": [p.as_dict() for p in exc.problems]})
        for p in exc.problems:
            where = f"{path}:{p.line}" if p.line else str(path)
            print(f"{where}: {p.message} [{p.code}]", file=sys.stderr)
        print(f"relance: error: {path} refused; nothing saved.", file=sys.stderr)
        return 1
    if args.json:
        emit_json({"saved": True, "name": row.name, "lang": row.lang, "sha256": row.sha256})
    else:
        print(
            f"Template {row.lang}/{row.name} saved for {row.creditor.name} (sha256 {row.sha256[:12]})."
        )
    return 0


def cmd_template_reset(args: argparse.Namespace) -> int:
    from relance.apps.editors.services import template_reset

    langs = [args.lang] if args.lang else ["fr", "en"]
    creditor = creditor_of(args)
    done = [
        lang
        for lang in langs
        if template_reset(creditor=creditor, name=args.name, lang=lang, actor=_actor())
    ]
    if args.json:
        emit_json({"name": args.name, "reset": done})
    elif done:
        print(f"Template {args.name} back to the shipped text ({', '.join(done)}).")
    else:
        print(f"Template {args.name} was not edited; nothing to reset.")
    return 0


def cmd_scenario_assign(args: argparse.Namespace) -> int:
    from relance.apps.editors.selectors import scenario_get
    from relance.apps.editors.services import scenario_assign
    from relance.apps.ledger.selectors import debtor_get

    creditor = creditor_of(args)
    debtor = debtor_get(creditor=creditor, account=args.debtor)
    scenario = scenario_get(name=args.scenario, creditor=creditor)
    scenario_assign(creditor=creditor, debtor=debtor, scenario=scenario, actor=_actor())
    if args.json:
        emit_json({"debtor": debtor.account, "scenario": scenario.name})
    else:
        print(
            f"Debtor {debtor.account} ({debtor.name}) now follows {scenario.name!r}: its open case and its later ones."
        )
    return 0


def register(sub: Subcommands, *, scenario: Subcommands) -> None:
    """Add the ``template`` group, and ``assign`` to the ``scenario`` group (``scenario``, from
    ``relance.cli.collection``)."""
    tsub = group(
        sub, "template", "message templates: list, export, import, reset", "template_command"
    )
    p = command(
        tsub, "list", cmd_template_list, "list the templates and which ones the creditor edited"
    )
    p.add_argument("--creditor")
    p = command(
        tsub,
        "export",
        cmd_template_export,
        "write a template's source (edited, else shipped)",
        json_flag=False,
    )
    p.add_argument("name", help="<step>.subject or <step>.txt, e.g. reminder.txt")
    p.add_argument("--lang", choices=["fr", "en"], default="fr")
    p.add_argument("--creditor")
    p.add_argument("--out", help="FILE (default: standard output)")
    p.add_argument("--shipped", action="store_true", help="the shipped text, even when edited")
    p = command(
        tsub,
        "import",
        cmd_template_import,
        "save a file as the creditor's template (validated first)",
    )
    p.add_argument("file")
    p.add_argument("--name", required=True, help="<step>.subject or <step>.txt, e.g. reminder.txt")
    p.add_argument("--lang", choices=["fr", "en"], default="fr")
    p.add_argument("--creditor")
    p = command(tsub, "reset", cmd_template_reset, "go back to the shipped text")
    p.add_argument("name")
    p.add_argument("--lang", choices=["fr", "en"], help="default: both languages")
    p.add_argument("--creditor")

    p = command(
        scenario,
        "assign",
        cmd_scenario_assign,
        "make a scenario the debtor's (open case and later ones)",
    )
    p.add_argument("--debtor", required=True, help="debtor account")
    p.add_argument("--scenario", required=True, help="scenario name")
    p.add_argument("--creditor")
