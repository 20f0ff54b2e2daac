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
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from relance.apps.audit.documents import document_store
from relance.apps.audit.services import EventInput, event_record, events_record
from relance.apps.collection.contexts import (
    LETTER_CHANNELS,
    action_edits,
    action_request,
    context_request,
    debtor_get,
    letter_context_for,
    letter_contexts,
)
from relance.apps.collection.models import Action, Step
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Invoice
from relance.apps.legal.selectors import rate_tables
from relance.channels.email import Attachment, OutgoingEmail, prepare
from relance.documents.context import (
    LetterContext,
    format_siren,
)
from relance.documents.formal_notice import check_formal_notice
from relance.documents.letter import compose_letter
from relance.documents.qr import transfer_png
from relance.documents.templates import LETTER_STEPS, render_step, step_name
from relance.domain.problems import N_, Problem
from relance.errors import InvalidInputError, NotFoundError, RelanceError


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
