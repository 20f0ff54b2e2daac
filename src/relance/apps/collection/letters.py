"""Letters from the models: the context a step's document reads, previews, the day's batch, proof.

``letter_context_for`` builds the documents layer's ``LetterContext`` for one debtor and step:
the creditor's identity, the debtor's address, the invoices the step lists (overdue ones not in
dispute; before any is due, those about to fall due), the earlier attempts actually carried out
(sent e-mails, letters and registered letters, calls with an outcome), payments received, the
penalties from the law engine with the rate tables as ``relance rates`` knows them, the pay
link, and the notice date: the receipt date of a delivered registered letter, from which civil
interest runs. A semester with no published rate raises ``UnknownRateError``, which names the
``relance rates add`` command to run: nothing is guessed.

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
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from relance.apps.audit.services import EventInput, event_record, events_record
from relance.apps.collection.models import OPEN_CASE_STATUSES, Action, Case, Dispute, Scenario, Step
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Allocation, Debtor, Invoice, Payment
from relance.apps.legal.selectors import payments_net, rate_tables
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
from relance.documents.formal_notice import check_formal_notice
from relance.documents.letter import compose_letter
from relance.documents.qr import EpcError, epc_png
from relance.documents.templates import LETTER_STEPS, creditor_sources, render_step, step_name
from relance.domain.law import RateTables
from relance.domain.problems import Problem
from relance.errors import InvalidInputError, NotFoundError, RelanceError

LETTER_CHANNELS = ("letter", "registered_letter")
# The carried-out actions a later letter summarises.
ATTEMPT_CHANNELS = ("email", "letter", "registered_letter", "sms")
# Steps whose text states the penalties; the others never need a rate.
PENALTY_STEPS = frozenset({"call", "reminder_letter", "formal_notice", "escalation"})
DOCUMENTS_DIR = "documents"


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
        templates=creditor_sources(str(c.pk)),
    )


def _debtor_info(d: Debtor) -> DebtorInfo:
    contact = d.contacts.filter(is_primary=True).exclude(name="").first()
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
        contact_name=contact.name if contact else "",
        account=d.account,
        email=d.email,
        phone=d.phone,
    )


def listed_invoices(*, debtor: Debtor, as_of: date) -> list[Invoice]:
    """What a step lists: the overdue open invoices not in dispute, or, before any is overdue,
    those falling due within a month (the courtesy reminder)."""
    disputed = Dispute.objects.filter(invoice_id=OuterRef("pk"), status=Dispute.Status.OPEN)
    rows = list(
        Invoice.objects.filter(debtor=debtor, status=Invoice.Status.OPEN, open_amount__gt=0,
                               due_date__lte=as_of + timedelta(days=31))
        .filter(~Exists(disputed)).order_by("due_date", "number")
    )
    overdue = [i for i in rows if i.due_date < as_of]
    return overdue or rows


def _invoice_lines(invoices: list[Invoice], as_of: date) -> tuple[InvoiceLine, ...]:
    paid: dict[int, list[tuple[date, Any]]] = {}
    for invoice_id, day, amount in (
        Allocation.objects.filter(invoice_id__in=[i.pk for i in invoices], payment__value_date__lte=as_of)
        .order_by("payment__value_date", "id").values_list("invoice_id", "payment__value_date", "amount")
    ):
        paid.setdefault(invoice_id, []).append((day, amount))
    return tuple(
        InvoiceLine(
            number=i.number, issue_date=i.issue_date, due_date=i.due_date, total=i.total_amount,
            open_amount=i.open_amount, currency=i.currency,
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


def attempts_for(*, debtor: Debtor, before: date, exclude_id: int | None = None) -> tuple[Attempt, ...]:
    """The steps carried out with the debtor before ``before``, oldest first.

    Sent e-mails, letters, registered letters and SMS; calls once an outcome was recorded.
    Planned, skipped, cancelled and failed actions never reached the debtor and are left out.
    """
    qs = Action.objects.filter(debtor=debtor, channel__in=(*ATTEMPT_CHANNELS, Step.Channel.CALL)).exclude(
        state__in=(Action.State.CANCELLED, Action.State.SKIPPED, Action.State.FAILED)
    )
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    attempts = []
    for a in qs.order_by("planned_date", "id"):
        done = bool(a.outcome) if a.channel == Step.Channel.CALL else a.state == Action.State.SENT
        if not done:
            continue
        day = timezone.localdate(a.sent_at) if a.sent_at else a.planned_date
        if day >= before and a.planned_date < before:
            day = a.planned_date  # sent after the day looked at (a past day replayed): its plan date
        if day >= before:
            continue
        summary = a.subject if a.channel != Step.Channel.CALL else _outcome_summary(a.outcome)
        attempts.append(Attempt(date=day, channel=a.channel, summary=summary))
    attempts.sort(key=lambda x: x.date)
    return tuple(attempts)


def notice_date_for(*, debtor: Debtor, as_of: date) -> date | None:
    """The receipt date of the debtor's latest delivered registered letter (the mise en demeure)."""
    action = (
        Action.objects.filter(debtor=debtor, channel=Step.Channel.REGISTERED_LETTER,
                              received_date__isnull=False, received_date__lte=as_of)
        .order_by("-received_date").first()
    )
    return action.received_date if action else None


def _open_case(debtor: Debtor) -> Case | None:
    return (Case.objects.filter(debtor=debtor, status__in=OPEN_CASE_STATUSES).first()
            or Case.objects.filter(debtor=debtor).order_by("-cycle").first())


def _reference(case: Case | None, debtor: Debtor, as_of: date) -> str:
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
) -> LetterContext:
    """The ``LetterContext`` for ``step_key`` (a scenario step key or a template name) as of
    ``as_of``. ``lang`` defaults to the debtor's language; ``channel`` to the step's channel in
    the debtor's scenario. Raises ``UnknownRateError`` when a penalty needs an unpublished rate.
    """
    if isinstance(case_or_debtor, Case):
        case: Case | None = case_or_debtor
        debtor = case_or_debtor.debtor
    else:
        debtor = case_or_debtor
        case = _open_case(debtor)
    language = lang or (debtor.language if debtor.language in ("fr", "en") else "fr")
    if language not in ("fr", "en"):
        raise InvalidInputError(f"Unknown language {language!r}; use fr or en.")
    step = step_for(debtor=debtor, case=case, step_key=step_key)
    template = step_name(step.template if step else step_key)
    chosen_channel = channel or (step.channel if step else default_channel(template))
    creditor = debtor.creditor
    invoices = _invoice_lines(listed_invoices(debtor=debtor, as_of=as_of), as_of)
    info = _debtor_info(debtor)
    notice = notice_date_for(debtor=debtor, as_of=as_of)
    penalties = None
    if template in PENALTY_STEPS and invoices:
        penalties = build_penalties(
            debtor_kind=info.kind, invoices=invoices, as_of=as_of, notice_date=notice,
            tables=tables if tables is not None else rate_tables(),
        )
    last_payment = (Payment.objects.filter(debtor=debtor, value_date__lte=as_of, amount__gt=0)
                    .order_by("-value_date", "-id").first())
    return LetterContext(
        creditor=_creditor_info(creditor),
        debtor=info,
        invoices=invoices,
        letter_date=as_of,
        reference=_reference(case, debtor, as_of),
        attempts=attempts_for(debtor=debtor, before=as_of + timedelta(days=1), exclude_id=exclude_action_id),
        penalties=penalties,
        lang=cast(Lang, language),
        channel=chosen_channel,
        notice_date=notice,
        payment=PaymentReceived(last_payment.amount, last_payment.value_date) if last_payment else None,
    )


def default_channel(template: str) -> str:
    if template == "formal_notice":
        return "registered_letter"
    return "letter" if template in LETTER_STEPS else "email"


def step_for(*, debtor: Debtor, case: Case | None, step_key: str) -> Step | None:
    """The step ``step_key`` of the debtor's scenario (its case's, else the default for its kind)."""
    scenario_id = case.scenario_id if case else None
    if scenario_id is None:
        default = next((s for s in Scenario.objects.filter(is_default=True).order_by("pk")
                        if debtor.kind in (s.debtor_kinds or [debtor.kind])), None)
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
    *, creditor: Creditor, debtor_account: str, step_key: str, as_of: date, lang: str | None = None, kind: str = "pdf",
) -> RenderedDocument:
    """What ``step_key`` would send the debtor as of ``as_of``: a PDF letter or an e-mail (.eml)."""
    from relance.documents.pdf import render_letter

    if kind not in ("pdf", "eml"):
        raise InvalidInputError("the output must be a .pdf or an .eml file")
    debtor = debtor_get(creditor=creditor, account=debtor_account)
    context = letter_context_for(case_or_debtor=debtor, step_key=step_key, as_of=as_of, lang=lang)
    if not context.invoices:
        raise InvalidInputError(f"debtor {debtor_account} has nothing to chase as of {as_of}")
    step = step_for(debtor=debtor, case=_open_case(debtor), step_key=step_key)
    template = step_name(step.template if step else step_key)
    problems = tuple(check_formal_notice(context)) if template == "formal_notice" else ()
    if kind == "pdf":
        letter = compose_letter(context, template)
        return RenderedDocument("pdf", render_letter(context, template), template, context.channel,
                                letter.subject, problems)
    message = email_message(context=context, template=template, debtor=debtor,
                            with_letter=template in LETTER_STEPS or context.channel in LETTER_CHANNELS)
    return RenderedDocument("eml", message.as_bytes(), template, context.channel, str(message["Subject"]), problems)


def email_message(*, context: LetterContext, template: str, debtor: Debtor, with_letter: bool = False) -> EmailMessage:
    """The step as an e-mail: text and HTML, the EPC QR code, the letter and invoice PDFs."""
    from relance.documents.pdf import render_letter
    from relance.documents.templates import payable_amount

    rendered = render_step(context, template)
    creditor = context.creditor
    msg = EmailMessage()
    msg["Subject"] = rendered.subject
    msg["From"] = formataddr((creditor.name, creditor.email or "noreply@relance.invalid"))
    msg["To"] = formataddr((debtor.name, debtor.email)) if debtor.email else debtor.name
    domain = (creditor.email.rpartition("@")[2] or "relance.invalid")
    msg["Message-ID"] = make_msgid(domain=domain)
    msg["X-Relance-Reference"] = context.reference
    msg.set_content(rendered.text)
    msg.add_alternative(f"<!doctype html><html lang=\"{rendered.lang}\"><body>{rendered.html}</body></html>",
                        subtype="html")
    amount = payable_amount(context, template)
    if creditor.iban and context.currency == "EUR" and amount > 0:
        from relance.documents.qr import EpcPayment

        numbers = " ".join(i.number for i in context.invoices)
        try:
            png = epc_png(EpcPayment(name=creditor.name, iban=creditor.iban, amount=amount,
                                     text=f"{context.reference} {numbers}", bic=creditor.bic))
        except EpcError:
            png = b""
        if png:
            msg.add_attachment(png, maintype="image", subtype="png", filename="qr-virement.png")
    if with_letter:
        msg.add_attachment(render_letter(context, template), maintype="application", subtype="pdf",
                           filename=f"{context.reference}.pdf")
    numbers = [i.number for i in context.invoices]
    for invoice in Invoice.objects.filter(debtor=debtor, number__in=numbers).exclude(pdf=""):
        try:
            with invoice.pdf.open("rb") as fh:
                data = fh.read()
        except OSError:
            continue
        msg.add_attachment(data, maintype="application", subtype="pdf", filename=f"{invoice.number}.pdf")
    return msg


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
    qs = Action.objects.filter(channel__in=LETTER_CHANNELS, planned_date__lte=as_of).filter(
        Q(state=Action.State.PLANNED, requires_approval=False) | Q(state=Action.State.APPROVED)
    ).select_related("debtor", "debtor__creditor", "case")
    if creditor is not None:
        qs = qs.filter(creditor=creditor)
    return list(qs.order_by("creditor_id", "debtor__name", "id"))


def document_store(data: bytes) -> tuple[str, str]:
    """Store ``data`` unchanged as ``documents/<sha256>.pdf`` under MEDIA_ROOT: (name, sha256)."""
    digest = hashlib.sha256(data).hexdigest()
    name = f"{DOCUMENTS_DIR}/{digest}.pdf"
    path = Path(settings.MEDIA_ROOT) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_bytes() != data:
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    return name, digest


def document_path(name: str) -> Path:
    return Path(settings.MEDIA_ROOT) / name


def letters_batch(
    *, as_of: date, creditor: Creditor | None = None, workers: int | None = None, actor: str = "system",
) -> BatchResult:
    """Print the day's letters into one PDF and mark them sent; refuse what may not go out."""
    from pypdf import PdfReader, PdfWriter

    from relance.documents.pdf import LetterJob, render_batch

    result = BatchResult(as_of=as_of)
    actions = letters_due(as_of=as_of, creditor=creditor)
    tables = rate_tables()
    jobs: list[LetterJob] = []
    ready: list[tuple[Action, LetterContext, str]] = []
    refusals: list[EventInput] = []
    for a in actions:
        try:
            template = step_name(a.template or a.step_key)
            context = letter_context_for(case_or_debtor=a.case, step_key=a.step_key, as_of=as_of,
                                         channel=a.channel, tables=tables, exclude_action_id=a.pk)
            if not context.invoices:
                raise InvalidInputError("nothing left to chase")
            problems = check_formal_notice(context) if template == "formal_notice" else []
        except RelanceError as exc:
            problems = [Problem(exc.code, exc.message)]
        if problems:
            for p in problems:
                result.problems.append(Problem(p.code, f"action {a.pk} ({a.debtor.account}, {a.step_key}): {p.message}"))
            result.refused.append({"action": a.pk, "debtor": a.debtor.account, "step": a.step_key,
                                   "problems": [p.as_dict() for p in problems]})
            refusals.append(EventInput("action.refused", "action", a.pk, a.creditor_id,
                                       {"step": a.step_key, "problems": [str(p) for p in problems]}, actor))
            continue
        jobs.append(LetterJob(context, template))
        ready.append((a, context, template))
    events_record(events=refusals)
    if not jobs:
        return result
    locale = (ready[0][0].creditor.locale or "fr")[:2]
    pdf, entries = render_batch(jobs, workers=workers, lang=locale if locale in ("fr", "en") else "fr")
    reader = PdfReader(io.BytesIO(pdf))
    start = len(reader.pages) - sum(e.pages for e in entries)
    moment = timezone.now()
    if as_of < timezone.localdate(moment):
        # A past day's batch: the letters bear that date, and so does their record.
        moment = timezone.make_aware(datetime.combine(as_of, time(12)))
    batch_name, batch_digest = document_store(pdf)
    result.pdf, result.sha256 = pdf, batch_digest
    events: list[EventInput] = []
    with transaction.atomic():
        for (a, context, template), entry in zip(ready, entries, strict=True):
            writer = PdfWriter()
            writer.append(reader, pages=(start, start + entry.pages))
            start += entry.pages
            out = io.BytesIO()
            writer.write(out)
            name, digest = document_store(out.getvalue())
            letter = compose_letter(context, template)
            locked = Action.objects.select_for_update().get(pk=a.pk)
            if locked.state not in (Action.State.PLANNED, Action.State.APPROVED):
                continue  # taken by someone else meanwhile: its own record stands
            invoice_ids = list(Invoice.objects.filter(debtor_id=a.debtor_id, number__in=[i.number for i in context.invoices])
                               .values_list("pk", flat=True))
            Action.objects.filter(pk=a.pk).update(
                state=Action.State.SENT, sent_at=moment, sha256=digest, document=name,
                subject=render_step(context, template).subject,
                body_text=letter.as_text(), invoice_ids=invoice_ids, recipient="\n".join(letter.recipient),
                updated_at=moment,
            )
            row = {"action": a.pk, "debtor": a.debtor.account, "debtor_name": a.debtor.name, "step": a.step_key,
                   "channel": a.channel, "reference": context.reference, "pages": entry.pages,
                   "sha256": digest, "document": name, "amount": str(context.amount_claimed)}
            result.letters.append(row)
            events.append(EventInput("action.sent", "action", a.pk, a.creditor_id, {
                "note": "document as sent", "step": a.step_key, "channel": a.channel, "sha256": digest,
                "document": name, "pages": entry.pages, "batch_sha256": batch_digest,
                "invoices": [i.number for i in context.invoices], "amount": context.amount_claimed,
                "awaiting_delivery": a.channel == Step.Channel.REGISTERED_LETTER,
            }, actor))
        events.append(EventInput("letters.batch", "batch", None, creditor.pk if creditor else None, {
            "as_of": as_of, "sha256": batch_digest, "document": batch_name, "letters": len(result.letters),
        }, actor))
        events_record(events=events)
    return result


# --- registered letters: tracking and receipt ---------------------------------------------------


def letter_deliver(
    *, action_id: int, tracking: str, received: date | None = None, not_claimed: bool = False, actor: str = "system",
) -> Action:
    """Record a registered letter's tracking number and its acknowledgement (date, or not claimed)."""
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
            raise InvalidInputError(f"action {action_id} is a {action.channel}, not a registered letter")
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
            raise InvalidInputError(f"the letter cannot be received ({received}) before it was sent ({sent_day})")
        if action.received_date and received and received != action.received_date:
            raise InvalidInputError(
                f"action {action_id} was already received on {action.received_date}: the proof is not rewritten"
            )
        action.tracking_number = tracking
        if received is not None:
            action.received_date, action.not_claimed = received, False
        if not_claimed:
            action.not_claimed = True
        action.save(update_fields=["tracking_number", "received_date", "not_claimed", "updated_at"])
        kind = ("action.received" if received else "action.not_claimed" if not_claimed else "action.tracking")
        event_record(kind=kind, subject_type="action", subject_id=action.pk, creditor_id=action.creditor_id,
                     payload={"step": action.step_key, "tracking": tracking, "received": received,
                              "not_claimed": action.not_claimed, "sha256": action.sha256}, actor=actor)
    return action


def action_get(*, action_id: int) -> Action:
    action = Action.objects.select_related("debtor").filter(pk=action_id).first()
    if action is None:
        raise NotFoundError(f"no action {action_id}")
    return action
