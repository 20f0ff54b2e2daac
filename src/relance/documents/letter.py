"""A letter as its parts: letterhead, recipient block, place and date, reference, object, body.

``compose_letter(context, step, lang)`` renders the step's templates and lays out every part a
French business letter carries; ``Letter.as_text()`` is the whole letter as plain text (what
``formal_notice.check_formal_notice`` reads and the golden files keep), and ``pdf.render_letter``
draws the same parts on A4. No WeasyPrint here, so the text path stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from relance.documents.address import address_block
from relance.documents.context import Lang, LetterContext, format_iban, format_siren
from relance.documents.formatting import format_date
from relance.documents.qr import EpcPayment
from relance.documents.templates import payable_amount, render_step

REGISTERED = {
    "fr": "Lettre recommandée avec accusé de réception",
    "en": "Registered letter with acknowledgement of receipt",
}


@dataclass(frozen=True, slots=True)
class Letter:
    """One letter, ready to print or to read as text."""

    step: str
    lang: str
    reference: str
    debtor_name: str
    letterhead: tuple[str, ...]
    recipient: tuple[str, ...]
    place_date: str
    registered: str
    reference_lines: tuple[str, ...]
    subject: str
    body: str
    pay_link: str
    qr: EpcPayment | None
    footer: str
    logo_path: str = ""

    def as_text(self) -> str:
        """The whole letter as plain text, top to bottom."""
        parts = [
            "\n".join(self.letterhead),
            "\n".join(self.recipient),
            self.place_date,
        ]
        if self.registered:
            parts.append(self.registered)
        parts.append("\n".join([*self.reference_lines, self.subject]))
        parts.append(self.body.rstrip("\n"))
        return "\n\n".join(parts) + "\n"


def compose_letter(context: LetterContext, step: str, lang: str | None = None) -> Letter:
    """Render ``step`` for ``context`` and lay out the letter's parts."""
    language = cast(Lang, lang or context.lang)
    rendered = render_step(context, step, language)
    creditor, debtor = context.creditor, context.debtor
    fr = language == "fr"
    letterhead = [creditor.name + (f" {creditor.legal_form}" if creditor.legal_form else "")]
    letterhead += list(creditor.address_lines)
    if creditor.postcode or creditor.city:
        letterhead.append(f"{creditor.postcode} {creditor.city}".strip())
    if creditor.siren:
        letterhead.append(f"SIREN {format_siren(creditor.siren)}")
    if creditor.vat:
        letterhead.append(f"{'TVA intracommunautaire' if fr else 'VAT'} {creditor.vat}")
    contact = " — ".join(x for x in (creditor.phone, creditor.email) if x)
    if contact:
        letterhead.append(contact)
    recipient = address_block(
        debtor.name,
        debtor.address_lines,
        postcode=debtor.postcode,
        city=debtor.city,
        country=debtor.country,
        attention=(f"{'À l’attention de' if fr else 'For the attention of'} "
                   f"{debtor.contact_name}") if debtor.contact_name else "",
    )
    place = creditor.place or creditor.city
    day = format_date(context.letter_date, language)
    place_date = (f"À {place}, le {day}" if fr else f"{place}, {day}") if place else day
    labels = ("Réf. : ", "Compte client : ", "Votre SIREN : ") if fr else (
        "Our ref.: ", "Customer account: ", "Your SIREN: ")
    reference_lines = [labels[0] + context.reference]
    if debtor.account:
        reference_lines.append(labels[1] + debtor.account)
    if debtor.siren and debtor.kind != "consumer":
        reference_lines.append(labels[2] + format_siren(debtor.siren))
    subject = f"Objet : {rendered.subject}" if fr else f"Subject: {rendered.subject}"
    qr = None
    amount = payable_amount(context, step)
    if creditor.iban and context.currency == "EUR" and amount > 0:
        numbers = " ".join(i.number for i in context.invoices)
        qr = EpcPayment(
            name=creditor.name,
            iban=creditor.iban,
            amount=amount,
            text=f"{context.reference} {numbers}",
            bic=creditor.bic,
        )
    footer_bits = [creditor.name]
    if creditor.siren:
        footer_bits.append(f"SIREN {format_siren(creditor.siren)}")
    if creditor.vat:
        footer_bits.append(f"{'TVA' if fr else 'VAT'} {creditor.vat}")
    if creditor.iban:
        footer_bits.append(f"IBAN {format_iban(creditor.iban)}")
    return Letter(
        step=rendered.step,
        lang=language,
        reference=context.reference,
        debtor_name=debtor.name,
        letterhead=tuple(letterhead),
        recipient=tuple(recipient),
        place_date=place_date,
        registered=REGISTERED[language] if context.channel == "registered_letter" else "",
        reference_lines=tuple(reference_lines),
        subject=subject,
        body=rendered.text,
        pay_link=context.pay_link(amount),
        qr=qr,
        footer=" — ".join(footer_bits),
        logo_path=str(creditor.logo_path) if creditor.logo_path else "",
    )
