"""The law each letter states, chosen by the engine's chooser from the ledger's facts.

Letters for a business, a consumer, a public body, a UK company, a creditor who is a private
individual and a debtor no regime covers, rendered from the models to PDF and read back with
pdftotext: the right basis, rate and indemnity, no head of claim the law forbids (L111-8 CPCE),
and the court route the debtor's contract allows. The figures are computed by hand below:
1,200.00 due 4 February 2026, looked at on 15 April 2026, is 70 days late (5 Feb - 15 Apr).
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from decimal import Decimal

import pytest

from relance.apps.collection.contexts import letter_context_for
from relance.apps.collection.history import contact_declare
from relance.apps.collection.messages import document_render
from relance.documents.formal_notice import check_formal_notice
from tests.factories import CreditorFactory, DebtorFactory, InvoiceFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext is not installed"),
]
AS_OF = date(2026, 4, 15)


def pdf_text(data: bytes) -> str:
    raw = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout
    return " ".join(raw.decode().replace("\u202f", " ").replace("\xa0", " ").split())


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def creditor_of(kind: str = "professional"):
    return CreditorFactory(
        name="Atelier Durand" if kind == "professional" else "Marie Durand", kind=kind,
        siren="552100554", address="12 rue des Tanneurs", postal_code="69002", city="Lyon",
        iban="FR7630006000011234567890189", signature="Marie Durand",
    )


def debtor_of(creditor, *, kind="business", country="FR", currency="EUR", lang="fr", name="Dupont SA"):
    debtor = DebtorFactory(
        creditor=creditor, account="411X", name=name, kind=kind, country=country, language=lang,
        siren="" if kind == "consumer" or country != "FR" else "732829320",
        address="5 avenue Foch", postal_code="75016" if country == "FR" else "SW1A 1AA",
        city="Paris" if country == "FR" else "London",
    )
    InvoiceFactory(debtor=debtor, creditor=creditor, number="FA-1", issue_date=date(2026, 1, 5),
                   due_date=date(2026, 2, 4), total_amount=Decimal("1200.00"), currency=currency)
    # A mise en demeure is never the first contact: a reminder went out by hand before.
    contact_declare(creditor=creditor, debtor=debtor, step_key="reminder",
                    contact_date=date(2026, 3, 2), today=AS_OF)
    return debtor


def notice(creditor, debtor, lang=None):
    """The mise en demeure as the person sees it: the context's checks, then the PDF's text."""
    ctx = letter_context_for(case_or_debtor=debtor, step_key="formal_notice", as_of=AS_OF, lang=lang)
    doc = document_render(creditor=creditor, debtor_account=debtor.account, step_key="formal_notice",
                          as_of=AS_OF, lang=lang)
    return ctx, doc, pdf_text(doc.data)


def forbidden_fees_absent(text: str) -> None:
    for fee in ("frais de dossier", "frais de relance", "frais de gestion", "collection fee", "recovery costs"):
        assert fee not in text.lower(), fee


def test_a_business_debtor_gets_l441_10_at_ecb_plus_10_and_40_euros():
    creditor = creditor_of()
    ctx, doc, text = notice(creditor, debtor_of(creditor))
    assert ctx.penalties.regime == "fr-b2b"
    assert check_formal_notice(ctx) == []
    assert doc.problems == ()
    for needle in ("L441-10", "12,15 %", "27,96 €", "D441-5", "40,00 €", "injonction de payer",
                   "1 267,96 €"):
        assert needle in text, needle
    assert "R2192-31" not in text


def test_a_public_body_gets_the_commande_publique_and_the_administrative_court():
    creditor = creditor_of()
    ctx, doc, text = notice(creditor, debtor_of(creditor, kind="public", name="Commune de Bron"))
    assert ctx.penalties.regime == "fr-public"
    assert check_formal_notice(ctx) == []
    assert doc.problems == ()
    # ECB on 1 January 2026 (2.15 %) + 8 points, fixed: 1,200 × 10.15 % × 70 / 365 = 23.36.
    for needle in ("L2192-13", "R2192-31", "10,15 %", "23,36 €", "D2192-35", "40,00 €",
                   "tribunal administratif", "référé-provision", "1 263,36 €"):
        assert needle in text, needle
    for wrong in ("L441-10", "D441-5", "12,15 %", "injonction de payer"):
        assert wrong not in text, wrong


def test_a_consumer_owes_no_indemnity_and_the_letter_starts_interest():
    creditor = creditor_of()
    ctx, doc, text = notice(creditor, debtor_of(creditor, kind="consumer", name="Jean Martin"))
    assert ctx.penalties.regime == "fr-civil"
    assert ctx.penalties.lines == ()  # no mise en demeure received yet: no interest has run
    assert check_formal_notice(ctx) == []
    assert doc.problems == ()
    assert "1344-1" in text
    assert "fait courir" in text
    for wrong in ("L441-10", "D441-5", "40,00 €", "frais de recouvrement", "indemnité forfaitaire"):
        assert wrong not in text, wrong
    forbidden_fees_absent(text)
    assert "Total réclamé : 1 200,00 €" in text


def test_a_uk_company_gets_the_late_payment_act_in_pounds():
    creditor = creditor_of()
    debtor = debtor_of(creditor, country="GB", currency="GBP", lang="en", name="Smith Ltd")
    ctx, doc, text = notice(creditor, debtor)
    assert ctx.penalties.regime == "uk-b2b"
    assert check_formal_notice(ctx) == []
    assert doc.problems == ()
    # Bank Rate on 31 December 2025 (3.75 %) + 8 = 11.75 %: 1,200 × 11.75 % × 70 / 365 = 27.04;
    # the s. 5A fixed sum for a debt of 1,000 to 9,999.99 is 70.
    for needle in ("Late Payment of Commercial Debts (Interest) Act 1998", "11.75%", "£27.04",
                   "£70.00", "section 5A", "competent court", "£1,297.04"):
        assert needle in text, needle
    for wrong in ("L441-10", "D441-5", "€", "injonction de payer", "12.15%"):
        assert wrong not in text, wrong


def test_a_private_individual_creditor_claims_civil_interest_only():
    creditor = creditor_of("individual")
    ctx, doc, text = notice(creditor, debtor_of(creditor))
    assert ctx.penalties.regime == "fr-civil"
    assert check_formal_notice(ctx) == []
    assert doc.problems == ()
    assert "1344-1" in text
    for wrong in ("L441-10", "D441-5", "40,00 €", "indemnité forfaitaire"):
        assert wrong not in text, wrong


def test_a_pair_no_regime_covers_claims_nothing_and_says_so_plainly():
    creditor = creditor_of()
    debtor = debtor_of(creditor, country="US", currency="USD", name="Acme Inc")
    ctx, doc, text = notice(creditor, debtor, lang="fr")
    assert ctx.penalties.regime == ""
    assert ctx.penalties.lines == ()
    assert "Relance ne connaît pas le droit applicable" in ctx.penalties.note
    # Not blocked: the letter claims the principal and no law it cannot compute.
    assert check_formal_notice(ctx) == []
    assert doc.problems == ()
    assert "ni intérêts de retard ni indemnité" in text
    assert "juridiction compétente" in text
    for wrong in ("L441-10", "D441-5", "1231-6", "injonction de payer", "indemnité forfaitaire"):
        assert wrong not in text, wrong


def test_an_invoice_again_letter_cites_l441_10_only_under_it():
    creditor = creditor_of()
    public = debtor_of(creditor, kind="public", name="Lycée Ampère")
    ctx = letter_context_for(case_or_debtor=public, step_key="invoice_again", as_of=AS_OF)
    assert ctx.penalties is None
    assert ctx.regime_choice.regime == "fr-public"
    from relance.documents.letter import compose_letter

    assert "L441-10" not in compose_letter(ctx, "invoice_again").as_text()
    business = creditor_of()
    ctx = letter_context_for(case_or_debtor=debtor_of(business), step_key="invoice_again", as_of=AS_OF)
    assert "L441-10" in compose_letter(ctx, "invoice_again").as_text()


def test_the_creditor_s_cgv_rate_reaches_the_letter_and_a_debtor_s_own_terms_replace_it(capsys):
    from relance.cli import main

    creditor = creditor_of()
    debtor = debtor_of(creditor)
    assert main(["terms", "set", "--multiple", "2.5", "--ref", "CGV"]) != 0  # under 3 × : refused
    assert "below the floor of 3" in capsys.readouterr().err
    assert main(["terms", "set", "--multiple", "3.5", "--ref", "CGV 2026, art. 9"]) == 0
    # 3.5 × the taux légal of 2026 H1 (2.62 %) = 9.17 %: 1,200 × 9.17 % × 70 / 365 = 21.10.
    ctx, doc, text = notice(creditor, debtor)
    assert check_formal_notice(ctx) == []
    assert doc.problems == ()
    for needle in ("Taux contractuel : 3,5 × le taux légal 2026 H1 (2,62 %)", "CGV 2026, art. 9", "9,17 %",
                   "21,10 €", "L441-10"):
        assert needle in text, needle
    assert "majoré de 10 points" not in text
    assert main(["terms", "set", "--debtor", debtor.account, "--rate", "15", "--ref", "Contrat cadre 2025, art. 4"]) == 0
    _, _, text = notice(creditor, debtor)
    # 1,200 × 15 % × 70 / 365 = 34.52.
    for needle in ("Contrat cadre 2025, art. 4", "34,52 €"):
        assert needle in text, needle


def test_a_creditor_s_edited_template_cannot_state_the_wrong_law(settings):
    """A template edited before the chooser chose L441-10 with ``debtor.is_business``: the
    variable now says what the chooser says, and a citation of another regime's law is refused."""
    from relance.apps.editors.services import template_save
    from relance.documents.sandbox import shipped_source

    creditor = creditor_of()
    town = debtor_of(creditor, kind="public", name="Commune de Bron")
    shipped = shipped_source("fr/formal_notice.txt.j2")
    old_style = ("{% if debtor.is_business %}Pénalités de retard (C. com. L441-10) dues de plein droit."
                 "{% else %}Pas de pénalités commerciales.{% endif %}\n")
    template_save(creditor=creditor, name="formal_notice.txt", lang="fr", source=old_style + shipped)
    ctx, doc, text = notice(creditor, town)
    assert ctx.penalties.regime == "fr-public"
    assert "L441-10" not in text
    assert "Pas de pénalités commerciales." in text
    assert check_formal_notice(ctx) == []
    # The same template for a business in France: L441-10, as the chooser says.
    business = creditor_of()
    template_save(creditor=business, name="formal_notice.txt", lang="fr", source=old_style + shipped)
    company = debtor_of(business)
    company_ctx, _, company_text = notice(business, company)
    assert "Pénalités de retard (C. com. L441-10) dues de plein droit." in company_text
    assert check_formal_notice(company_ctx) == []
    # A template that cites L441-10 whatever the debtor: the public body's letter is held.
    template_save(creditor=creditor, name="formal_notice.txt", lang="fr",
                  source="Pénalités de retard (C. com. L441-10) et 40 € (D441-5).\n" + shipped)
    ctx, doc, _ = notice(creditor, town)
    assert {p.code for p in check_formal_notice(ctx)} == {"wrong_law"}
    assert "wrong_law" in {p.code for p in doc.problems}


def test_imported_foreign_companies_get_their_law_in_english():
    """A UK company invoiced in pounds and a German one in euros, from a ledger file (which says
    nothing of their language): the Late Payment Act with its £ fixed sum, the directive at
    ECB + 8 with 40 €, both in English, the only template language they read."""
    import io

    from relance.apps.ledger.models import Debtor
    from relance.apps.ledger.services import ledger_import

    creditor = creditor_of()
    export = (
        "invoice_number;debtor_account;debtor_name;address;postal_code;city;country;issue_date;due_date;"
        "currency;total_amount\n"
        "FA-UK;411UK;Smith Ltd;10 Downing Street;SW1A 2AA;London;GB;2026-01-05;2026-02-04;GBP;1200.00\n"
        "FA-DE;411DE;Müller GmbH;Unter den Linden 1;10117;Berlin;DE;2026-01-05;2026-02-04;EUR;1200.00\n"
    )
    result = ledger_import(creditor=creditor, stream=io.BytesIO(export.encode()), filename="export.csv",
                           as_of=AS_OF)
    assert result.ok, result.problems
    uk, de = Debtor.objects.get(account="411UK"), Debtor.objects.get(account="411DE")
    assert (uk.language, de.language) == ("en", "en")
    for debtor in (uk, de):
        contact_declare(creditor=creditor, debtor=debtor, step_key="reminder",
                        contact_date=date(2026, 3, 2), today=AS_OF)
    ctx, doc, text = notice(creditor, uk)
    assert (ctx.lang, ctx.penalties.regime) == ("en", "uk-b2b")
    assert check_formal_notice(ctx) == []
    assert doc.problems == ()
    for needle in ("FORMAL NOTICE", "Late Payment of Commercial Debts (Interest) Act 1998", "11.75%",
                   "£27.04", "£70.00", "£1,297.04"):
        assert needle in text, needle
    for wrong in ("L441-10", "€", "Madame", "injonction de payer"):
        assert wrong not in text, wrong
    ctx, doc, text = notice(creditor, de)
    assert (ctx.lang, ctx.penalties.regime) == ("en", "eu-b2b")
    assert check_formal_notice(ctx) == []
    assert doc.problems == ()
    # ECB on 1 January 2026 (2.15 %) + 8 = 10.15 %: 1,200 × 10.15 % × 70 / 365 = 23.36, and €40.
    for needle in ("FORMAL NOTICE", "2011/7/EU", "10.15%", "€23.36", "€40.00", "€1,263.36", "competent court"):
        assert needle in text, needle
    for wrong in ("L441-10", "D441-5", "12.15%", "Madame", "injonction de payer", "£"):
        assert wrong not in text, wrong
