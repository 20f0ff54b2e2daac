"""The ledger CSV's last-contact columns (issue 14): what was done before Relance, per debtor."""

from __future__ import annotations

import io
from datetime import date

from relance.domain.ledger import LastContact
from relance.formats.ledger_csv import LedgerCsvReader

HEADER = "Numéro facture;Compte client;Raison sociale;Date facture;Date échéance;Montant TTC;Dernière étape;Date dernière relance"


def read(text: str) -> LedgerCsvReader:
    reader = LedgerCsvReader(io.BytesIO(text.encode()))
    list(reader)
    return reader


def test_the_last_contact_of_each_debtor_is_read_in_french_or_english_headers() -> None:
    reader = read(
        f"{HEADER}\n"
        "F1;411A;Alpha;01/01/2026;31/01/2026;100,00;reminder_letter;02/03/2026\n"
        "F2;411A;Alpha;01/02/2026;28/02/2026;50,00;reminder_letter;2026-03-02\n"  # the same, repeated
        "F3;411B;Beta;01/01/2026;31/01/2026;80,00;;\n"  # nothing done before Relance
    )
    assert reader.report.problems == []
    assert reader.report.contacts == {
        "411A": LastContact("411A", "reminder_letter", date(2026, 3, 2), 2, "Dernière étape")
    }
    assert not any("Dernière" in str(note) for note in reader.report.notes)  # known, not "ignored"
    english = read(
        "invoice_number,debtor_account,debtor_name,issue_date,due_date,total_amount,last_contact_step,last_contact_date\n"
        "F1,411A,Alpha,2026-01-01,2026-01-31,100.00,Call,2026-03-05\n"
    )
    assert english.report.contacts["411A"].step == "call"


def test_bad_values_are_problems_with_their_line_and_column() -> None:
    reader = read(
        f"{HEADER}\n"
        "F1;411A;Alpha;01/01/2026;31/01/2026;100,00;reminder;\n"
        "F2;411B;Beta;01/01/2026;31/01/2026;100,00;;02/03/2026\n"
        "F3;411C;Gamma;01/01/2026;31/01/2026;100,00;reminder;31/02/2026\n"
        "F4;411D;Delta;01/01/2026;31/01/2026;100,00;lettre de relance;02/03/2026\n"
        "F5;411E;Epsilon;01/01/2026;31/01/2026;100,00;reminder;02/03/2026\n"
        "F6;411E;Epsilon;01/02/2026;28/02/2026;100,00;call;10/03/2026\n"
    )
    found = [(p.code, p.line, p.column) for p in reader.report.problems]
    assert found == [
        ("empty_value", 2, "Date dernière relance"),
        ("empty_value", 3, "Dernière étape"),
        ("bad_date", 4, "Date dernière relance"),
        ("bad_step", 5, "Dernière étape"),
        ("history_conflict", 7, "Dernière étape"),
    ]


def test_one_column_without_the_other_is_refused() -> None:
    reader = read(
        "invoice_number;debtor_account;debtor_name;issue_date;due_date;total_amount;last_contact_step\n"
        "F1;411A;Alpha;2026-01-01;2026-01-31;100.00;reminder\n"
    )
    assert [(p.code, p.line, p.column) for p in reader.report.problems] == [
        ("missing_column", 1, "last_contact_step")
    ]
