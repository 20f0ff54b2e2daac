"""factory_boy factories and named builders for common states."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import factory

from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Debtor, Invoice


class CreditorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Creditor

    name = factory.Sequence(lambda n: f"Créancier {n} SAS")
    siren = "552100554"
    iban = "FR7630006000011234567890189"
    email = "compta@creancier.example"
    address = "12 rue des Tanneurs"
    postal_code = "69002"
    city = "Lyon"


class DebtorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Debtor

    creditor = factory.SubFactory(CreditorFactory)
    account = factory.Sequence(lambda n: f"411{n:05d}")
    name = factory.Sequence(lambda n: f"Client {n} SARL")
    kind = Debtor.Kind.BUSINESS
    email = factory.Sequence(lambda n: f"client{n}@example.org")


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invoice

    creditor = factory.LazyAttribute(lambda o: o.debtor.creditor)
    debtor = factory.SubFactory(DebtorFactory)
    number = factory.Sequence(lambda n: f"FA-{n:05d}")
    issue_date = date(2026, 1, 1)
    due_date = factory.LazyAttribute(lambda o: o.issue_date + timedelta(days=30))
    total_amount = Decimal("1200.00")
    open_amount = factory.LazyAttribute(lambda o: o.total_amount)


def debtor_with_overdue_invoices(*, creditor: Creditor, count: int = 2, as_of: date) -> Debtor:
    """A business debtor with ``count`` invoices, each a further 10 days overdue."""
    debtor = DebtorFactory(creditor=creditor)
    for i in range(count):
        InvoiceFactory(
            debtor=debtor, creditor=creditor, issue_date=as_of - timedelta(days=40 + 10 * i),
            due_date=as_of - timedelta(days=10 + 10 * i),
        )
    return debtor
