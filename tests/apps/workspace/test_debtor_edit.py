"""Editing a debtor from its page, its state in the list, and its statement of account."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest

from relance.apps.audit.models import Event
from relance.apps.ledger.models import Allocation, Contact, Invoice, Payment
from tests.apps.workspace.conftest import make_user
from tests.apps.workspace.test_wording import page_text
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db


def details(debtor, **changes):
    fields = ("name", "kind", "siren", "email", "phone", "address", "postal_code", "city",
              "country", "language")
    data = {f: getattr(debtor, f) for f in fields}
    data.update(changes)
    return data


def test_an_e_mail_is_added_to_a_debtor_that_had_none_and_the_change_is_recorded(
    collector_a, debtor_a
):
    debtor_a.email = ""
    debtor_a.save()
    response = collector_a.post(
        f"/debtors/{debtor_a.pk}/edit/", details(debtor_a, email="compta@durand.example"),
        follow=True,
    )
    text = page_text(response)
    assert "Fiche du débiteur enregistrée." in text
    assert "compta@durand.example" in text
    debtor_a.refresh_from_db()
    assert debtor_a.email == "compta@durand.example"
    event = Event.objects.get(kind="debtor.changed")
    assert event.payload == {"before": {"email": ""}, "after": {"email": "compta@durand.example"}}
    assert event.actor == "user:camille"
    assert "Fiche du débiteur modifiée" in text  # on the timeline


@pytest.mark.parametrize(
    ("change", "french"),
    [
        ({"siren": "123456789"}, "le SIREN « 123456789 » n’est pas valide"),
        ({"postal_code": "6900"}, "un code postal français a cinq chiffres, pas « 6900 »"),
        ({"country": "France"}, "Assurez-vous que cette valeur comporte au plus 2 caractères"),
        ({"email": "pas-une-adresse"}, "« pas-une-adresse » n’est pas une adresse e-mail"),
    ],
)
def test_a_bad_value_is_refused_in_french_and_nothing_changes(collector_a, debtor_a, change, french):
    before = debtor_a.__dict__.copy()
    response = collector_a.post(f"/debtors/{debtor_a.pk}/edit/", details(debtor_a, **change))
    assert response.status_code == 400
    assert french in page_text(response)
    debtor_a.refresh_from_db()
    assert all(debtor_a.__dict__[k] == before[k] for k in change)
    assert not Event.objects.filter(kind="debtor.changed").exists()


def test_kind_language_and_address_are_edited(collector_a, debtor_a):
    collector_a.post(
        f"/debtors/{debtor_a.pk}/edit/",
        details(debtor_a, kind="public", language="en", address="1 place Bellecour",
                postal_code="69002", city="Lyon", siren="732 829 320"),
    )
    debtor_a.refresh_from_db()
    assert (debtor_a.kind, debtor_a.language, debtor_a.siren) == ("public", "en", "732829320")
    assert debtor_a.postal_code == "69002"


def test_a_contact_with_a_role_is_added_then_removed(collector_a, debtor_a):
    response = collector_a.post(
        f"/debtors/{debtor_a.pk}/contacts/",
        {"contact-name": "Mme Roux", "contact-role": "accounts_payable",
         "contact-email": "roux@durand.example", "contact-is_primary": "on"},
        follow=True,
    )
    assert "Mme Roux (Comptabilité fournisseurs) roux@durand.example" in page_text(response)
    contact = Contact.objects.get(debtor=debtor_a)
    assert contact.is_primary
    collector_a.post(f"/debtors/{debtor_a.pk}/contacts/{contact.pk}/remove/")
    assert not Contact.objects.filter(debtor=debtor_a).exists()
    kinds = list(Event.objects.filter(subject_id=debtor_a.pk).values_list("kind", flat=True))
    assert "debtor.contact_added" in kinds
    assert "debtor.contact_removed" in kinds


def test_another_creditors_debtor_cannot_be_edited(client, debtor_a, creditor_b):
    client.force_login(make_user("bruno", "collector", creditor_b))
    response = client.post(f"/debtors/{debtor_a.pk}/edit/", details(debtor_a, email="x@y.example"))
    assert response.status_code == 404
    assert client.get(f"/debtors/{debtor_a.pk}/statement.pdf").status_code == 404


def test_a_viewer_cannot_edit(viewer_a, debtor_a):
    assert viewer_a.post(f"/debtors/{debtor_a.pk}/edit/", details(debtor_a)).status_code == 403


def test_the_state_column_says_every_state_disputed_included(collector_a, creditor_a, today):
    from relance.apps.collection.daily_pass import collection_run
    from relance.apps.collection.pauses import dispute_open
    from relance.apps.workspace.services import debtor_hold_set

    def debtor(name, days):
        d = DebtorFactory(creditor=creditor_a, name=name)
        InvoiceFactory(debtor=d, number=f"N-{name[:3]}", issue_date=today - timedelta(days=days + 30),
                       due_date=today - timedelta(days=days))
        return d

    debtor("Disputé SARL", 20)
    held = debtor("Suspendu SARL", 20)
    debtor("Chassé SARL", 20)
    debtor("Futur SARL", -10)
    collection_run(as_of=today, creditor=creditor_a, dispatch=False)
    dispute_open(creditor=creditor_a, invoice_number="N-Dis", reason="livraison", as_of=today,
                 actor="test")
    debtor_hold_set(debtor=held, hold=True, actor="test")
    text = page_text(collector_a.get("/debtors/?sort=name"))
    for name, state in [("Disputé SARL", "En litige"), ("Suspendu SARL", "En pause"),
                        ("Chassé SARL", "Relances en cours"), ("Futur SARL", "À jour")]:
        row = text[text.index(name):].split("</tr>")[0]
        assert state in row, (name, row)


def test_the_debtor_page_links_its_scenario(collector_a, debtor_a):
    text = page_text(collector_a.get(f"/debtors/{debtor_a.pk}/"))
    assert f'href="/debtors/{debtor_a.pk}/scenario/"' in text
    assert "Voir ou changer le scénario" in text


def test_the_statement_of_account_lists_invoices_credits_payments_and_the_net(
    collector_a, creditor_a, today, tmp_path
):
    debtor = DebtorFactory(creditor=creditor_a, name="Imprimerie Blanc SARL", address="4 rue Neuve",
                           postal_code="69001", city="Lyon")
    first = InvoiceFactory(debtor=debtor, number="FA-101", issue_date=today - timedelta(days=60),
                           due_date=today - timedelta(days=30))
    InvoiceFactory(debtor=debtor, number="FA-102", issue_date=today - timedelta(days=40),
                   due_date=today - timedelta(days=10))
    InvoiceFactory(debtor=debtor, number="AV-7", kind="credit_note", total_amount=Decimal("-150.00"),
                   open_amount=Decimal("-150.00"), issue_date=today - timedelta(days=20),
                   due_date=today - timedelta(days=20))
    paid = Payment.objects.create(creditor=creditor_a, debtor=debtor, value_date=today - timedelta(days=5),
                                  amount=Decimal("200.00"), origin="bank", reference="VIR BLANC")
    Allocation.objects.create(payment=paid, invoice=first, amount=Decimal("200.00"))
    Invoice.objects.filter(pk=first.pk).update(open_amount=Decimal("1000.00"))
    # What the ledger export said was paid: a settlement payment of the import, no debtor.
    second = Invoice.objects.get(number="FA-102")
    settled = Payment.objects.create(creditor=creditor_a, value_date=today - timedelta(days=2),
                                     amount=Decimal("100.00"), origin="ledger",
                                     reference="ledger import #1 (export.csv)")
    Allocation.objects.create(payment=settled, invoice=second, amount=Decimal("100.00"))
    Invoice.objects.filter(pk=second.pk).update(open_amount=Decimal("1100.00"))

    def pdf_text(as_of):
        response = collector_a.get(f"/debtors/{debtor.pk}/statement.pdf?as_of={as_of.isoformat()}")
        assert response["Content-Type"] == "application/pdf"
        path = tmp_path / f"s-{as_of}.pdf"
        path.write_bytes(b"".join(response.streaming_content) if response.streaming else response.content)
        return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                               text=True, check=True).stdout

    text = pdf_text(today)
    assert "Relevé de compte au" in text
    assert "FA-101" in text
    assert "FA-102" in text
    assert "AV-7" in text
    assert "Virement reçu — VIR BLANC" in text
    assert "Règlement constaté par votre comptabilité" in text
    assert "ledger import" not in text
    assert "1 000,00" in text  # FA-101 after the payment
    assert "Solde net dû au" in text
    assert "1 950,00" in text  # 1,000 + 1,100 − 150
    # A week earlier the payment had not come and the credit note was already there.
    earlier = pdf_text(today - timedelta(days=7))
    assert "VIR BLANC" not in earlier
    assert "2 250,00" in earlier


def test_an_imported_phone_written_its_own_way_does_not_block_adding_the_e_mail(collector_a, debtor_a):
    debtor_a.phone, debtor_a.email = "04 72 00 00 01 poste 12", ""
    debtor_a.save()
    collector_a.post(f"/debtors/{debtor_a.pk}/edit/", details(debtor_a, email="a@durand.example"))
    debtor_a.refresh_from_db()
    assert (debtor_a.email, debtor_a.phone) == ("a@durand.example", "04 72 00 00 01 poste 12")
