"""``relance interest``, ``relance rates``, ``relance prescription`` and ``relance terms check``.

Thin commands over the law engine (``relance.domain.law``) and the legal app's services and
selectors: rates recorded in the database override the shipped tables in every computation.
Every value is parsed here, so a bad one (an amount ``abc``, a payment without its amount, an
unknown regime) is a ``RelanceError``: ``relance: error: ...`` and exit status 1.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import cast

from relance.cli.output import Subcommands, command, emit_json, group, table
from relance.domain.errors import ConfigurationError, InvalidInputError
from relance.domain.law import (
    CREDITOR_KINDS,
    DAY_COUNTS,
    DEBTOR_KINDS,
    REGIMES,
    TABLE_NAMES,
    CreditorKind,
    DayCount,
    PrescriptionKind,
    RateTables,
    Regime,
    check_payment_terms,
    choose_regime,
    compute_interest,
    explain,
    payment_periods,
    penalties_on_invoice,
    prescription,
    public_payment_deadline,
)
from relance.domain.law.computation import percent
from relance.domain.law.costs import COMPLEMENT_BASIS, Complement, allows_complement, complement
from relance.domain.law.explain import fr_date, money
from relance.domain.law.prescription import PRESCRIPTION_KINDS
from relance.domain.money import AmountError, parse_amount

RECORDED_EVENTS = ("acknowledgement", "claim", "enforcement", "suspension", "written_claim")
EVENT_EXAMPLE = (
    "DATE:acknowledgement, DATE:claim, DATE:enforcement, DATE:written_claim (public debts) or "
    "DATE:suspension:END (a mediation; without END while it goes on)"
)


# --- parsing values -------------------------------------------------------------------------


def _date(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInputError(f"{option}: {text!r} is not a date (YYYY-MM-DD).") from None


def _optional_date(option: str, text: str | None) -> date | None:
    return None if text is None else _date(option, text)


def _decimal(option: str, text: str, *, what: str = "an amount") -> Decimal:
    try:
        value = parse_amount(text)
    except AmountError:
        raise InvalidInputError(f"{option}: {text!r} is not {what}.") from None
    return value


def _positive(option: str, text: str) -> Decimal:
    value = _decimal(option, text)
    if value <= 0:
        raise InvalidInputError(f"{option}: the amount must be positive, not {text!r}.")
    return value


def _optional_percent(option: str, text: str | None) -> Decimal | None:
    return None if text is None else _decimal(option, text, what="a rate in percent")


def _choice(option: str, text: str, choices: Sequence[str]) -> str:
    if text not in choices:
        raise InvalidInputError(f"{option}: {text!r} is not one of {', '.join(choices)}.")
    return text


def _pair(option: str, text: str, example: str) -> tuple[str, str]:
    day, sep, rest = text.partition(":")
    if not sep or not day.strip() or not rest.strip():
        raise InvalidInputError(f"{option} {text!r} must be written {example}.")
    return day, rest.strip()


def _payments(texts: Sequence[str]) -> list[tuple[date, Decimal]]:
    payments = []
    for text in texts:
        day, amount = _pair("--payment", text, "DATE:AMOUNT, e.g. 2025-03-02:3000.00")
        payments.append((_date("--payment", day), _positive("--payment", amount)))
    return payments


def _tables() -> RateTables:
    """The rate tables with the database's rows; a database not set up is said plainly."""
    from django.db import DatabaseError

    from relance.apps.legal.selectors import rate_tables

    try:
        return rate_tables()
    except DatabaseError as exc:
        raise ConfigurationError(
            f"The database is not ready ({exc}); run `relance init` first."
        ) from exc


# --- relance interest -----------------------------------------------------------------------


def cmd_interest(args: argparse.Namespace) -> int:
    if args.auto:
        return _interest_auto(args)
    if args.regime is None:
        raise InvalidInputError("--regime is required, or --auto to let the law choose it.")
    regime = cast(Regime, _choice("--regime", args.regime, REGIMES))
    creditor_kind = cast(CreditorKind, _choice("--creditor-kind", args.creditor_kind, CREDITOR_KINDS))
    day_count = cast(DayCount, _choice("--day-count", args.day_count, DAY_COUNTS))
    start = _interest_start(args, regime)
    computation = compute_interest(
        regime=regime,
        principal=_positive("--principal", args.principal),
        start=start,
        end=_date("--to", args.end),
        payments=_payments(args.payment),
        currency=_currency(args.currency),
        creditor_kind=creditor_kind,
        contract_rate=_optional_percent("--contract-rate", args.contract_rate),
        contract_multiple=_optional_percent("--contract-multiple", args.contract_multiple),
        terms_reference=args.terms_ref or "",
        signified=_optional_date("--signified", args.signified),
        capitalise_from=_optional_date("--capitalise-from", args.capitalise_from),
        day_count=day_count,
        margin=_optional_percent("--margin", args.margin),
        issue_date=_optional_date("--issued", args.issued),
        tables=_tables(),
    )
    extra = _complement(args, regime, computation.indemnity)
    if args.json:
        emit_json({**computation.as_json(), **_complement_json(extra, computation.amount_due)})
    else:
        print(explain(computation) + _complement_text(extra, computation.amount_due, computation.currency))
    return 0


def _complement(args: argparse.Namespace, regime: str, indemnity: Decimal) -> Complement | None:
    """``--justified-costs``: what they exceed the flat indemnity by (C. com. L441-10 II), or
    an error under a regime that allows no such claim (a consumer never bears them, L111-8 CPCE)."""
    if args.justified_costs is None:
        return None
    costs = _positive("--justified-costs", args.justified_costs)
    if not allows_complement(regime):
        raise InvalidInputError(
            f"--justified-costs: {regime} allows no recovery costs above a flat indemnity (they are "
            "claimed on proof under fr-b2b, eu-b2b and uk-b2b only; never from a consumer, L111-8 CPCE)."
        )
    return complement(regime=regime, costs=costs, indemnities=indemnity) or Complement(
        costs, indemnity, Decimal("0.00"), COMPLEMENT_BASIS[regime][0]
    )


def _complement_json(extra: Complement | None, due: Decimal) -> dict[str, object]:
    if extra is None:
        return {}
    return {
        "justified_costs": {"costs": f"{extra.costs:.2f}", "indemnities": f"{extra.indemnities:.2f}",
                            "complement": f"{extra.amount:.2f}", "basis": extra.basis},
        "amount_due_with_costs": f"{due + extra.amount:.2f}",
    }


def _complement_text(extra: Complement | None, due: Decimal, currency: str) -> str:
    if extra is None:
        return ""
    return (
        f"\nIndemnisation complémentaire sur justification : frais exposés {money(extra.costs)} − "
        f"indemnité forfaitaire {money(extra.indemnities)} = {money(extra.amount)} {currency} — ({extra.basis})"
        f"\nMontant dû avec l'indemnisation complémentaire : {money(due + extra.amount)} {currency}"
    )


def _currency(text: str | None) -> str | None:
    if text is None:
        return None
    currency = text.strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise InvalidInputError(f"--currency: {text!r} is not an ISO 4217 code (EUR, GBP...).")
    return currency


def _interest_auto(args: argparse.Namespace) -> int:
    """``--auto``: choose the regime from the facts, say which and why, then compute."""
    if args.regime is not None:
        raise InvalidInputError("Give --regime or --auto, not both.")
    if args.debtor_kind is None:
        raise InvalidInputError("--auto needs --debtor-kind (business, consumer or public).")
    for option, value in (("--signified", args.signified), ("--margin", args.margin)):
        if value is not None:
            raise InvalidInputError(f"{option} needs an explicit --regime, not --auto.")
    choice = choose_regime(
        currency=_currency(args.currency) or "EUR",
        debtor_kind=args.debtor_kind,
        debtor_country=args.debtor_country,
        creditor_kind=args.creditor_kind,
        creditor_country=args.creditor_country,
    )
    if choice.regime is None:
        if args.json:
            emit_json({"choice": choice.as_json(), "computation": None})
        else:
            print(f"Aucun régime : {choice.reason}")
        return 0
    day_count = cast(DayCount, _choice("--day-count", args.day_count, DAY_COUNTS))
    computation = penalties_on_invoice(
        regime=choice.regime,
        principal=_positive("--principal", args.principal),
        due_date=_interest_start(args, choice.regime),
        as_of=_date("--to", args.end),
        payments=_payments(args.payment),
        currency=_currency(args.currency),
        creditor_kind=choice.creditor_kind,
        contract_rate=_optional_percent("--contract-rate", args.contract_rate),
        contract_multiple=_optional_percent("--contract-multiple", args.contract_multiple),
        terms_reference=args.terms_ref or "",
        notice_date=_optional_date("--notice", args.notice),
        capitalise_from=_optional_date("--capitalise-from", args.capitalise_from),
        day_count=day_count,
        issue_date=_optional_date("--issued", args.issued),
        tables=_tables(),
    )
    extra = _complement(args, choice.regime, computation.indemnity)
    if args.json:
        emit_json({"choice": choice.as_json(), "computation": computation.as_json(),
                   **_complement_json(extra, computation.amount_due)})
    else:
        print(f"Régime choisi : {choice.regime} — {choice.reason}\n")
        print(explain(computation) + _complement_text(extra, computation.amount_due, computation.currency))
    return 0


def _interest_start(args: argparse.Namespace, regime: str) -> date:
    """``--from``, or for fr-public the end of the payment period from ``--received``."""
    if args.received is None:
        if args.start is None:
            raise InvalidInputError("--from is required (or, for fr-public, --received).")
        if args.buyer is not None:
            raise InvalidInputError("--buyer goes with --received (fr-public).")
        return _date("--from", args.start)
    if regime != "fr-public":
        raise InvalidInputError("--received applies only to fr-public; give --from instead.")
    if args.start is not None:
        raise InvalidInputError("Give --from or --received, not both.")
    return public_payment_deadline(_date("--received", args.received), args.buyer or "state")


# --- relance rates --------------------------------------------------------------------------


def cmd_rates_list(args: argparse.Namespace) -> int:
    from relance.apps.legal.selectors import rates_known_until, rates_list

    if args.table is not None:
        _choice("--table", args.table, TABLE_NAMES)
    _tables()  # says "run relance init" when the database is not ready
    rows = rates_list(table=args.table)
    if args.json:
        emit_json(rows)
        return 0
    print(
        table(
            [(r["table"], r["from"], r["to"] or "", r["rate"], r["origin"], r["source"]) for r in rows],
            ["table", "from", "to", "rate %", "origin", "source"],
            right={3},
        )
    )
    known = rates_known_until()
    print()
    for name in TABLE_NAMES if args.table is None else (args.table,):
        print(
            f"{name}: known up to {known[name].isoformat()}; after that, record the published "
            f"rate with `relance rates add --table {name} --from DATE --rate R --source TEXT`."
        )
    return 0


def cmd_rates_add(args: argparse.Namespace) -> int:
    from relance.apps.legal.services import rate_add

    table = _choice("--table", args.table, TABLE_NAMES)
    _tables()
    row = rate_add(
        table=table,
        from_date=_date("--from", args.start),
        rate=_decimal("--rate", args.rate, what="a rate in percent"),
        source=args.source,
        actor="cli",
    )
    data = {
        "table": row.table,
        "from": row.from_date.isoformat(),
        "rate": percent(row.rate),
        "source": row.source,
    }
    if args.json:
        emit_json(data)
    else:
        print(
            f"Recorded {data['table']} from {data['from']}: {data['rate']} % ({data['source']}). "
            "It now overrides the shipped table."
        )
    return 0


# --- relance prescription -------------------------------------------------------------------


def cmd_prescription(args: argparse.Namespace) -> int:
    if args.prescription_command == "record":
        return cmd_prescription_record(args)
    if not args.kind or not args.start:
        raise InvalidInputError("relance prescription needs --kind and --from (or: record …).")
    kind = cast(PrescriptionKind, _choice("--kind", args.kind, PRESCRIPTION_KINDS))
    events: list[tuple[date, str, date | None]] = []
    for text in args.event:
        day, rest = _pair("--event", text, EVENT_EXAMPLE)
        event_kind, _, end = rest.partition(":")
        events.append(
            (_date("--event", day), event_kind.strip(), _date("--event", end) if end else None)
        )
    result = prescription(kind, _date("--from", args.start), events)
    if args.json:
        emit_json(result.as_json())
        return 0
    print(f"Prescription ({result.period_years} ans) — {result.basis}")
    print(f"Point de départ : {fr_date(result.start)}")
    for event in result.restarted_by:
        if event.kind == "suspension":
            print(f"Suspendue le {fr_date(event.date)} — {event.basis}.")
            continue
        print(f"Interrompue le {fr_date(event.date)} — {event.basis} ; un nouveau délai court.")
    for note in result.notes:
        print(f"Note : {note}")
    if result.expires == date.max:
        print("La prescription est suspendue tant que la médiation dure (C. civ. 2238).")
        return 0
    print(f"La créance est prescrite après le {fr_date(result.expires)} (dernier jour pour agir).")
    return 0


def cmd_prescription_record(args: argparse.Namespace) -> int:
    from relance.apps.legal.services import limitation_record
    from relance.cli.output import creditor_of

    end = _date("--end", args.end) if args.end else None
    row = limitation_record(
        creditor=creditor_of(args),
        account=args.debtor,
        invoice_number=args.invoice,
        kind=_choice("--event", args.event_kind, RECORDED_EVENTS),
        day=_date("--date", args.day),
        end=end,
        proof=args.proof,
        actor="cli",
    )
    data = {
        "id": row.pk,
        "debtor": args.debtor,
        "invoice": args.invoice,
        "kind": row.kind,
        "date": row.date.isoformat(),
        "end": end.isoformat() if end else None,
        "proof": row.proof,
    }
    if args.json:
        emit_json(data)
        return 0
    scope = f"la facture {args.invoice}" if args.invoice else "toutes ses créances échues à cette date"
    print(f"Enregistré pour {args.debtor} ({scope}) : {row.kind} du {fr_date(row.date)}"
          + (f" au {fr_date(end)}" if end else "") + f" — preuve : {row.proof}.")
    return 0


# --- relance terms check --------------------------------------------------------------------


def cmd_terms_check(args: argparse.Namespace) -> int:
    issue_date = _date("--issue", args.issue)
    due_date = _date("--due", args.due)
    warnings = check_payment_terms(issue_date, due_date, periodic=args.periodic)
    if args.json:
        emit_json(
            {
                "issue_date": issue_date.isoformat(),
                "due_date": due_date.isoformat(),
                "periodic": args.periodic,
                "ok": not warnings,
                "warnings": warnings,
            }
        )
    elif warnings:
        for warning in warnings:
            print(f"Attention : {warning}")
    else:
        print(
            f"Échéance du {fr_date(due_date)} dans les délais légaux de paiement "
            "(C. com. L441-10 I)."
        )
    return 0


def cmd_terms_set(args: argparse.Namespace) -> int:
    from relance.apps.legal.services import terms_set
    from relance.cli.output import creditor_of

    cgv = None
    if args.cgv_file is not None:
        try:
            cgv = Path(args.cgv_file).read_bytes()
        except OSError as exc:
            raise InvalidInputError(f"--cgv-file: cannot read {args.cgv_file}: {exc.strerror}.") from None
    row = terms_set(
        cgv=cgv,
        cgv_filename=Path(args.cgv_file).name if args.cgv_file else "",
        creditor=creditor_of(args),
        account=args.debtor,
        contract_rate=_optional_percent("--rate", args.rate),
        contract_multiple=_optional_percent("--multiple", args.multiple),
        reference=args.ref,
        actor="cli",
    )
    rate = f"{row.contract_multiple} × le taux légal" if row.contract_multiple else f"{row.contract_rate} %"
    data = {"debtor": args.debtor, "rate": str(row.contract_rate) if row.contract_rate else None,
            "multiple": str(row.contract_multiple) if row.contract_multiple else None,
            "reference": row.reference, "cgv": row.cgv_name or None, "cgv_sha256": row.cgv_sha256 or None}
    if args.json:
        emit_json(data)
    else:
        print(f"Taux contractuel {rate} ({row.reference})"
              + (f" pour {args.debtor}." if args.debtor else " pour tous les débiteurs professionnels."))
        if row.cgv_sha256:
            print(f"Conditions générales : {row.cgv_filename} (SHA-256 {row.cgv_sha256}).")
    return 0


# --- the parser -----------------------------------------------------------------------------


def register(sub: Subcommands) -> None:
    """Add ``interest``, the ``rates`` group, ``prescription`` and the ``terms`` group."""
    p = command(sub, "interest", cmd_interest, "late-payment interest and indemnity on a debt")
    p.add_argument("--regime", metavar="|".join(REGIMES))
    p.add_argument("--auto", action="store_true",
                   help="choose the regime from the facts (--debtor-kind, --debtor-country, "
                   "--creditor-kind, --creditor-country, --currency); --from is the due date")
    p.add_argument("--debtor-kind", metavar="|".join(DEBTOR_KINDS), help="--auto: who owes")
    p.add_argument("--debtor-country", default="FR", metavar="CC",
                   help="--auto: the debtor's country, ISO 3166 (default FR)")
    p.add_argument("--creditor-country", default="FR", metavar="CC",
                   help="--auto: the creditor's country (default FR)")
    p.add_argument("--notice", metavar="DATE",
                   help="--auto: the mise en demeure, from which civil interest runs")
    p.add_argument("--principal", required=True, metavar="AMOUNT")
    p.add_argument("--justified-costs", metavar="AMOUNT",
                   help="recovery costs spent, on proof: what they exceed the flat indemnity by is "
                   "added (C. com. L441-10 II; fr-b2b, eu-b2b, uk-b2b only)")
    p.add_argument("--from", dest="start", metavar="DATE",
                   help="last day before interest runs: the due date, or the end of the payment "
                   "period for fr-public (the mise en demeure for fr-civil, the judgment for "
                   "fr-judgment)")
    p.add_argument("--received", metavar="DATE",
                   help="fr-public, instead of --from: the day the buyer received the payment "
                   "request; the legal payment period is added (CCP R2192-10 to R2192-12)")
    p.add_argument("--buyer", metavar="|".join(p.buyer for p in payment_periods()),
                   help="fr-public: the kind of public buyer, for its payment period "
                   "(default state: 30 days; health: 50; public_enterprise: 60)")
    p.add_argument("--to", dest="end", required=True, metavar="DATE",
                   help="the day the money was available, or the as-of date")
    p.add_argument("--issued", metavar="DATE",
                   help="the invoice's date: the 40 EUR indemnity is due only on payment periods "
                   "begun from 1 January 2013 (décret n° 2012-1115)")
    p.add_argument("--currency", help="ISO 4217 code (default: EUR, GBP for uk-b2b)")
    p.add_argument("--creditor-kind", default="professional", metavar="|".join(CREDITOR_KINDS))
    p.add_argument("--payment", action="append", default=[], metavar="DATE:AMOUNT",
                   help="a partial payment, imputed on interest first (C. civ. 1343-1); repeatable")
    p.add_argument("--contract-rate", metavar="PERCENT", help="fr-b2b: the rate of the contract")
    p.add_argument("--contract-multiple", metavar="N",
                   help="fr-b2b: the contract's rate as N × the taux légal (N at least 3)")
    p.add_argument("--terms-ref", metavar="TEXT",
                   help="fr-b2b: the terms stipulating the rate (e.g. 'CGV 2025, art. 9')")
    p.add_argument("--signified", metavar="DATE", help="fr-judgment: the day it was signified")
    p.add_argument("--capitalise-from", metavar="DATE",
                   help="capitalise interest due for a full year from this date (C. civ. 1343-2)")
    p.add_argument("--day-count", default="365", metavar="|".join(DAY_COUNTS))
    p.add_argument("--margin", metavar="POINTS", help="eu-b2b: points over the ECB rate (default 8)")

    rsub = group(sub, "rates", "the rate tables (ECB, taux légal, Bank of England)", "rates_command")
    p = command(rsub, "list", cmd_rates_list, "list the rates, shipped and recorded")
    p.add_argument("--table", metavar="|".join(TABLE_NAMES))
    p = command(rsub, "add", cmd_rates_add,
                "record a newly published rate; it overrides the shipped table")
    p.add_argument("--table", required=True, metavar="|".join(TABLE_NAMES))
    p.add_argument("--from", dest="start", required=True, metavar="DATE",
                   help="the day the rate takes effect (1 January or 1 July for the taux légal)")
    p.add_argument("--rate", required=True, metavar="PERCENT")
    p.add_argument("--source", required=True, metavar="TEXT", help="who published it, and where")

    p = command(sub, "prescription", cmd_prescription, "the date a claim expires (prescription)")
    p.add_argument("--kind", metavar="|".join(PRESCRIPTION_KINDS))
    p.add_argument("--from", dest="start", metavar="DATE", help="the day the claim became due")
    psub = p.add_subparsers(dest="prescription_command", metavar="record")
    r = command(psub, "record", cmd_prescription,
                "record what interrupts or suspends a debtor's time limit, with its proof")
    r.add_argument("--creditor")
    r.add_argument("--debtor", required=True, metavar="ACCOUNT")
    r.add_argument("--invoice", metavar="NUMBER", help="one invoice; by default every claim due")
    r.add_argument("--event", dest="event_kind", required=True, metavar="|".join(RECORDED_EVENTS))
    r.add_argument("--date", dest="day", required=True, metavar="DATE")
    r.add_argument("--end", metavar="DATE", help="the end of a mediation (suspension)")
    r.add_argument("--proof", required=True, metavar="TEXT",
                   help="where the proof is: a court reference, a signed letter, a bailiff's act")
    p.add_argument("--event", action="append", default=[], metavar="DATE:KIND[:END]",
                   help="an acknowledgement by the debtor (2240), a claim in court (2241), an act "
                   "of enforcement (2244), a written claim to a public body (loi 68-1250) or a "
                   "mediation DATE:suspension:END (2238); repeatable")

    tsub = group(sub, "terms", "payment terms", "terms_command")
    p = command(tsub, "check", cmd_terms_check,
                "check a due date against the legal caps (C. com. L441-10 I)")
    p.add_argument("--issue", required=True, metavar="DATE", help="the invoice date")
    p.add_argument("--due", required=True, metavar="DATE", help="the due date agreed")
    p.add_argument("--periodic", action="store_true", help="a periodic invoice (45 days cap)")
    p = command(tsub, "set", cmd_terms_set,
                "record the contractual late-payment rate of the creditor's terms (fr-b2b)")
    p.add_argument("--creditor")
    p.add_argument("--debtor", metavar="ACCOUNT", help="this debtor's own terms")
    p.add_argument("--rate", metavar="PERCENT", help="a fixed rate")
    p.add_argument("--multiple", metavar="N", help="N × the taux légal (N at least 3)")
    p.add_argument("--ref", required=True, metavar="TEXT", help="the terms, e.g. 'CGV 2025, art. 9'")
    p.add_argument("--cgv-file", metavar="PATH",
                   help="the terms as a PDF, kept with its SHA-256 and cited as a pièce in every dossier")
