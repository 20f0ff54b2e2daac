"""Recovery costs above the 40 € indemnity, on proof (C. com. L441-10 II; issue 16).

A creditor records what recovering a debt cost it (a lawyer's fees), with the invoice for it:
the proof is kept unchanged with its SHA-256, and the mise en demeure claims what the costs
exceed the flat indemnity by, as its own line with its basis, computed by hand below. A consumer
never owes them (CPCE L111-8): refused at recording, and never in a consumer's letter even when
the debtor was a business when they were recorded.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from datetime import date
from decimal import Decimal

import pytest

from relance.apps.audit.documents import document_path
from relance.apps.audit.models import Event
from relance.apps.collection.contexts import letter_context_for
from relance.apps.collection.costs import cost_record
from relance.apps.collection.history import contact_declare
from relance.apps.collection.messages import document_render
from relance.apps.collection.models import Case, RecoveryCost
from relance.apps.collection.scenarios import scenario_id_for
from relance.cli import main
from relance.documents.context import ClaimLine
from relance.documents.formal_notice import check_formal_notice
from relance.domain.errors import InvalidInputError
from tests.factories import CreditorFactory, DebtorFactory, InvoiceFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext is not installed"),
]
AS_OF = date(2026, 4, 15)
PROOF = b"%PDF-1.4\n% Note d'honoraires Me Dupuis, 12 mars 2026, 350,00 EUR TTC\n%%EOF\n"


def pdf_text(data: bytes) -> str:
    raw = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout
    return " ".join(raw.decode().replace("\u202f", " ").replace("\xa0", " ").split())


@pytest.fixture
def creditor(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return CreditorFactory(
        name="Atelier Durand", siren="552100554", address="12 rue des Tanneurs", postal_code="69002",
        city="Lyon", iban="FR7630006000011234567890189", signature="Marie Durand",
    )


def debtor_of(creditor, kind="business", account="411X"):
    debtor = DebtorFactory(
        creditor=creditor, account=account, name="Dupont SA" if kind == "business" else "Jean Martin",
        kind=kind, siren="732829320" if kind == "business" else "", address="5 avenue Foch",
        postal_code="75016", city="Paris",
    )
    InvoiceFactory(debtor=debtor, creditor=creditor, number=f"FA-{account}", issue_date=date(2026, 1, 5),
                   due_date=date(2026, 2, 4), total_amount=Decimal("1200.00"))
    contact_declare(creditor=creditor, debtor=debtor, step_key="reminder",
                    contact_date=date(2026, 3, 2), today=AS_OF)
    Case.objects.create(creditor=creditor, debtor=debtor, opened_on=date(2026, 3, 2),
                        scenario_id=scenario_id_for(debtor=debtor, case=None))
    return debtor


def notice_text(creditor, debtor, lang=None):
    ctx = letter_context_for(case_or_debtor=debtor, step_key="formal_notice", as_of=AS_OF, lang=lang)
    doc = document_render(creditor=creditor, debtor_account=debtor.account, step_key="formal_notice",
                          as_of=AS_OF, lang=lang)
    return ctx, doc, pdf_text(doc.data)


def test_costs_recorded_with_proof_appear_in_the_mise_en_demeure_above_the_indemnity(creditor, tmp_path, capsys):
    debtor = debtor_of(creditor)
    proof = tmp_path / "honoraires-dupuis.pdf"
    proof.write_bytes(PROOF)
    assert main(["case", "costs", "add", "--debtor", "411X", "--amount", "350,00", "--date", "2026-03-12",
                 "--description", "Honoraires de Me Dupuis, avocat", "--proof", str(proof),
                 "--as-of", AS_OF.isoformat(), "--json"]) == 0
    row = RecoveryCost.objects.get()
    digest = hashlib.sha256(PROOF).hexdigest()
    assert (row.amount, row.proof_sha256, row.proof_filename) == (Decimal("350.00"), digest, proof.name)
    assert document_path(row.proof_name).read_bytes() == PROOF
    event = Event.objects.get(kind="cost.recorded")
    assert event.payload["sha256"] == digest
    capsys.readouterr()
    assert main(["case", "costs", "list", "--debtor", "411X", "--json"]) == 0
    assert digest in capsys.readouterr().out

    ctx, doc, text = notice_text(creditor, debtor)
    assert check_formal_notice(ctx) == []
    assert doc.problems == ()
    # Penalties 1,200 × 12.15 % × 70 / 365 = 27.96, 40.00 flat, and 350.00 − 40.00 = 310.00 on proof.
    for needle in ("Indemnisation complémentaire sur justification : frais exposés 350,00 €",
                   "12 mars 2026, Honoraires de Me Dupuis, avocat, 350,00 €",
                   "moins les indemnités forfaitaires 40,00 € (C. com. L441-10 II) : 310,00 €",
                   "Total réclamé : 1 577,96 €"):
        assert needle in text, needle
    _, _, english = notice_text(creditor, debtor, lang="en")
    assert "Additional compensation for recovery costs, on proof: costs incurred €350.00" in english
    assert "(French Commercial Code, art. L441-10 II): €310.00" in english
    # A reminder e-mail states no breakdown: it claims no costs either.
    reminder = letter_context_for(case_or_debtor=debtor, step_key="reminder", as_of=AS_OF)
    assert reminder.other_claims == ()


def test_a_consumer_never_owes_them_and_never_reads_them(creditor, tmp_path, capsys):
    debtor_of(creditor, kind="consumer", account="411C")
    proof = tmp_path / "huissier.pdf"
    proof.write_bytes(PROOF)
    assert main(["case", "costs", "add", "--debtor", "411C", "--amount", "120", "--date", "2026-03-12",
                 "--description", "Frais d'huissier", "--proof", str(proof), "--as-of", AS_OF.isoformat()]) == 1
    assert "L111-8" in capsys.readouterr().err
    assert not RecoveryCost.objects.exists()
    # Recorded while the debtor was filed as a business, then the ledger said it is a consumer:
    # the regime decides, and the consumer's letter claims no cost and no indemnity.
    turned = debtor_of(creditor, account="411T")
    cost_record(creditor=creditor, debtor=turned, amount="350.00", incurred_on=date(2026, 3, 12),
                description="Honoraires de Me Dupuis", proof=PROOF, proof_filename="h.pdf", today=AS_OF)
    turned.kind = "consumer"
    turned.siren = ""
    turned.save()
    ctx, _doc, text = notice_text(creditor, turned)
    assert ctx.other_claims == ()
    assert check_formal_notice(ctx) == []
    for wrong in ("Honoraires", "complémentaire", "justification", "350,00", "40,00 €", "frais"):
        assert wrong not in text, wrong
    assert "Total réclamé : 1 200,00 €" in text
    # And a letter made by hand with such a line for a consumer is refused by the checker.
    from dataclasses import replace

    forged = replace(ctx, other_claims=(ClaimLine("Indemnisation complémentaire", Decimal("310.00"),
                                                  "C. com. L441-10 II", is_justified=True),))
    assert "forbidden_claim" in {p.code for p in check_formal_notice(forged)}


def test_bad_costs_are_refused_whole_with_the_reason(creditor):
    debtor = debtor_of(creditor)
    town = debtor_of(creditor, kind="public", account="411P")
    for kwargs, reason in (
        ({"amount": "-5"}, "positive"),
        ({"amount": "1e3"}, "not an amount"),
        ({"incurred_on": date(2026, 5, 1)}, "future"),
        ({"description": "  "}, "say what"),
        ({"proof": b""}, "empty"),
        ({"proof_filename": "x.exe"}, "proof must be"),
        ({"debtor": town}, "Débiteur public"),
    ):
        args = {"creditor": creditor, "debtor": debtor, "amount": "350.00", "incurred_on": date(2026, 3, 12),
                "description": "Honoraires", "proof": PROOF, "proof_filename": "h.pdf", "today": AS_OF, **kwargs}
        with pytest.raises(InvalidInputError) as error:
            cost_record(**args)
        assert reason in str(error.value.message), (kwargs, error.value.message)
    assert not RecoveryCost.objects.exists()
