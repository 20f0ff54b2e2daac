"""E-mail composition: a step as the message the debtor receives, and one document rendered.

``email_compose`` turns a context and a template into an ``OutgoingEmail``: the step's text as
plain text and HTML, the creditor's identity under it, the EPC QR code inline (``cid:``), the
letter PDF for letter steps and the invoice PDFs the ledger keeps. The outbox sends what it
writes; ``email_preview`` shows it in the workspace.

``document_render`` is what ``relance render`` writes: a step's letter (PDF) or e-mail (.eml:
plain text and HTML alternatives, the EPC QR code as PNG, the letter PDF for letter steps and
the invoice PDFs when the ledger has them), rendered and never sent.

Composes only: nothing here sends, stores or changes an action.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from email.utils import make_msgid
from pathlib import Path

from relance.apps.collection.confirmations import NOTHING_OWED_STEPS
from relance.apps.collection.contexts import (
    LETTER_CHANNELS,
    action_request,
    context_request,
    letter_contexts,
)
from relance.apps.collection.email_layout import PORTAL_WORDS, email_page
from relance.apps.collection.models import Action
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Invoice
from relance.apps.ledger.selectors import debtor_get
from relance.channels.email_mime import Attachment, OutgoingEmail, prepare
from relance.documents.context import LetterContext, format_siren
from relance.documents.formal_notice import check_formal_notice
from relance.documents.letter import compose_letter
from relance.documents.qr import transfer_png
from relance.documents.templates import LETTER_STEPS, render_step
from relance.domain.errors import InvalidInputError
from relance.domain.problems import N_, Problem


def email_preview(*, action: Action, as_of: date) -> OutgoingEmail:
    """The e-mail the outbox would send for ``action`` as of ``as_of`` (only its Message-ID
    and Date would differ), for the workspace's preview. Raises ``InvalidInputError`` when
    nothing is left to chase, and what kept the e-mail from being written."""
    request = action_request(action, debtor=action.debtor, case=action.case)
    (built,) = letter_contexts([request], as_of=as_of, without_unknown_rates=True)
    if isinstance(built, Exception):
        raise built
    if not built.context.invoices and request.template not in NOTHING_OWED_STEPS:
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
    from relance.documents.formatting import format_money
    from relance.documents.pdf import render_letter
    from relance.documents.templates import payable_amount

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
    # In the HTML a long link is a few words (the portal has its button below the text); the
    # plain-text twin keeps every link written out.
    for link, words in ((context.pay_link(amount), labels["pay"]), (context.portal_url, PORTAL_WORDS.get(rendered.lang, PORTAL_WORDS["fr"]))):
        if link:
            escaped = html.escape(link)
            body = body.replace(escaped, f'<a href="{escaped}">{html.escape(words)}</a>')
    inline: list[Attachment] = []
    domain = message_id.strip("<>").rpartition("@")[2] or "relance.invalid"
    logo_cid = ""
    logo = creditor.logo_path
    if logo is not None and logo.suffix.lower() in (".png", ".jpg", ".jpeg"):
        try:
            data = logo.read_bytes()
        except OSError:
            data = b""
        if data:
            logo_cid = f"logo@{domain}"
            kind = "image/png" if logo.suffix.lower() == ".png" else "image/jpeg"
            inline.append(Attachment(f"logo{logo.suffix.lower()}", kind, data, logo_cid))
    png = (
        transfer_qr_png(context, amount)
        if creditor.iban and context.currency == "EUR" and amount > 0
        else b""
    )
    qr_html = ""
    if png:
        cid = f"qr-virement@{domain}"
        inline.append(Attachment("qr-virement.png", "image/png", png, cid))
        help_text = labels["qr_help"].format(
            amount=format_money(amount, rendered.lang, context.currency),
            reference=context.reference,
        )
        qr_html = (
            f'<p><img src="cid:{cid}" alt="{html.escape(labels["qr"])}" width="196" height="196"><br>'
            f"<small>{html.escape(help_text)}</small></p>"
        )
    page = email_page(
        lang=rendered.lang, subject=rendered.subject, body=body, footer=footer,
        portal_url=context.portal_url, logo_cid=logo_cid, creditor_name=creditor.name,
        after_body=qr_html,
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
