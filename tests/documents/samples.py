"""Named sample contexts for the document tests and the letters benchmark."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from relance.documents.context import (
    Attempt,
    ClaimLine,
    CreditorInfo,
    DebtorInfo,
    Instalment,
    InvoiceLine,
    LetterContext,
    PaymentReceived,
    Promise,
    build_penalties,
)

LETTER_DATE = date(2026, 4, 23)

CREDITOR = CreditorInfo(
    name="Atelier Durand",
    legal_form="SARL",
    siren="732829320",
    vat="FR44732829320",
    address_lines=("14 rue des Tanneurs",),
    postcode="69002",
    city="Lyon",
    iban="FR7630006000011234567890189",
    bic="AGRIFRPP",
    email="compta@atelier-durand.fr",
    phone="04 72 00 00 00",
    signature="Claire Durand, gérante",
    place="Lyon",
    pay_link_template="https://pay.atelier-durand.fr/p?i={invoice}&a={amount}&d={debtor}",
)

BUSINESS = DebtorInfo(
    name="Boulangerie Martin SAS",
    kind="business",
    siren="552100554",
    address_lines=("Service comptabilité", "8 avenue Jean Jaurès"),
    postcode="69007",
    city="Lyon",
    contact_name="M. Paul Martin",
    account="C00042",
    email="compta@boulangerie-martin.fr",
    phone="04 78 11 22 33",
)

CONSUMER = DebtorInfo(
    name="Mme Sophie Lefèvre",
    kind="consumer",
    address_lines=("3 place de l'Église",),
    postcode="42000",
    city="Saint-Étienne",
    account="P00107",
    email="sophie.lefevre@example.org",
    phone="06 12 34 56 78",
)

INVOICES = (
    InvoiceLine(
        "F-2026-0042",
        date(2026, 1, 15),
        date(2026, 2, 14),
        Decimal("1800.00"),
        Decimal("1300.00"),
        payments=((date(2026, 3, 2), Decimal("500.00")),),
    ),
    InvoiceLine(
        "F-2026-0087", date(2026, 2, 10), date(2026, 3, 12), Decimal("960.00"), Decimal("960.00")
    ),
)

ATTEMPTS = (
    Attempt(date(2026, 2, 17), "email", "premier rappel"),
    Attempt(date(2026, 2, 24), "email", "facture renvoyée"),
    Attempt(date(2026, 3, 2), "call", "promesse de paiement non tenue"),
    Attempt(date(2026, 3, 30), "letter", "lettre de relance"),
)


def business_context(step: str = "formal_notice", lang: str = "fr", **changes) -> LetterContext:
    channel = {
        "formal_notice": "registered_letter",
        "reminder_letter": "letter",
        "escalation": "letter",
        "call": "call",
    }.get(step, "email")
    context = LetterContext(
        creditor=CREDITOR,
        debtor=BUSINESS,
        invoices=INVOICES,
        attempts=ATTEMPTS,
        letter_date=LETTER_DATE,
        reference="R-2026-0042",
        penalties=build_penalties(debtor_kind="business", invoices=INVOICES, as_of=LETTER_DATE),
        lang=lang,  # type: ignore[arg-type]
        channel=channel,
        notice_date=date(2026, 4, 8) if step == "escalation" else None,
        notice_sent_date=date(2026, 4, 6) if step == "escalation" else None,
        promise=Promise(Decimal("1300.00"), date(2026, 5, 5)),
        plan=(
            Instalment(date(2026, 5, 5), Decimal("760.00")),
            Instalment(date(2026, 6, 5), Decimal("750.00")),
            Instalment(date(2026, 7, 6), Decimal("750.00")),
        ),
        payment=PaymentReceived(Decimal("500.00"), date(2026, 3, 2)),
    )
    return replace(context, **changes)


def consumer_context(step: str = "formal_notice", lang: str = "fr", **changes) -> LetterContext:
    open_amount = Decimal("0.00") if step == "thank_you" else Decimal("640.00")
    invoices = (
        InvoiceLine(
            "F-2026-0061", date(2026, 2, 3), date(2026, 3, 5), Decimal("640.00"), open_amount
        ),
    )
    notice = date(2026, 4, 2) if step == "escalation" else None
    context = replace(
        business_context(step, lang),
        debtor=CONSUMER,
        invoices=invoices,
        attempts=ATTEMPTS[:2],
        penalties=build_penalties(
            debtor_kind="consumer", invoices=invoices, as_of=LETTER_DATE, notice_date=notice
        ),
        notice_date=notice,
        notice_sent_date=date(2026, 3, 31) if step == "escalation" else None,
        promise=Promise(Decimal("640.00"), date(2026, 5, 5)),
        plan=(
            Instalment(date(2026, 5, 5), Decimal("320.00")),
            Instalment(date(2026, 6, 5), Decimal("320.00")),
        ),
        payment=PaymentReceived(Decimal("640.00"), date(2026, 4, 20)),
    )
    return replace(context, **changes)


FORBIDDEN_FEE = ClaimLine("Frais de dossier", Decimal("45.00"))
