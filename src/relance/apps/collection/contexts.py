"""What a letter or an e-mail says: the context a step's document reads, built from the models.

``letter_context_for`` builds the documents layer's ``LetterContext`` for one debtor and step:
the creditor's identity, the debtor's address, the invoices the step lists (overdue ones not in
dispute; before any is due, those about to fall due), the earlier attempts actually carried out
(sent e-mails, letters and registered letters, calls with an outcome), payments received, the
penalties from the law engine with the rate tables as ``relance rates`` knows them, the
justified recovery costs above the flat indemnities where the law allows them (``costs``), the pay
link, the debtor portal's signed link (when ``RELANCE_PUBLIC_URL`` is set), and the notice
date: the receipt date of a delivered registered letter, from which civil interest runs. A
semester with no published rate raises ``UnknownRateError``, which names the ``relance rates
add`` command to run: nothing is guessed.

``letter_contexts`` builds the contexts of many documents at once (a fixed number of queries),
for the outbox, the print batch, the workspace and the editors. Reads only: nothing here
writes, renders or sends.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from django.db.models import Exists, OuterRef, Q

from relance.apps.collection.attempts import attempt_rows, attempts_from
from relance.apps.collection.costs import cost_claims, costs_by_case
from relance.apps.collection.models import (
    OPEN_CASE_STATUSES,
    Action,
    Case,
    Dispute,
    Instalment,
    Promise,
    Step,
)
from relance.apps.collection.portal_links import portal_url
from relance.apps.collection.scenarios import scenario_id_for
from relance.apps.creditors.models import AgencyMandate, Creditor
from relance.apps.ledger.models import Allocation, Contact, Debtor, Invoice, Payment
from relance.apps.legal.selectors import (
    UNDATED_ORIGINS,
    payment_terms_for,
    payments_net,
    rate_tables,
    regime_choice_for,
)
from relance.channels.registry import printed_channels
from relance.documents.agency import AgencyInfo
from relance.documents.context import (
    Attempt,
    CreditorInfo,
    DebtorInfo,
    InvoiceLine,
    Lang,
    LetterContext,
    PaymentReceived,
    build_penalties,
)
from relance.documents.context import Instalment as DocInstalment
from relance.documents.context import Promise as DocPromise
from relance.documents.templates import LETTER_STEPS, creditor_sources, step_name
from relance.domain.errors import InvalidInputError, RelanceError
from relance.domain.law import RateTables
from relance.domain.law.rates import UnknownRateError
from relance.domain.money import ZERO

LETTER_CHANNELS = printed_channels()  # queued for the print batch, never sent by the outbox
# Steps whose text states the penalties; the others never need a rate.
PENALTY_STEPS = frozenset({"call", "reminder_letter", "formal_notice", "escalation"})


# --- the context ----------------------------------------------------------------------------------


def _creditor_info(c: Creditor) -> CreditorInfo:
    return CreditorInfo(
        name=c.name,
        siren=c.siren,
        vat=c.vat_number,
        address_lines=tuple(line for line in c.address.splitlines() if line.strip()),
        postcode=c.postal_code,
        city=c.city,
        iban=c.iban,
        bic=c.bic,
        email=c.email,
        phone=c.phone,
        signature=c.signature,
        place=c.city,
        pay_link_template=c.pay_link_template,
        logo_path=Path(c.logo.path) if c.logo else None,
        templates=creditor_sources(str(c.pk)),
    )


def _debtor_info(d: Debtor, contact_name: str | None = None) -> DebtorInfo:
    if contact_name is None:
        contact = d.contacts.filter(is_primary=True).exclude(name="").first()
        contact_name = contact.name if contact else ""
    kind = d.kind if d.kind in ("business", "consumer", "public") else "business"
    return DebtorInfo(
        name=d.name,
        kind=cast(Any, kind),
        siren=d.siren,
        address_lines=tuple(line for line in d.address.splitlines() if line.strip()),
        postcode=d.postal_code,
        city=d.city,
        country=d.country or "FR",
        language=cast(Lang, d.language if d.language in ("fr", "en") else "fr"),
        contact_name=contact_name,
        account=d.account,
        email=d.email,
        phone=d.phone,
    )


def listed_invoices(*, debtor: Debtor, as_of: date) -> list[Invoice]:
    """What a step lists: the overdue open invoices not in dispute, or, before any is overdue,
    those falling due within a month (the courtesy reminder)."""
    disputed = Dispute.objects.filter(invoice_id=OuterRef("pk"), status=Dispute.Status.OPEN)
    rows = list(
        Invoice.objects.filter(
            debtor=debtor,
            status=Invoice.Status.OPEN,
            open_amount__gt=0,
            due_date__lte=as_of + timedelta(days=31),
        )
        .filter(~Exists(disputed))
        .order_by("due_date", "number")
    )
    overdue = [i for i in rows if i.due_date < as_of]
    return overdue or rows


def invoice_lines(
    invoices: Iterable[Invoice],
    paid: Mapping[int, Iterable[tuple[date, Decimal]]] | None = None,
    credited: Mapping[int, Decimal] | None = None,
    with_files: bool = False,
) -> tuple[InvoiceLine, ...]:
    """The documents' lines of ``invoices``, in their order. ``paid``: each invoice's dated
    allocations (value date, amount) by pk, netted into its payments; ``credited``: what credit
    notes took off each (see ``invoice_allocations``); none when not given. ``with_files``: the
    document is an e-mail, which carries each invoice's stored PDF (``messages.invoice_files``)."""
    paid = paid or {}
    credited = credited or {}
    return tuple(
        InvoiceLine(
            number=i.number,
            issue_date=i.issue_date,
            due_date=i.due_date,
            total=i.total_amount,
            open_amount=i.open_amount,
            currency=i.currency,
            payments=tuple(payments_net(paid.get(i.pk, ()))),
            credited=credited.get(i.pk, ZERO),
            attached=with_files and bool(i.pdf),
        )
        for i in invoices
    )


def invoice_allocations(
    invoice_ids: Iterable[int], *, as_of: date
) -> tuple[dict[int, list[tuple[date, Decimal]]], dict[int, Decimal]]:
    """Per invoice, its dated payments up to ``as_of`` (value date, amount), and what credit
    notes took off it: what ``invoice_lines`` needs."""
    paid: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    credited: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for invoice_id, day, amount, origin in (
        Allocation.objects.filter(invoice_id__in=list(invoice_ids), payment__value_date__lte=as_of)
        .order_by("payment__value_date", "id")
        .values_list("invoice_id", "payment__value_date", "amount", "payment__origin")
    ):
        if origin == Payment.Origin.CREDIT:
            credited[invoice_id] += amount
        elif origin not in UNDATED_ORIGINS:
            paid[invoice_id].append((day, amount))
    return paid, credited


def notice_date_for(*, debtor: Debtor, as_of: date) -> date | None:
    """The receipt date of the debtor's latest delivered registered letter (the mise en demeure)."""
    action = (
        Action.objects.filter(
            debtor=debtor,
            channel=Step.Channel.REGISTERED_LETTER,
            received_date__isnull=False,
            received_date__lte=as_of,
        )
        .order_by("-received_date")
        .first()
    )
    return action.received_date if action else None


def case_current(*, debtor: Debtor) -> Case | None:
    """The debtor's open case, or its latest one: the case a message speaks of."""
    return (
        Case.objects.filter(debtor=debtor, status__in=OPEN_CASE_STATUSES).first()
        or Case.objects.filter(debtor=debtor).order_by("-cycle").first()
    )


def case_reference(*, case: Case | None, debtor: Debtor, as_of: date) -> str:
    """The reference letters, e-mails, QR codes and the portal ask the debtor to quote."""
    if case is None:
        return f"R-{as_of.year}-{debtor.account}"
    return f"R-{case.opened_on.year}-{case.pk:04d}"


def letter_context_for(
    *,
    case_or_debtor: Case | Debtor,
    step_key: str,
    as_of: date,
    lang: str | None = None,
    channel: str | None = None,
    tables: RateTables | None = None,
    exclude_action_id: int | None = None,
    edits: tuple[tuple[str, str], ...] = (),
) -> LetterContext:
    """The ``LetterContext`` for ``step_key`` (a scenario step key or a template name) as of
    ``as_of``. ``lang`` defaults to the debtor's language; ``channel`` to the step's channel in
    the debtor's scenario. Raises ``UnknownRateError`` when a penalty needs an unpublished rate.
    """
    request = context_request(
        case_or_debtor=case_or_debtor,
        step_key=step_key,
        lang=lang,
        channel=channel,
        exclude_action_id=exclude_action_id,
    )
    if edits:
        request = replace(request, edits=edits)
    (built,) = letter_contexts([request], as_of=as_of, tables=tables)
    if isinstance(built, Exception):
        raise built
    return built.context


@dataclass(frozen=True)
class ContextRequest:
    """One document to build a context for: whose, which template, in which language and channel."""

    debtor: Debtor
    case: Case | None
    template: str
    channel: str
    lang: str
    exclude_action_id: int | None = None
    # This one document's edited templates (``Action.edits``), over the creditor's own.
    edits: tuple[tuple[str, str], ...] = ()
    # What a written confirmation confirms (``Action.promise``, ``Action.plan``).
    promise_id: int | None = None
    plan_id: int | None = None


@dataclass(frozen=True)
class BuiltContext:
    context: LetterContext
    invoices: tuple[Invoice, ...]  # the ledger rows listed, in the context's order
    missing_rate: str = (
        ""  # the semester whose rate is unpublished, when the penalties were left out
    )


def context_request(
    *,
    case_or_debtor: Case | Debtor,
    step_key: str,
    lang: str | None = None,
    channel: str | None = None,
    exclude_action_id: int | None = None,
) -> ContextRequest:
    """Resolve the debtor's case, the step's template and channel, and the language."""
    if isinstance(case_or_debtor, Case):
        case: Case | None = case_or_debtor
        debtor = case_or_debtor.debtor
    else:
        debtor = case_or_debtor
        case = case_current(debtor=debtor)
    language = lang or (debtor.language if debtor.language in ("fr", "en") else "fr")
    if language not in ("fr", "en"):
        raise InvalidInputError(f"Unknown language {language!r}; use fr or en.")
    step = step_for(debtor=debtor, case=case, step_key=step_key)
    template = step_name(step.template if step else step_key)
    chosen_channel = channel or (step.channel if step else default_channel(template))
    return ContextRequest(debtor, case, template, chosen_channel, language, exclude_action_id)


def action_request(action: Action, *, debtor: Debtor, case: Case | None) -> ContextRequest:
    """The context an action's document reads: its case, its template, its channel, the
    debtor's language, the action itself left out of the attempts. Raises ``NotFoundError``
    for a template no step has."""
    lang = debtor.language if debtor.language in ("fr", "en") else "fr"
    return ContextRequest(
        debtor,
        case,
        step_name(action.template or action.step_key),
        action.channel,
        lang,
        action.pk,
        action_edits(action),
        action.promise_id,
        action.plan_id,
    )


def action_edits(action: Action) -> tuple[tuple[str, str], ...]:
    """The templates a person edited for this one action, as ``CreditorInfo.templates`` pairs."""
    edits = action.edits if isinstance(action.edits, dict) else {}
    return tuple(sorted((str(k), str(v)) for k, v in edits.items()))


def _with_edits(info: CreditorInfo, edits: tuple[tuple[str, str], ...]) -> CreditorInfo:
    if not edits:
        return info
    return replace(info, templates=tuple(sorted({**dict(info.templates), **dict(edits)}.items())))


def letter_contexts(
    requests: Sequence[ContextRequest],
    *,
    as_of: date,
    tables: RateTables | None = None,
    without_unknown_rates: bool = False,
) -> list[BuiltContext | RelanceError]:
    """The contexts of many documents as of ``as_of``, a fixed number of queries for all.

    Per request, the context or the error that kept it from being built. A penalty needing an
    unpublished rate is an ``UnknownRateError``; with ``without_unknown_rates`` the document
    is built without the penalties instead (``missing_rate`` says which semester), as an
    e-mail that must still go out is.
    """
    if not requests:
        return []
    debtor_ids = {r.debtor.pk for r in requests}
    # Once per creditor: its info carries its edited templates, read from the database.
    creditor_rows = {
        c.pk: c for c in Creditor.objects.filter(pk__in={r.debtor.creditor_id for r in requests})
    }
    creditors = {pk: _creditor_info(c) for pk, c in creditor_rows.items()}
    disputed = Dispute.objects.filter(invoice_id=OuterRef("pk"), status=Dispute.Status.OPEN)
    invoices: dict[int, list[Invoice]] = defaultdict(list)
    for inv in (
        Invoice.objects.filter(
            debtor_id__in=debtor_ids,
            status=Invoice.Status.OPEN,
            open_amount__gt=0,
            due_date__lte=as_of + timedelta(days=31),
        )
        .filter(~Exists(disputed))
        .order_by("due_date", "number")
    ):
        invoices[inv.debtor_id].append(inv)
    for debtor_id, rows in invoices.items():
        invoices[debtor_id] = [i for i in rows if i.due_date < as_of] or rows
    paid, credited = invoice_allocations(
        [i.pk for rows in invoices.values() for i in rows], as_of=as_of
    )
    contacts: dict[int, str] = {}
    for debtor_id, name in (
        Contact.objects.filter(debtor_id__in=debtor_ids, is_primary=True)
        .exclude(name="")
        .order_by("debtor_id", "pk")
        .values_list("debtor_id", "name")
    ):
        contacts.setdefault(debtor_id, name)
    notices: dict[int, date] = {}
    unclaimed: set[int] = set()  # a registered letter came back unclaimed (same query)
    for debtor_id, received in (
        Action.objects.filter(debtor_id__in=debtor_ids, channel=Step.Channel.REGISTERED_LETTER)
        .filter(Q(received_date__isnull=False, received_date__lte=as_of) | Q(not_claimed=True))
        .values_list("debtor_id", "received_date")
    ):
        if received is None:
            unclaimed.add(debtor_id)
            continue
        notices[debtor_id] = max(received, notices.get(debtor_id, received))
    last_payments: dict[int, PaymentReceived] = {}
    for debtor_id, amount, day in (
        Payment.objects.filter(debtor_id__in=debtor_ids, value_date__lte=as_of, amount__gt=0)
        .order_by("debtor_id", "-value_date", "-id")
        .values_list("debtor_id", "amount", "value_date")
    ):
        last_payments.setdefault(debtor_id, PaymentReceived(amount, day))
    rows_by_debtor = attempt_rows(debtor_ids)
    terms = payment_terms_for(creditor_ids=creditor_rows, debtor_ids=debtor_ids)
    promises, plans = _agreements(requests)
    costs = costs_by_case((r.case.pk if r.case else None for r in requests), as_of=as_of)
    mandates = {m.creditor_id: m for m in AgencyMandate.objects.filter(creditor_id__in=list(creditor_rows))}
    out: list[BuiltContext | RelanceError] = []
    for r in requests:
        listed = tuple(invoices.get(r.debtor.pk, ()))
        lines = invoice_lines(listed, paid, credited, with_files=r.channel == "email")
        info = _debtor_info(r.debtor, contacts.get(r.debtor.pk, ""))
        notice = notices.get(r.debtor.pk)
        penalties, missing = None, ""
        try:
            choice = regime_choice_for(
                debtor=r.debtor,
                creditor=creditor_rows[r.debtor.creditor_id],
                currencies=[line.currency for line in lines],
            )
            if r.template in PENALTY_STEPS and lines:
                if tables is None:
                    tables = rate_tables()
                try:
                    penalties = build_penalties(
                        debtor_kind=info.kind,
                        invoices=lines,
                        as_of=as_of,
                        notice_date=notice,
                        tables=tables,
                        choice=choice,
                        **_terms_of(terms, r.debtor),
                    )
                except UnknownRateError as exc:
                    if not without_unknown_rates:
                        raise
                    missing = exc.period
            attempts = attempts_from(
                rows_by_debtor.get(r.debtor.pk, ()),
                before=as_of + timedelta(days=1),
                exclude_id=r.exclude_action_id,
            )
            reference = case_reference(case=r.case, debtor=r.debtor, as_of=as_of)
            context = LetterContext(
                agency=_agency(mandates.get(r.debtor.creditor_id), r.case, attempts, reference),
                creditor=_with_edits(creditors[r.debtor.creditor_id], r.edits),
                debtor=info,
                invoices=lines,
                letter_date=as_of,
                reference=reference,
                attempts=attempts,
                penalties=penalties,
                lang=cast(Lang, r.lang),
                channel=r.channel,
                notice_date=notice,
                notice_not_claimed=r.debtor.pk in unclaimed,
                payment=last_payments.get(r.debtor.pk),
                promise=promises.get(r.promise_id) if r.promise_id else None,
                plan=plans.get(r.plan_id, ()) if r.plan_id else (),
                portal_url=portal_url(
                    creditor_id=r.debtor.creditor_id, debtor_id=r.debtor.pk, as_of=as_of
                ),
                regime_choice=choice,
                other_claims=cost_claims(
                    costs.get(r.case.pk, []) if r.case else [],
                    template=r.template,
                    penalties=penalties,
                    currency=lines[0].currency if lines else "EUR",
                    lang=r.lang,
                ),
            )
        except RelanceError as exc:
            out.append(exc)
            continue
        out.append(BuiltContext(context, listed, missing))
    return out


WRITTEN = frozenset({"email", "letter", "registered_letter"})


def _agency(mandate: AgencyMandate | None, case: Case | None, attempts: Sequence[Attempt], reference: str) -> AgencyInfo | None:
    """The agency writing for the creditor, with its first letter to the debtor in this case (the
    first written message sent since the mandate began and the case opened)."""
    if mandate is None:
        return None
    start = max(mandate.since, case.opened_on) if case is not None else mandate.since
    first = min((a.date for a in attempts if a.channel in WRITTEN and a.date >= start), default=None)
    return AgencyInfo(
        name=mandate.name, address_lines=(mandate.address,), postcode=mandate.postal_code, city=mandate.city,
        activity=mandate.activity, first_reference=reference if first else "", first_date=first,
    )


def _terms_of(terms: Mapping[tuple[int, int | None], Any], debtor: Debtor) -> dict[str, Any]:
    """The contractual rate and its terms for this debtor: its own, else its creditor's."""
    row = terms.get((debtor.creditor_id, debtor.pk)) or terms.get((debtor.creditor_id, None))
    if row is None:
        return {}
    return {
        "contract_rate": row.contract_rate,
        "contract_multiple": row.contract_multiple,
        "terms_reference": row.reference,
    }


def _agreements(
    requests: Sequence[ContextRequest],
) -> tuple[dict[int, DocPromise], dict[int, tuple[DocInstalment, ...]]]:
    """The promises and plans the requests confirm, as the documents state them."""
    promise_ids = {r.promise_id for r in requests if r.promise_id}
    plan_ids = {r.plan_id for r in requests if r.plan_id}
    promises = {
        pk: DocPromise(amount, day)
        for pk, amount, day in Promise.objects.filter(pk__in=promise_ids).values_list(
            "pk", "amount", "promised_date"
        )
    } if promise_ids else {}
    plans: dict[int, list[DocInstalment]] = defaultdict(list)
    if plan_ids:
        for plan_id, day, amount in (
            Instalment.objects.filter(plan_id__in=plan_ids)
            .order_by("plan_id", "position")
            .values_list("plan_id", "due_date", "amount")
        ):
            plans[plan_id].append(DocInstalment(day, amount))
    return promises, {pk: tuple(rows) for pk, rows in plans.items()}


def default_channel(template: str) -> str:
    if template == "formal_notice":
        return "registered_letter"
    return "letter" if template in LETTER_STEPS else "email"


def step_for(*, debtor: Debtor, case: Case | None, step_key: str) -> Step | None:
    """The step ``step_key`` of the debtor's scenario (its case's, else the one assigned to the
    debtor, else the default for its kind)."""
    scenario_id = scenario_id_for(debtor=debtor, case=case)
    if scenario_id is None:
        return None
    return Step.objects.filter(scenario_id=scenario_id, key=step_key).first()

