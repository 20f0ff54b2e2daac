"""Collecting for someone else (recouvrement amiable pour compte d'autrui): the law as data.

A collection agency's letter to the debtor carries the mentions of CPCE R124-4 (legal-fr.md
§7): 1° the agency's name and address and that it carries on an amicable debt-collection
activity; 2° the creditor's name and address; 3° the basis and amount of the sum due in
principal, interest and other accessories, each component apart, without any cost L111-8 leaves
to the creditor; 4° the demand to pay and how; 5° the paragraphs of L111-8 reproduced. The
references and date of the first letter are repeated in every later one.

``commission`` is the agency's share of a payment (R124-3 3°: paid by the creditor), rounded
half-up to the cent on each payment.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

R124_4 = "CPCE R124-4"
L111_8_SOURCE = (
    "Code des procédures civiles d'exécution, art. L111-8, alinéas 2 et 3 (rédaction issue de la "
    "loi n° 2014-344 du 17 mars 2014)"
)
L111_8_PARAGRAPHS = (
    "Les frais de recouvrement entrepris sans titre exécutoire restent à la charge du créancier, "
    "sauf s'ils concernent un acte dont l'accomplissement est prescrit par la loi au créancier. "
    "Toute stipulation contraire est réputée non écrite, sauf disposition législative contraire.",
    "Cependant, le créancier qui justifie du caractère nécessaire des démarches entreprises pour "
    "recouvrer sa créance peut demander au juge de l'exécution de laisser tout ou partie des frais "
    "ainsi exposés à la charge du débiteur de mauvaise foi.",
)
ACTIVITY_FR = "exerce une activité de recouvrement amiable de créances pour le compte d'autrui"
ACTIVITY_EN = "carries on an amicable debt-collection activity on behalf of others"
CENT = Decimal("0.01")


def commission(amount: Decimal, rate: Decimal) -> Decimal:
    """The agency's commission at ``rate`` percent on a payment of ``amount``, to the cent.

    >>> commission(Decimal("1234.50"), Decimal("12.5"))
    Decimal('154.31')
    >>> commission(Decimal("0.04"), Decimal("12.5"))
    Decimal('0.01')
    """
    return (amount * rate / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)
