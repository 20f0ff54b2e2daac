"""A sample debtor file with every part of the documented context filled in, to try an edited
template on before it is saved: a misspelt field is refused with its line, not found later by
the daily pass."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from relance.documents.context import (
    Attempt,
    CreditorInfo,
    DebtorInfo,
    DebtorKind,
    Instalment,
    InvoiceLine,
    LetterContext,
    PaymentReceived,
    Promise,
    build_penalties,
)

DAY = date(2026, 4, 23)


def sample_context(lang: str = "fr", *, kind: DebtorKind = "business") -> LetterContext:
    invoices = (
        InvoiceLine(
            "F-2026-0042",
            date(2026, 1, 15),
            date(2026, 2, 14),
            Decimal("1800.00"),
            Decimal("1300.00"),
            payments=((date(2026, 3, 2), Decimal("500.00")),),
        ),
        InvoiceLine(
            "F-2026-0087",
            date(2026, 2, 10),
            date(2026, 3, 12),
            Decimal("960.00"),
            Decimal("960.00"),
        ),
    )
    notice = date(2026, 4, 8)
    return LetterContext(
        creditor=CreditorInfo(
            name="Exemple SARL",
            siren="552100554",
            vat="FR40552100554",
            address_lines=("1 rue de l'Exemple",),
            postcode="69002",
            city="Lyon",
            iban="FR7630006000011234567890189",
            bic="AGRIFRPP",
            email="compta@exemple.fr",
            phone="04 72 00 00 00",
            signature="Service recouvrement",
            place="Lyon",
            pay_link_template="https://pay.exemple.fr/p?i={invoice}&a={amount}",
        ),
        debtor=DebtorInfo(
            name="Client Exemple SAS",
            kind=kind,
            siren="732829320" if kind != "consumer" else "",
            address_lines=("8 avenue de l'Exemple",),
            postcode="75016",
            city="Paris",
            contact_name="M. Exemple",
            account="411EXEMPLE",
            email="client@exemple.org",
            phone="01 00 00 00 00",
            language="en" if lang == "en" else "fr",
        ),
        invoices=invoices,
        letter_date=DAY,
        reference="R-2026-0001",
        attempts=(
            Attempt(date(2026, 2, 17), "email", "rappel"),
            Attempt(date(2026, 4, 6), "registered_letter", "mise en demeure"),
        ),
        penalties=build_penalties(
            debtor_kind=kind, invoices=invoices, as_of=DAY, notice_date=notice
        ),
        lang="en" if lang == "en" else "fr",
        channel="letter",
        notice_date=notice,
        notice_sent_date=date(2026, 4, 6),
        promise=Promise(Decimal("1300.00"), date(2026, 5, 5)),
        plan=(
            Instalment(date(2026, 5, 5), Decimal("1130.00")),
            Instalment(date(2026, 6, 5), Decimal("1130.00")),
        ),
        payment=PaymentReceived(Decimal("500.00"), date(2026, 3, 2)),
    )
