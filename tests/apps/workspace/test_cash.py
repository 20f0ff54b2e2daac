"""Cash application in the workspace: the credits waiting for a person, their candidates and
reasons, and accept / reassign / split / dismiss in one click, each an audit event, the chase
told and changed at once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from relance.apps.audit.models import Event
from relance.apps.banking.models import Match, StatementLine
from relance.apps.banking.services import statement_import
from relance.apps.collection.models import Case
from relance.apps.ledger.models import Invoice
from tests.apps.banking._helpers import bank_csv
from tests.apps.workspace.conftest import make_user
from tests.apps.workspace.test_desk import desk_for
from tests.apps.workspace.test_wording import page_text

pytestmark = pytest.mark.django_db

NOTICE_AMOUNT = Decimal("2345.67")


@pytest.fixture
def bank(creditor_a, today, settings, tmp_path):
    """Garage Martin's mise en demeure waits for approval; a credit of exactly its amount came
    in from an unknown payer (a 0.40 suggestion), and an unknown 999.99 credit."""
    settings.EMAIL_URL = f"file://{tmp_path / 'outbox'}"
    caller, _, late, notice = desk_for(creditor_a, today, "A")
    Invoice.objects.filter(number="A-L0").update(
        total_amount=NOTICE_AMOUNT, open_amount=NOTICE_AMOUNT
    )
    statement_import(
        creditor=creditor_a,
        data=bank_csv(
            (today, NOTICE_AMOUNT, "SCI DU PARC", "", "VIREMENT"),
            (today, Decimal("999.99"), "M DUPONT", "", "VIR"),
        ),
        filename="releve.csv",
        as_of=today,
    )
    return caller, late, notice


def test_the_page_lists_each_waiting_credit_with_its_candidates_reasons_and_effect(
    collector_a, bank
):
    _, _late, _notice = bank
    text = page_text(collector_a.get("/cash/"))
    assert "2 crédits attendent une personne." in text
    assert "2\xa0345,67" in text
    assert "999,99" in text
    assert "confiance 0,40" in text
    assert "le montant égale le solde de la facture A-L0, la seule" in text
    assert "Le dossier se ferme ; annulées : Mise en demeure prévue le" in text
    # The unknown credit: no candidate, but a person can name one or dismiss it.
    assert "Aucune facture candidate" in text
    assert "amount equals" not in text


def test_accepting_the_suggestion_closes_the_case_and_cancels_the_mise_en_demeure(
    collector_a, bank
):
    _, late, notice = bank
    match = Match.objects.get(debtor=late, state="suggested")
    response = collector_a.post(f"/cash/matches/{match.pk}/accept/", follow=True)
    text = page_text(response)
    assert "le dossier est clos ; 1 action(s) en attente annulée(s)" in text
    notice.refresh_from_db()
    assert notice.state == "cancelled"
    assert Case.objects.get(debtor=late).status == "closed_paid"
    applied = Event.objects.get(kind="bank.match_applied", subject_id=match.pk)
    assert applied.actor == "user:camille"
    assert Invoice.objects.get(number="A-L0").open_amount == 0


def test_an_unknown_credit_is_split_between_two_invoices_of_one_debtor(collector_a, bank):
    caller, _, _ = bank
    line = StatementLine.objects.get(amount=Decimal("999.99"))
    response = collector_a.post(
        f"/cash/lines/{line.pk}/choose/",
        {"number-0": "A-C0", "amount-0": "500,00", "number-1": "A-C1", "amount-1": ""},
        follow=True,
    )
    assert "Paiement affecté à A Fleurs Petit SARL" in page_text(response)
    assert Invoice.objects.get(number="A-C0").open_amount == Decimal("700.00")
    assert Invoice.objects.get(number="A-C1").open_amount == Decimal("700.01")
    chosen = Event.objects.get(kind="bank.match_chosen")
    assert chosen.payload["line"] == line.pk
    assert Case.objects.get(debtor=caller).status != "closed_paid"  # 1,400.01 still open


def test_a_suggestion_on_the_wrong_debtor_is_reassigned_in_one_click(collector_a, bank):
    caller, late, notice = bank
    line = StatementLine.objects.get(amount=NOTICE_AMOUNT)
    collector_a.post(f"/cash/lines/{line.pk}/choose/", {"number-0": "A-C0"}, follow=True)
    assert Match.objects.get(line=line, debtor=late).state == "undone"
    assert Match.objects.get(line=line, debtor=caller).state == "applied"
    notice.refresh_from_db()
    assert notice.state != "cancelled"  # Garage Martin paid nothing: its chase goes on


def test_a_credit_that_pays_no_invoice_is_dismissed(collector_a, bank):
    line = StatementLine.objects.get(amount=Decimal("999.99"))
    response = collector_a.post(f"/cash/lines/{line.pk}/dismiss/", {"reason": "refund"}, follow=True)
    assert "Crédit écarté" in page_text(response)
    line.refresh_from_db()
    assert line.status == "dismissed"
    assert Event.objects.get(kind="bank.line_dismissed").actor == "user:camille"


def test_a_refused_split_is_said_in_french_and_changes_nothing(collector_a, bank):
    line = StatementLine.objects.get(amount=Decimal("999.99"))
    response = collector_a.post(
        f"/cash/lines/{line.pk}/choose/",
        {"number-0": "A-C0", "amount-0": "1100"},
        follow=True,
    )
    text = page_text(response)
    assert "sont plus que le crédit" in text
    assert "more than the credit" not in text
    line.refresh_from_db()
    assert line.status == "unmatched"


def test_another_creditors_collector_cannot_touch_the_lines(client, bank, creditor_b):
    client.force_login(make_user("bruno", "collector", creditor_b))
    line = StatementLine.objects.get(amount=Decimal("999.99"))
    match = Match.objects.get(state="suggested")
    assert client.post(f"/cash/lines/{line.pk}/dismiss/", {"reason": "refund"}).status_code == 404
    assert client.post(f"/cash/matches/{match.pk}/accept/").status_code == 404
    assert "999,99" not in page_text(client.get("/cash/"))


def test_a_viewer_sees_the_page_but_cannot_act(viewer_a, bank):
    line = StatementLine.objects.get(amount=Decimal("999.99"))
    assert viewer_a.get("/cash/").status_code == 200
    assert viewer_a.post(f"/cash/lines/{line.pk}/dismiss/", {"reason": "refund"}).status_code == 403


def test_a_credit_from_a_known_iban_offers_that_debtors_invoices(collector_a, creditor_a, today, bank):
    from relance.apps.banking.models import KnownIban

    caller, _, _ = bank
    iban = "FR7610107001011234567890129"
    statement_import(
        creditor=creditor_a,
        data=bank_csv((today, Decimal("321.00"), "INCONNU", iban, "VIR SANS REF")),
        filename="releve2.csv",
        as_of=today,
    )
    line = StatementLine.objects.get(amount=Decimal("321.00"))
    assert line.status == "unmatched"
    KnownIban.objects.create(creditor=creditor_a, iban=iban, debtor=caller)
    text = page_text(collector_a.get("/cash/"))
    assert "IBAN connu par des paiements antérieurs de ce débiteur" in text
    assert "Affecter à A Fleurs Petit SARL" in text
    invoice = Invoice.objects.filter(debtor=caller).order_by("due_date", "id").first()
    collector_a.post(f"/cash/lines/{line.pk}/choose/", {"invoice_id": str(invoice.pk)})
    invoice.refresh_from_db()
    assert invoice.open_amount == Decimal("879.00")
