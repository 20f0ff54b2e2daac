"""Letters from the models: the context a step's document reads, previews, the day's batch, proof.

``letter_context_for`` builds the documents layer's ``LetterContext`` for one debtor and step:
the creditor's identity, the debtor's address, the invoices the step lists (overdue ones not in
dispute; before any is due, those about to fall due), the earlier attempts actually carried out
(sent e-mails, letters and registered letters, calls with an outcome), payments received, the
penalties from the law engine with the rate tables as ``relance rates`` knows them, the pay
link, the debtor portal's signed link (when ``RELANCE_PUBLIC_URL`` is set), and the notice
date: the receipt date of a delivered registered letter, from which civil interest runs. A
semester with no published rate raises ``UnknownRateError``, which names the ``relance rates
add`` command to run: nothing is guessed.

``document_render`` is what ``relance render`` writes: a step's letter (PDF) or e-mail (.eml:
plain text and HTML alternatives, the EPC QR code as PNG, the letter PDF for letter steps and
the invoice PDFs when the ledger has them), rendered and never sent.

``letters_batch`` prints the day's letters and registered letters (approved or not needing
approval, planned for the day or before) into one PDF behind a cover sheet. Each letter's pages
are stored unchanged under ``MEDIA_ROOT/documents/<sha256>.pdf``; the hash goes on the action and
into an ``action.sent`` audit event ("document as sent"). A mise en demeure the validator
refuses, or a letter that cannot be written, stays pending and is reported.

``letter_deliver`` records a registered letter's tracking number and then its acknowledgement
date (or that it was not claimed): the receipt date is the proof and the notice date.
"""

from __future__ import annotations

import hashlib
import html
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from email.utils import make_msgid
from pathlib import Path
from typing import Any, cast

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from relance.apps.audit.documents import document_store
from relance.apps.audit.services import EventInput, event_record, events_record
from relance.apps.collection.models import OPEN_CASE_STATUSES, Action, Case, Dispute, Scenario, Step
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Allocation, Contact, Debtor, Invoice, Payment
from relance.apps.legal.selectors import payments_net, rate_tables
from relance.apps.portal.links import portal_url
from relance.channels.email import Attachment, OutgoingEmail, prepare
from relance.documents.context import (
    Attempt,
    CreditorInfo,
    DebtorInfo,
    InvoiceLine,
    Lang,
    LetterContext,
    PaymentReceived,
    build_penalties,
    format_siren,
)
from relance.documents.formal_notice import check_formal_notice
from relance.documents.letter import compose_letter
from relance.documents.qr import transfer_png
from relance.documents.templates import LETTER_STEPS, creditor_sources, render_step, step_name
from relance.domain.law import RateTables
from relance.domain.law.rates import UnknownRateError
from relance.domain.problems import N_, Problem
from relance.errors import InvalidInputError, NotFoundError, RelanceError

LETTER_CHANNELS = ("letter", "registered_letter")
# The carried-out actions a later letter summarises.
ATTEMPT_CHANNELS = ("email", "letter", "registered_letter", "sms")
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


def _invoice_lines(invoices: list[Invoice], as_of: date) -> tuple[InvoiceLine, ...]:
    paid: dict[int, list[tuple[date, Any]]] = {}
    for invoice_id, day, amount in (
        Allocation.objects.filter(
            invoice_id__in=[i.pk for i in invoices], payment__value_date__lte=as_of
        )
        .order_by("payment__value_date", "id")
        .values_list("invoice_id", "payment__value_date", "amount")
    ):
        paid.setdefault(invoice_id, []).append((day, amount))
    return tuple(
        InvoiceLine(
            number=i.number,
            issue_date=i.issue_date,
            due_date=i.due_date,
            total=i.total_amount,
            open_amount=i.open_amount,
            currency=i.currency,
            payments=tuple(payments_net(paid.get(i.pk, []))),
        )
        for i in invoices
    )


def _outcome_summary(outcome: dict[str, Any]) -> str:
    for key in ("summary", "note", "result", "kind"):
        value = outcome.get(key)
        if value:
            return str(value)
    return ""


_ATTEMPT_FIELDS = (
    "pk",
    "debtor_id",
    "channel",
    "state",
    "outcome",
    "sent_at",
    "planned_date",
    "subject",
)


def _attempt_rows(debtor_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """Per debtor, the actions that may count as attempts, oldest plan first."""
    rows: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in (
        Action.objects.filter(
            debtor_id__in=list(debtor_ids), channel__in=(*ATTEMPT_CHANNELS, Step.Channel.CALL)
        )
        .exclude(state__in=(Action.State.CANCELLED, Action.State.SKIPPED, Action.State.FAILED))
        .order_by("planned_date", "id")
        .values(*_ATTEMPT_FIELDS)
    ):
        rows[row["debtor_id"]].append(row)
    return rows


def _attempts_from(
    rows: Iterable[dict[str, Any]], *, before: date, exclude_id: int | None
) -> tuple[Attempt, ...]:
    attempts = []
    for a in rows:
        if a["pk"] == exclude_id:
            continue
        done = (
            bool(a["outcome"])
            if a["channel"] == Step.Channel.CALL
            else a["state"] == Action.State.SENT
        )
        if not done:
            continue
        day = timezone.localdate(a["sent_at"]) if a["sent_at"] else a["planned_date"]
        if day >= before and a["planned_date"] < before:
            day = a[
                "planned_date"
            ]  # sent after the day looked at (a past day replayed): its plan date
        if day >= before:
            continue
        summary = (
            a["subject"] if a["channel"] != Step.Channel.CALL else _outcome_summary(a["outcome"])
        )
        attempts.append(Attempt(date=day, channel=a["channel"], summary=summary))
    attempts.sort(key=lambda x: x.date)
    return tuple(attempts)


def attempts_for(
    *, debtor: Debtor, before: date, exclude_id: int | None = None
) -> tuple[Attempt, ...]:
    """The steps carried out with the debtor before ``before``, oldest first.

    Sent e-mails, letters, registered letters and SMS; calls once an outcome was recorded.
    Planned, skipped, cancelled and failed actions never reached the debtor and are left out.
    """
    return _attempts_from(
        _attempt_rows([debtor.pk]).get(debtor.pk, []), before=before, exclude_id=exclude_id
    )


def attempts_by_debtor(
    debtor_ids: Iterable[int], *, before: date, exclude_ids: Iterable[int] = ()
) -> dict[int, tuple[Attempt, ...]]:
    """``attempts_for`` of many debtors in one query (the actions ``exclude_ids`` left out)."""
    skip = set(exclude_ids)
    return {
        debtor_id: tuple(
            a for a in _attempts_from([r for r in rows if r["pk"] not in skip], before=before,
                                      exclude_id=None)
        )
        for debtor_id, rows in _attempt_rows(debtor_ids).items()
    }


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
    )


def action_edits(action: Action) -> tuple[tuple[str, str], ...]:
    """The templates a person edited for this one action, as ``CreditorInfo.templates`` pairs."""
    edits = action.edits if isinstance(action.edits, dict) else {}
    return tuple(sorted((str(k), str(v)) for k, v in edits.items()))


def _with_edits(info: CreditorInfo, edits: tuple[tuple[str, str], ...]) -> CreditorInfo:
    if not edits:
        return info
    return replace(info, templates=tuple(sorted({**dict(info.templates), **dict(edits)}.items())))


def email_preview(*, action: Action, as_of: date) -> OutgoingEmail:
    """The e-mail the outbox would send for ``action`` as of ``as_of`` (only its Message-ID
    and Date would differ), for the workspace's preview. Raises ``InvalidInputError`` when
    nothing is left to chase, and what kept the e-mail from being written."""
    request = action_request(action, debtor=action.debtor, case=action.case)
    (built,) = letter_contexts([request], as_of=as_of, without_unknown_rates=True)
    if isinstance(built, Exception):
        raise built
    if not built.context.invoices:
        raise InvalidInputError("nothing left to chase")
    domain = action.creditor.email.rpartition("@")[2] or "relance.invalid"
    return email_compose(
        context=built.context,
        template=request.template,
        message_id=action.message_id or f"<preview-{action.pk}@{domain}>",
        invoices=built.invoices,
    )


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
    creditors = {
        c.pk: _creditor_info(c)
        for c in Creditor.objects.filter(pk__in={r.debtor.creditor_id for r in requests})
    }
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
    paid: dict[int, list[tuple[date, Any]]] = defaultdict(list)
    for invoice_id, day, amount in (
        Allocation.objects.filter(
            invoice_id__in=[i.pk for rows in invoices.values() for i in rows],
            payment__value_date__lte=as_of,
        )
        .order_by("payment__value_date", "id")
        .values_list("invoice_id", "payment__value_date", "amount")
    ):
        paid[invoice_id].append((day, amount))
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
    attempt_rows = _attempt_rows(debtor_ids)
    out: list[BuiltContext | RelanceError] = []
    for r in requests:
        listed = tuple(invoices.get(r.debtor.pk, ()))
        lines = tuple(
            InvoiceLine(
                number=i.number,
                issue_date=i.issue_date,
                due_date=i.due_date,
                total=i.total_amount,
                open_amount=i.open_amount,
                currency=i.currency,
                payments=tuple(payments_net(paid.get(i.pk, []))),
            )
            for i in listed
        )
        info = _debtor_info(r.debtor, contacts.get(r.debtor.pk, ""))
        notice = notices.get(r.debtor.pk)
        penalties, missing = None, ""
        try:
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
                    )
                except UnknownRateError as exc:
                    if not without_unknown_rates:
                        raise
                    missing = exc.period
            context = LetterContext(
                creditor=_with_edits(creditors[r.debtor.creditor_id], r.edits),
                debtor=info,
                invoices=lines,
                letter_date=as_of,
                reference=case_reference(case=r.case, debtor=r.debtor, as_of=as_of),
                attempts=_attempts_from(
                    attempt_rows.get(r.debtor.pk, ()),
                    before=as_of + timedelta(days=1),
                    exclude_id=r.exclude_action_id,
                ),
                penalties=penalties,
                lang=cast(Lang, r.lang),
                channel=r.channel,
                notice_date=notice,
                notice_not_claimed=r.debtor.pk in unclaimed,
                payment=last_payments.get(r.debtor.pk),
                portal_url=portal_url(
                    creditor_id=r.debtor.creditor_id, debtor_id=r.debtor.pk, as_of=as_of
                ),
            )
        except RelanceError as exc:
            out.append(exc)
            continue
        out.append(BuiltContext(context, listed, missing))
    return out


def default_channel(template: str) -> str:
    if template == "formal_notice":
        return "registered_letter"
    return "letter" if template in LETTER_STEPS else "email"


def step_for(*, debtor: Debtor, case: Case | None, step_key: str) -> Step | None:
    """The step ``step_key`` of the debtor's scenario (its case's, else the one assigned to the
    debtor, else the default for its kind)."""
    scenario_id = case.scenario_id if case else None
    if scenario_id is None:
        scenario_id = (
            Scenario.objects.filter(assignments__debtor=debtor).values_list("pk", flat=True).first()
        )
    if scenario_id is None:
        default = next(
            (
                s
                for s in Scenario.objects.filter(is_default=True).order_by("pk")
                if debtor.kind in (s.debtor_kinds or [debtor.kind])
            ),
            None,
        )
        scenario_id = default.pk if default else None
    if scenario_id is None:
        return None
    return Step.objects.filter(scenario_id=scenario_id, key=step_key).first()


def debtor_get(*, creditor: Creditor, account: str) -> Debtor:
    debtor = Debtor.objects.filter(creditor=creditor, account=account).first()
    if debtor is None:
        raise NotFoundError(f"no debtor with account {account!r} for {creditor.name}")
    return debtor


# --- one document, rendered and not sent --------------------------------------------------------


@dataclass(frozen=True)
class RenderedDocument:
    kind: str  # "pdf" or "eml"
    data: bytes
    step: str
    channel: str
    subject: str
    problems: tuple[Problem, ...] = ()

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def document_render(
    *,
    creditor: Creditor,
    debtor_account: str,
    step_key: str,
    as_of: date,
    lang: str | None = None,
    kind: str = "pdf",
) -> RenderedDocument:
    """What ``step_key`` would send the debtor as of ``as_of``: a PDF letter or an e-mail (.eml).

    The e-mail is the one the outbox sends (``email_compose``, the same context rules); only
    its Message-ID and Date differ."""
    from relance.documents.pdf import render_letter

    if kind not in ("pdf", "eml"):
        raise InvalidInputError("the output must be a .pdf or an .eml file")
    debtor = debtor_get(creditor=creditor, account=debtor_account)
    request = context_request(case_or_debtor=debtor, step_key=step_key, lang=lang)
    # A letter needs every penalty or is refused; an e-mail goes out without unknown penalties.
    (built,) = letter_contexts([request], as_of=as_of, without_unknown_rates=kind == "eml")
    if isinstance(built, Exception):
        raise built
    context, template = built.context, request.template
    if not context.invoices:
        raise InvalidInputError(f"debtor {debtor_account} has nothing to chase as of {as_of}")
    problems = tuple(check_formal_notice(context)) if template == "formal_notice" else ()
    if built.missing_rate:
        problems += (_missing_rate_problem(built.missing_rate),)
    if kind == "pdf":
        letter = compose_letter(context, template)
        return RenderedDocument(
            "pdf",
            render_letter(context, template),
            template,
            context.channel,
            letter.subject,
            problems,
        )
    domain = creditor.email.rpartition("@")[2] or "relance.invalid"
    mail = email_compose(
        context=context,
        template=template,
        message_id=make_msgid(domain=domain),
        invoices=built.invoices,
    )
    return RenderedDocument(
        "eml", prepare(mail).data, template, context.channel, mail.subject, problems
    )


def _missing_rate_problem(period: str) -> Problem:
    return Problem.of(
        "rate_unknown",
        N_("the penalties are left out: no published rate for %(period)s (relance rates add)"),
        period=period,
    )


EMAIL_LABELS = {
    "fr": {
        "qr": "Code QR de virement SEPA",
        "qr_help": "À scanner avec l'application de votre banque : "
        "le bénéficiaire, le montant ({amount}) et la référence ({reference}) sont déjà remplis.",
        "siren": "SIREN",
        "pay": "Régler en ligne",
    },
    "en": {
        "qr": "SEPA transfer QR code",
        "qr_help": "Scan it with your banking app: the payee, the amount "
        "({amount}) and the reference ({reference}) are filled in.",
        "siren": "SIREN",
        "pay": "Pay online",
    },
}


def email_compose(
    *,
    context: LetterContext,
    template: str,
    message_id: str,
    invoices: Iterable[Invoice | tuple[str, Path]] = (),
    with_letter: bool | None = None,
    date_timestamp: float | None = None,
) -> OutgoingEmail:
    """A step as the e-mail the debtor receives: the step's text (``render_step``, the
    creditor's edited templates included) as plain text and HTML, the creditor's identity
    under it, Reply-To the creditor; the EPC QR code inline (``cid:``) when the creditor has an
    IBAN and the amount is in euros; the letter as PDF for a letter step (``with_letter``
    defaults to that) and each listed invoice's PDF when the ledger has it."""
    from relance.documents.pdf import render_letter
    from relance.documents.templates import format_money, payable_amount

    rendered = render_step(context, template)
    creditor, debtor = context.creditor, context.debtor
    labels = EMAIL_LABELS[rendered.lang if rendered.lang in EMAIL_LABELS else "fr"]
    if with_letter is None:
        with_letter = template in LETTER_STEPS or context.channel in LETTER_CHANNELS
    identity = [creditor.name]
    if creditor.siren:
        identity.append(f"{labels['siren']} {format_siren(creditor.siren)}")
    place = " ".join(x for x in (creditor.postcode, creditor.city) if x)
    address = ", ".join([*creditor.address_lines, *([place] if place else [])])
    if address:
        identity.append(address)
    footer = " — ".join(identity)
    text = f"{rendered.text}\n-- \n{footer}\n"
    body = rendered.html
    amount = payable_amount(context, template)
    for link in (context.pay_link(amount), context.portal_url):
        if link:
            escaped = html.escape(link)
            body = body.replace(escaped, f'<a href="{escaped}">{escaped}</a>')
    inline: list[Attachment] = []
    png = (
        transfer_qr_png(context, amount)
        if creditor.iban and context.currency == "EUR" and amount > 0
        else b""
    )
    if png:
        cid = f"qr-virement@{message_id.strip('<>').rpartition('@')[2] or 'relance.invalid'}"
        inline.append(Attachment("qr-virement.png", "image/png", png, cid))
        help_text = labels["qr_help"].format(
            amount=format_money(amount, rendered.lang, context.currency),
            reference=context.reference,
        )
        body += (
            f'\n<p><img src="cid:{cid}" alt="{html.escape(labels["qr"])}" width="196" height="196"><br>'
            f"<small>{html.escape(help_text)}</small></p>"
        )
    page = (
        f'<!doctype html>\n<html lang="{rendered.lang}"><head><meta charset="utf-8">'
        f"<title>{html.escape(rendered.subject)}</title></head>\n<body>\n{body}\n"
        f'<hr>\n<p style="font-size:small;color:#555">{html.escape(footer)}</p>\n</body></html>\n'
    )
    attachments: list[Attachment] = []
    if with_letter:
        attachments.append(
            Attachment(
                f"{context.reference}.pdf", "application/pdf", render_letter(context, template)
            )
        )
    for number, path in invoice_files(invoices):
        try:
            attachments.append(Attachment(f"{number}.pdf", "application/pdf", path.read_bytes()))
        except OSError:
            continue
    return OutgoingEmail(
        message_id=message_id,
        from_name=creditor.name,
        from_address=creditor.email or "noreply@relance.invalid",
        to=debtor.email,
        to_name=debtor.name,
        reply_to=creditor.email,
        subject=rendered.subject,
        text=text,
        html=page,
        date_timestamp=date_timestamp,
        reference=context.reference,
        inline=tuple(inline),
        attachments=tuple(attachments),
    )


def invoice_files(invoices: Iterable[Invoice | tuple[str, Path]]) -> list[tuple[str, Path]]:
    """(number, path) of each invoice whose PDF the ledger keeps (pairs are passed through)."""
    out = []
    for invoice in invoices:
        if isinstance(invoice, tuple):
            out.append(invoice)
        elif invoice.pdf:
            out.append((invoice.number, Path(invoice.pdf.path)))
    return out


def transfer_qr_png(context: LetterContext, amount: Decimal) -> bytes:
    """The EPC QR code of a transfer of ``amount`` to the creditor, quoting the context's
    reference and invoice numbers (e-mails and the debtor portal draw the same); b"" when the
    creditor's IBAN or BIC cannot go into one."""
    creditor = context.creditor
    numbers = " ".join(i.number for i in context.invoices)
    return transfer_png(
        creditor.name, creditor.iban, creditor.bic, amount, f"{context.reference} {numbers}"
    )



# --- the day's letters ----------------------------------------------------------------------------


@dataclass
class BatchResult:
    as_of: date
    pdf: bytes = b""
    sha256: str = ""
    letters: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "sha256": self.sha256,
            "letters": self.letters,
            "refused": self.refused,
            "problems": [p.as_dict() for p in self.problems],
        }


def letters_due(*, as_of: date, creditor: Creditor | None = None) -> list[Action]:
    """The letter and registered-letter actions ready to print: approved (or needing no
    approval) and planned for ``as_of`` or before."""
    qs = (
        Action.objects.filter(channel__in=LETTER_CHANNELS, planned_date__lte=as_of)
        .filter(
            Q(state=Action.State.PLANNED, requires_approval=False) | Q(state=Action.State.APPROVED)
        )
        .select_related("debtor", "debtor__creditor", "case")
    )
    if creditor is not None:
        qs = qs.filter(creditor=creditor)
    return list(qs.order_by("creditor_id", "debtor__name", "id"))


def letters_batch(
    *,
    as_of: date,
    creditor: Creditor | None = None,
    workers: int | None = None,
    actor: str = "system",
) -> BatchResult:
    """Print the day's letters into one PDF and mark them sent; refuse what may not go out."""
    from relance.documents.pdf import LetterJob, letter_pdfs, render_batch

    result = BatchResult(as_of=as_of)
    actions = letters_due(as_of=as_of, creditor=creditor)
    tables = rate_tables()
    jobs: list[LetterJob] = []
    ready: list[tuple[Action, LetterContext, str]] = []
    refusals: list[EventInput] = []
    for a in actions:
        try:
            template = step_name(a.template or a.step_key)
            context = letter_context_for(
                case_or_debtor=a.case,
                step_key=a.step_key,
                as_of=as_of,
                channel=a.channel,
                tables=tables,
                exclude_action_id=a.pk,
                edits=action_edits(a),
            )
            if not context.invoices:
                raise InvalidInputError("nothing left to chase")
            problems = check_formal_notice(context) if template == "formal_notice" else []
        except RelanceError as exc:
            problems = [Problem.from_error(exc.code, exc)]
        if problems:
            for p in problems:
                result.problems.append(
                    Problem.of(
                        p.code,
                        N_("action %(action)s (%(account)s, %(step)s): %(problem)s"),
                        action=a.pk,
                        account=a.debtor.account,
                        step=a.step_key,
                        problem=p,
                    )
                )
            result.refused.append(
                {
                    "action": a.pk,
                    "debtor": a.debtor.account,
                    "step": a.step_key,
                    "problems": [p.as_dict() for p in problems],
                }
            )
            refusals.append(
                EventInput(
                    "action.refused",
                    "action",
                    a.pk,
                    a.creditor_id,
                    {"step": a.step_key, "problems": [str(p) for p in problems]},
                    actor,
                )
            )
            continue
        jobs.append(LetterJob(context, template))
        ready.append((a, context, template))
    events_record(events=refusals)
    if not jobs:
        return result
    locale = (ready[0][0].creditor.locale or "fr")[:2]
    pdf, entries = render_batch(
        jobs, workers=workers, lang=locale if locale in ("fr", "en") else "fr"
    )
    documents = letter_pdfs(pdf, entries)
    moment = timezone.now()
    if as_of < timezone.localdate(moment):
        # A past day's batch: the letters bear that date, and so does their record.
        moment = timezone.make_aware(datetime.combine(as_of, time(12)))
    batch_name, batch_digest = document_store(pdf)
    result.pdf, result.sha256 = pdf, batch_digest
    events: list[EventInput] = []
    with transaction.atomic():
        for (a, context, template), entry, document in zip(ready, entries, documents, strict=True):
            name, digest = document_store(document)
            letter = compose_letter(context, template)
            locked = Action.objects.select_for_update().get(pk=a.pk)
            if locked.state not in (Action.State.PLANNED, Action.State.APPROVED):
                continue  # taken by someone else meanwhile: its own record stands
            invoice_ids = list(
                Invoice.objects.filter(
                    debtor_id=a.debtor_id, number__in=[i.number for i in context.invoices]
                ).values_list("pk", flat=True)
            )
            Action.objects.filter(pk=a.pk).update(
                state=Action.State.SENT,
                sent_at=moment,
                sha256=digest,
                document=name,
                subject=render_step(context, template).subject,
                body_text=letter.as_text(),
                invoice_ids=invoice_ids,
                recipient="\n".join(letter.recipient),
                updated_at=moment,
            )
            row = {
                "action": a.pk,
                "debtor": a.debtor.account,
                "debtor_name": a.debtor.name,
                "step": a.step_key,
                "channel": a.channel,
                "reference": context.reference,
                "pages": entry.pages,
                "sha256": digest,
                "document": name,
                "amount": str(context.amount_claimed),
            }
            result.letters.append(row)
            events.append(
                EventInput(
                    "action.sent",
                    "action",
                    a.pk,
                    a.creditor_id,
                    {
                        "note": "document as sent",
                        "step": a.step_key,
                        "channel": a.channel,
                        "sha256": digest,
                        "document": name,
                        "pages": entry.pages,
                        "batch_sha256": batch_digest,
                        "invoices": [i.number for i in context.invoices],
                        "amount": context.amount_claimed,
                        "awaiting_delivery": a.channel == Step.Channel.REGISTERED_LETTER,
                    },
                    actor,
                )
            )
        events.append(
            EventInput(
                "letters.batch",
                "batch",
                None,
                creditor.pk if creditor else None,
                {
                    "as_of": as_of,
                    "sha256": batch_digest,
                    "document": batch_name,
                    "letters": len(result.letters),
                },
                actor,
            )
        )
        events_record(events=events)
    return result


# --- registered letters: tracking and receipt ---------------------------------------------------


def letter_deliver(
    *,
    action_id: int,
    tracking: str,
    received: date | None = None,
    not_claimed: bool = False,
    actor: str = "system",
    returned: date | None = None,
) -> Action:
    """Record a registered letter's tracking number and its acknowledgement (date, or not claimed).

    ``returned``: the day an unclaimed letter came back (default today), kept as
    ``outcome["not_claimed_on"]``: the next step counts its deadline from it."""
    tracking = tracking.strip()
    if not tracking:
        raise InvalidInputError("give the registered letter's tracking number")
    if received is not None and not_claimed:
        raise InvalidInputError("a letter is either received on a date or not claimed, not both")
    with transaction.atomic():
        action = Action.objects.select_for_update().filter(pk=action_id).first()
        if action is None:
            raise NotFoundError(f"no action {action_id}")
        if action.channel != Step.Channel.REGISTERED_LETTER:
            raise InvalidInputError(
                f"action {action_id} is a {action.channel}, not a registered letter"
            )
        if action.state != Action.State.SENT:
            raise InvalidInputError(
                f"action {action_id} is {action.state}: print it first (relance letters batch)"
            )
        if action.tracking_number and action.tracking_number != tracking:
            raise InvalidInputError(
                f"action {action_id} already has tracking number {action.tracking_number}"
            )
        sent_day = timezone.localdate(action.sent_at) if action.sent_at else action.planned_date
        if received is not None and received < sent_day:
            raise InvalidInputError(
                f"the letter cannot be received ({received}) before it was sent ({sent_day})"
            )
        if action.received_date and received and received != action.received_date:
            raise InvalidInputError(
                f"action {action_id} was already received on {action.received_date}: the proof is not rewritten"
            )
        action.tracking_number = tracking
        if received is not None:
            action.received_date, action.not_claimed = received, False
        if not_claimed:
            action.not_claimed = True
            back = returned or timezone.localdate()
            if back < sent_day:
                raise InvalidInputError(
                    f"the letter cannot come back ({back}) before it was sent ({sent_day})"
                )
            action.outcome = {**(action.outcome or {}), "not_claimed_on": back.isoformat()}
        action.save(
            update_fields=[
                "tracking_number",
                "received_date",
                "not_claimed",
                "outcome",
                "updated_at",
            ]
        )
        kind = (
            "action.received"
            if received
            else "action.not_claimed"
            if not_claimed
            else "action.tracking"
        )
        event_record(
            kind=kind,
            subject_type="action",
            subject_id=action.pk,
            creditor_id=action.creditor_id,
            payload={
                "step": action.step_key,
                "tracking": tracking,
                "received": received,
                "not_claimed": action.not_claimed,
                "sha256": action.sha256,
            },
            actor=actor,
        )
    return action


def action_get(*, action_id: int) -> Action:
    action = Action.objects.select_related("debtor").filter(pk=action_id).first()
    if action is None:
        raise NotFoundError(f"no action {action_id}")
    return action
