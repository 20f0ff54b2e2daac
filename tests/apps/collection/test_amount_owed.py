"""Penalties run on what was actually unpaid each day (issue 14): a dated payment reduces the
base from its date, an open amount known only from the ledger gives penalties on that balance,
and every line of a letter's breakdown is what ``relance interest`` computes on the same data."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal

import pytest

from relance.apps.collection.contexts import BuiltContext, ContextRequest, letter_contexts
from relance.apps.ledger.models import Allocation, Debtor, Invoice, Payment
from relance.apps.ledger.services import ledger_import
from relance.cli import main
from relance.documents.formatting import format_money
from relance.documents.templates import render_step
from tests.factories import CreditorFactory, DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

D = Decimal
DUE = date(2026, 1, 31)
AS_OF = date(2026, 5, 4)


def formal_notice(debtor: Debtor) -> BuiltContext:
    (built,) = letter_contexts(
        [ContextRequest(debtor=debtor, case=None, template="formal_notice",
                        channel="registered_letter", lang="fr")],
        as_of=AS_OF,
    )  # fmt: skip
    assert isinstance(built, BuiltContext), built
    return built


def relance_interest(capsys, principal: Decimal, *payments: tuple[date, Decimal]) -> dict:
    argv = ["interest", "--regime", "fr-b2b", "--principal", str(principal),
            "--from", DUE.isoformat(), "--to", AS_OF.isoformat(), "--json"]  # fmt: skip
    for day, amount in payments:
        argv += ["--payment", f"{day.isoformat()}:{amount}"]
    capsys.readouterr()
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def fr(amount: Decimal | str) -> str:
    return format_money(D(amount))


def test_a_dated_partial_payment_gives_a_breakdown_that_agrees_with_relance_interest(capsys):
    creditor = CreditorFactory()
    debtor = DebtorFactory(creditor=creditor, kind="business")
    invoice = InvoiceFactory(creditor=creditor, debtor=debtor, number="F-300",
                             issue_date=date(2026, 1, 1), due_date=DUE,
                             total_amount=D("1000.00"))  # fmt: skip
    paid_on = date(2026, 2, 20)
    payment = Payment.objects.create(creditor=creditor, debtor=debtor, value_date=paid_on,
                                     amount=D("400.00"), origin=Payment.Origin.BANK)  # fmt: skip
    Allocation.objects.create(payment=payment, invoice=invoice, amount=D("400.00"))
    Invoice.objects.filter(pk=invoice.pk).update(open_amount=D("600.00"))

    built = formal_notice(debtor)
    context = built.context
    cli = relance_interest(capsys, D("1000.00"), (paid_on, D("400.00")))
    (line,) = context.penalties.lines
    totals = context.as_template_vars()["totals"]
    # Each line is relance interest's, to the cent.
    assert str(line.principal) == cli["principal"] == "1000.00"
    assert str(line.interest) == cli["interest"]
    assert str(line.indemnity) == cli["indemnity"]
    assert str(totals["principal_due"]) == cli["outstanding_principal"]
    assert str(totals["interest_due"]) == cli["outstanding_interest"]
    assert str(context.amount_claimed) == cli["amount_due"]
    # The breakdown adds up, and its principal is the base the penalty line runs on after the
    # payment (C. civ. 1343-1: the payment settled the interest first).
    assert totals["principal_due"] + totals["interest_due"] + totals["indemnity"] == (
        totals["claimed"]
    )
    assert line.periods[-1].base == totals["principal_due"] > D("600.00")
    text = render_step(context, "formal_notice").text
    assert f"Principal restant dû : {fr(cli['outstanding_principal'])}" in text
    assert f"sur {fr(cli['outstanding_principal'])} du 21 février 2026" in text
    assert f"Total réclamé : {fr(cli['amount_due'])}" in text
    assert "solde restant dû de" not in text  # the base is the total until the payment


def test_an_open_amount_known_only_from_the_ledger_bears_penalties_on_that_balance(capsys):
    creditor = CreditorFactory()
    export = (
        "invoice_number;debtor_account;debtor_name;issue_date;due_date;total_amount;open_amount\n"
        f"F-400;411Z;Zeta SAS;2026-01-01;{DUE.isoformat()};1000.00;470.13\n"
    )
    result = ledger_import(creditor=creditor, stream=io.BytesIO(export.encode()),
                           filename="grand-livre.csv", as_of=date(2026, 4, 30))  # fmt: skip
    assert result.ok, result.problems
    built = formal_notice(Debtor.objects.get(account="411Z"))
    context = built.context
    cli = relance_interest(capsys, D("470.13"))
    (line,) = context.penalties.lines
    # Never on the original 1,000.00 up to the import day: on 470.13 from the due date.
    assert str(line.principal) == cli["principal"] == "470.13"
    assert (str(line.interest), str(line.indemnity)) == (cli["interest"], cli["indemnity"])
    assert str(context.amount_claimed) == cli["amount_due"]
    text = render_step(context, "formal_notice").text
    assert "pénalités calculées sur le solde restant dû de 470,13\u00a0€" in text
    assert f"Principal restant dû : {fr('470.13')}" in text
    assert f"Total réclamé : {fr(cli['amount_due'])}" in text
