"""A ledger file that says what was done before Relance (issue 14): the chase resumes there.

The ``last_contact_step`` / ``last_contact_date`` columns are declared as ``relance case history
add`` does (through the ledger's hook, which the collection app registers), and the first pass
takes the step after the one declared, at its interval from the declared date. A step that is
not in the debtor's scenario, or a date to come, refuses the whole file with its line and its
reason in French; nothing is imported.
"""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.utils import translation

from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.models import Action, DeclaredContact
from relance.apps.ledger.models import Invoice
from relance.apps.ledger.services import ledger_import
from relance.apps.workspace.wording import problem_text
from tests.factories import CreditorFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 4, 15)
HEADER = "numero_facture;compte_client;raison_sociale;email;date_facture;date_echeance;montant_ttc;derniere_etape;date_derniere_relance\n"


def import_text(creditor, rows: str, dry_run: bool = False):
    return ledger_import(creditor=creditor, stream=io.BytesIO((HEADER + rows).encode()), filename="grand-livre.csv",
                         as_of=TODAY, dry_run=dry_run)


def test_the_chase_resumes_after_the_step_the_file_declares():
    creditor = CreditorFactory()
    rows = (
        "FA-1;411A;Alpha SARL;compta@alpha.example;2025-12-01;2025-12-31;1200,00;reminder_letter;2026-04-01\n"
        "FA-2;411A;Alpha SARL;compta@alpha.example;2026-01-05;2026-02-04;300,00;;\n"
        "FA-3;411B;Beta SARL;compta@beta.example;2025-12-01;2025-12-31;500,00;;\n"
    )
    dry = import_text(creditor, rows, dry_run=True)
    assert dry.ok, dry.problems
    assert not DeclaredContact.objects.exists()  # a dry run declares nothing
    result = import_text(creditor, rows)
    assert result.ok, result.problems
    declared = DeclaredContact.objects.get()
    assert (declared.debtor.account, declared.step_key, declared.contact_date, declared.source) == (
        "411A", "reminder_letter", date(2026, 4, 1), "ledger")
    assert import_text(creditor, rows).ok  # the same file again declares nothing twice
    assert DeclaredContact.objects.count() == 1

    # B2B standard: reminder_letter at +25, formal_notice at +35: ten days after 1 April.
    collection_run(creditor=creditor, as_of=date(2026, 4, 10), dispatch=False)
    assert not Action.objects.filter(debtor__account="411A").exclude(state="skipped").exists()
    collection_run(creditor=creditor, as_of=date(2026, 4, 11), dispatch=False)
    (first,) = Action.objects.filter(debtor__account="411A").exclude(state="skipped")
    assert (first.step_key, first.planned_date) == ("formal_notice", date(2026, 4, 11))
    # Beta declared nothing: its chase starts with the first reminder.
    (beta,) = Action.objects.filter(debtor__account="411B").exclude(state="skipped")
    assert beta.step_key == "reminder"


@pytest.mark.parametrize(("step", "day", "french"), [
    ("relance_amicale", "2026-04-01", "l’étape 'relance_amicale' n’est pas une étape du scénario de 411A"),
    ("reminder", "2026-05-01", "dans le futur"),
])
def test_a_bad_history_refuses_the_whole_file_with_the_line_in_french(step, day, french):
    creditor = CreditorFactory()
    rows = (
        "FA-1;411A;Alpha SARL;;2025-12-01;2025-12-31;1200,00;;\n"
        f"FA-2;411A;Alpha SARL;;2026-01-05;2026-02-04;300,00;{step};{day}\n"
    )
    result = import_text(creditor, rows)
    assert not result.ok
    (problem,) = result.problems
    assert (problem.code, problem.line, problem.column) == ("bad_history", 3, "derniere_etape")
    with translation.override("fr"):
        assert french in problem_text(problem)
    assert not Invoice.objects.exists()
    assert not DeclaredContact.objects.exists()
