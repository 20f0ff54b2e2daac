"""Settling a FEC's customer invoices with its credits, as ``FecReader`` derives them.

Lettered credits settle the debits carrying their letter on the same customer, oldest first;
unlettered ones go to the invoice they name, then to the oldest debts (C. civ. art. 1342-10).
Pure: no I/O, the notes go to the list it is given.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

from relance.domain.ledger import DebtorRecord, InvoiceRecord
from relance.domain.problems import N_, Note, Phrase
from relance.formats.text import record_maker

CURRENCY = "EUR"
ZERO = Decimal("0.00")
_new_invoice = record_maker(InvoiceRecord)

# Invoice under construction: (line, issue date, total, from the sales journal,
# lettered debits as ((letter, amount), ...)).
InvoiceDraft = tuple[int, date, Decimal, bool, tuple[tuple[str, Decimal], ...]]
# Unlettered credit: (line, amount, PieceRef, its EcritureDate).
Credit = tuple[int, Decimal, str, date]


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _allocate(
    key: tuple[str, str],
    credit: Decimal,
    invoices: dict[tuple[str, str], InvoiceDraft],
    paid: dict[tuple[str, str], Decimal],
    taken: list[str],
    paid_on: tuple[dict[tuple[str, str], date], date],
) -> Decimal:
    """Apply up to ``credit`` to the invoice's open amount; return what is left. ``paid_on``:
    the latest day each invoice was paid, and the credit's day."""
    take = min(invoices[key][2] - paid[key], credit)
    if take <= 0:
        return credit
    paid[key] += take
    _paid_on(paid_on[0], key, paid_on[1])
    taken.append(f"{key[1]} {_money(take)}")
    return credit - take


def _paid_on(days: dict[tuple[str, str], date], key: tuple[str, str], day: date) -> None:
    known = days.get(key)
    days[key] = max(known, day) if known else day


def settle(
    invoices: dict[tuple[str, str], InvoiceDraft],
    names: dict[str, str],
    lettered_credits: dict[tuple[str, str], Decimal],
    unlettered: dict[str, list[Credit]],
    *,
    notes: list[str],
    payment_terms_days: int,
    credit_dates: dict[tuple[str, str], date],
) -> Iterator[InvoiceRecord]:
    """Settle the invoices with the credits and yield every invoice with what remains open.

    Lettered credits go to the debits with their letter on the same customer, oldest first;
    unlettered ones go first to the invoice with the credit's own ``PieceRef`` (C. civ. art.
    1342-10 al. 1), then to the oldest invoices (al. 2); each such allocation is written in
    ``notes``. Open amounts never go below zero. Each invoice a credit paid is dated by the
    latest credit applied to it (``credit_dates``: each lettering's latest day).
    """
    paid: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    paid_days: dict[tuple[str, str], date] = {}

    # Lettering: a credit settles the debits carrying its letter on the same customer.
    groups: dict[tuple[str, str], list[tuple[date, int, tuple[str, str], Decimal]]] = defaultdict(
        list
    )
    for key, (line, issue_date, _total, _sales, lets) in invoices.items():
        for letter, amount in lets:
            groups[key[0], letter].append((issue_date, line, key, amount))
    for (debtor, letter), credit in lettered_credits.items():
        left = credit
        day = credit_dates[debtor, letter]  # every lettered credit has its day
        for _issue, _line, key, amount in sorted(groups.get((debtor, letter), ())):
            take = min(amount, left)
            if take <= 0:
                break
            paid[key] += take
            _paid_on(paid_days, key, day)
            left -= take
        if left > 0:
            notes.append(
                Note(
                    N_(
                        "Lettering %(letter)r on %(debtor)s: %(amount)s of credits exceed the "
                        "debits lettered with them and are applied as unlettered credits."
                    ),
                    letter=letter,
                    debtor=debtor,
                    amount=_money(left),
                )
            )
            unlettered[debtor].append((0, left, "", day))

    # Unlettered credits: the piece the debtor named, then the oldest debts first.
    by_debtor: dict[str, list[tuple[date, int, tuple[str, str]]]] = defaultdict(list)
    for key, (line, issue_date, *_rest) in invoices.items():
        if key[0] in unlettered:
            by_debtor[key[0]].append((issue_date, line, key))
    for debtor, credits in unlettered.items():
        oldest = [key for _date, _line, key in sorted(by_debtor.get(debtor, ()))]
        settled = 0  # oldest[:settled] are fully paid: later credits skip them
        for line, credit, piece, day in credits:
            left = credit
            taken: list[str] = []
            named = (debtor, piece)
            if piece and named in invoices:
                left = _allocate(named, left, invoices, paid, taken, (paid_days, day))
            position = settled
            while left > 0 and position < len(oldest):
                key = oldest[position]
                left = _allocate(key, left, invoices, paid, taken, (paid_days, day))
                if position == settled and invoices[key][2] <= paid[key]:
                    settled += 1
                position += 1
            allocation = {
                "where": Phrase.of(N_("line %(line)s"), line=line)
                if line
                else Phrase.of(N_("lettering surplus")),
                "credit": _money(credit),
                "debtor": debtor,
                "name": names[debtor],
                "taken": ", ".join(taken) if taken else Phrase.of(N_("no invoice")),
            }
            if left > 0:
                notes.append(
                    Note(
                        N_(
                            "%(where)s: credit of %(credit)s on %(debtor)s (%(name)s) is not "
                            "lettered; allocated to %(taken)s (the invoice it names, then the "
                            "oldest first: C. civ. art. 1342-10); %(left)s left unapplied "
                            "(the customer is in credit)."
                        ),
                        left=_money(left),
                        **allocation,
                    )
                )
            else:
                notes.append(
                    Note(
                        N_(
                            "%(where)s: credit of %(credit)s on %(debtor)s (%(name)s) is not "
                            "lettered; allocated to %(taken)s (the invoice it names, then the "
                            "oldest first: C. civ. art. 1342-10)."
                        ),
                        **allocation,
                    )
                )

    terms = timedelta(days=payment_terms_days)
    debtors: dict[str, DebtorRecord] = {}
    for key, (line, issue_date, total, _sales, _lets) in invoices.items():
        account, number = key
        record = debtors.get(account)
        if record is None:
            record = debtors[account] = DebtorRecord(account=account, name=names[account])
        yield _new_invoice(  # InvoiceRecord's fields, in order
            number,
            record,
            issue_date,
            issue_date + terms,
            total,
            max(total - paid.get(key, ZERO), ZERO),
            CURRENCY,
            line,
            "",
            paid_days.get(key),
        )
