"""Payment terms check: C. com. L441-10 I caps agreed terms between professionals.

The cap is 60 days after the invoice date. As an exception the contract may expressly stipulate
45 days end of month; both ways of counting it are accepted in practice (invoice date + 45
days then end of month, or end of month then + 45 days), so the later of the two is taken as
the limit. A periodic invoice (CGI 289 I-3) is capped at 45 days. Warnings are in French: they
end up in the creditor's screens and letters.
"""

from __future__ import annotations

from datetime import date, timedelta

from relance.domain.law.dates import end_of_month
from relance.domain.law.explain import fr_date


def check_payment_terms(issue_date: date, due_date: date, *, periodic: bool = False) -> list[str]:
    """Warnings when ``due_date`` is beyond what L441-10 I allows; empty when it is fine.

    >>> check_payment_terms(date(2025, 1, 1), date(2025, 3, 2))
    []
    >>> "45 jours fin de mois » (limite 17/03/2025)" in check_payment_terms(
    ...     date(2025, 1, 1), date(2025, 3, 10))[0]
    True
    >>> check_payment_terms(date(2025, 1, 1), date(2025, 5, 30))[0][:42]
    'Échéance du 30/05/2025 au-delà des plafond'
    """
    if due_date < issue_date:
        return [
            f"Échéance du {fr_date(due_date)} antérieure à la date de facture du {fr_date(issue_date)} : "
            "vérifier les dates."
        ]
    if periodic:
        cap = issue_date + timedelta(days=45)
        if due_date <= cap:
            return []
        return [
            f"Échéance du {fr_date(due_date)} au-delà de 45 jours après la date d'une facture "
            f"périodique ({fr_date(cap)}) : délai contraire à C. com. L441-10 I."
        ]
    sixty = issue_date + timedelta(days=60)
    if due_date <= sixty:
        return []
    eom = max(
        end_of_month(issue_date + timedelta(days=45)),
        end_of_month(issue_date) + timedelta(days=45),
    )
    if due_date <= eom:
        return [
            f"Échéance du {fr_date(due_date)} au-delà de 60 jours après la date de facture "
            f"({fr_date(sixty)}) : admise seulement si le contrat stipule expressément « 45 jours "
            f"fin de mois » (limite {fr_date(eom)}) sans abus manifeste (C. com. L441-10 I)."
        ]
    return [
        f"Échéance du {fr_date(due_date)} au-delà des plafonds légaux : 60 jours après la date de "
        f"facture ({fr_date(sixty)}) et 45 jours fin de mois ({fr_date(eom)}) (C. com. L441-10 I). "
        "Le délai convenu est illicite et expose à une amende administrative."
    ]
