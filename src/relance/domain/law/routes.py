"""Where an unpaid claim goes when the amicable path ends: the routes, their court, their limits.

Each route is data with its source (legal-fr.md §1.5, §5, §7): what it is, whether it needs a
mise en demeure received first, its ceiling, which debtors it serves. ``route_refusals`` says,
in French, every reason a dossier may not be built for a claim; ``choose_court`` names the
court for the injonction de payer (CPC 1406, legal-fr.md §5.1) and the Cerfa its requête
follows. Pure: the facts come in as arguments, nothing is read from a clock or a database.

>>> choose_court(debtor_kind="business", creditor_kind="professional", city="Lyon").cerfa
'12946'
>>> choose_court(debtor_kind="consumer", creditor_kind="professional", city="Tours").name
'Tribunal judiciaire dont relève le domicile du débiteur (Tours)'
>>> route_refusals(ROUTES["psrpc"], ClaimFacts(debtor_kind="business", total=Decimal("6000")))[0][:40]
'La procédure simplifiée de recouvrement '
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, get_args

# The one table of route codes: the dossier (``ROUTES`` below), the legal stage of a case
# (``procedure.ROUTES``) and the labels (``vocabulary.ROUTES``) all take their codes from here.
RouteCode = Literal["injonction", "psrpc", "refere-provision", "agency", "lawyer"]
ROUTE_NAMES: tuple[RouteCode, ...] = get_args(RouteCode)

# The twelve tribunaux de commerce renamed "tribunaux des activités économiques" from 1 January
# 2025 to 31 December 2028 (loi n° 2023-1059, décret n° 2024-1225; legal-fr.md §5.1). A court's
# seat lies in its own ressort, so a debtor whose seat is in one of these cities goes there.
TAE_CITIES = (
    "Avignon", "Auxerre", "Le Havre", "Le Mans", "Limoges", "Lyon", "Marseille", "Nancy",
    "Nanterre", "Paris", "Saint-Brieuc", "Versailles",
)
TAE_SOURCE = "Loi n° 2023-1059 du 20 novembre 2023, art. 26 ; décret n° 2024-1225"
PSRPC_CEILING = Decimal("5000.00")


@dataclass(frozen=True, slots=True)
class Route:
    """A way to claim in or out of court, with what it requires and its source."""

    name: str
    title: str
    recipient: str
    needs_notice: bool
    notice_source: str
    debtor_kinds: tuple[str, ...]
    kinds_refusal: str
    ceiling: Decimal | None
    source: str


ROUTES: dict[str, Route] = {
    "injonction": Route(
        "injonction",
        "Requête en injonction de payer",
        "Greffe du tribunal compétent",
        True,
        "La mise en demeure et son avis de réception sont des pièces de la requête "
        "(CPC 1407).",
        ("business", "consumer"),
        "Un acheteur public se poursuit en référé-provision devant le tribunal administratif "
        "(CJA R541-1), pas par l'injonction de payer (route refere-provision).",
        None,
        "CPC art. 1405 à 1425",
    ),
    "psrpc": Route(
        "psrpc",
        "Procédure simplifiée de recouvrement des petites créances",
        "Commissaire de justice du ressort de la cour d'appel du domicile du débiteur",
        False,
        "",
        ("business", "consumer"),
        "Un acheteur public ne relève pas de la procédure simplifiée (CPCE L125-1) : "
        "route refere-provision.",
        PSRPC_CEILING,
        "CPCE L125-1 et R125-1 à R125-8",
    ),
    "refere-provision": Route(
        "refere-provision",
        "Référé-provision devant le tribunal administratif",
        "Tribunal administratif dont relève l'acheteur public",
        True,
        "La demande de paiement restée sans effet est la pièce qui montre l'obligation "
        "non sérieusement contestable (CJA R541-1 ; CCP L2192-13).",
        ("public",),
        "Relance ne prépare le référé-provision que contre un acheteur public (CJA R541-1) ; "
        "contre une entreprise ou un particulier, la route est l'injonction de payer.",
        None,
        "CJA R541-1 ; CCP L2192-13",
    ),
    "agency": Route(
        "agency",
        "Transmission à une société de recouvrement amiable",
        "Société de recouvrement (mandataire)",
        False,
        "",
        ("business", "consumer", "public"),
        "",
        None,
        "CPCE L124-1, R124-3 (convention écrite : sommes dues détaillées)",
    ),
    "lawyer": Route(
        "lawyer",
        "Transmission à un avocat ou un commissaire de justice",
        "Avocat ou commissaire de justice",
        False,
        "",
        ("business", "consumer", "public"),
        "",
        None,
        "CPCE R124-3 (sommes dues détaillées, par analogie) ; CPC 1407",
    ),
}


@dataclass(frozen=True, slots=True)
class Court:
    """The court that hears a requête en injonction de payer, and the form it asks for."""

    name: str
    cerfa: str
    reason: str
    source: str


def choose_court(
    *, debtor_kind: str, creditor_kind: str, city: str, is_consumer_credit: bool = False
) -> Court:
    """The court for an injonction de payer (CPC 1406; legal-fr.md §5.1), at the debtor's seat
    or home. Between businesses the tribunal de commerce (a tribunal des activités économiques in
    the twelve cities of the experiment); otherwise the tribunal judiciaire; consumer credit goes
    to its juge des contentieux de la protection."""
    where = city.strip() or "adresse du débiteur à compléter"
    if is_consumer_credit:
        return Court(
            f"Juge des contentieux de la protection du tribunal judiciaire dont relève le "
            f"domicile du débiteur ({where})",
            "16040",
            "Crédit à la consommation : juge des contentieux de la protection.",
            "CPC 1406 ; COJ L213-4-4",
        )
    if debtor_kind == "business" and creditor_kind == "professional":
        tae = next((c for c in TAE_CITIES if c.casefold() == where.casefold()), None)
        name = (
            f"Tribunal des activités économiques de {tae}"
            if tae
            else f"Tribunal de commerce dont relève le siège du débiteur ({where})"
        )
        return Court(
            name,
            "12946",
            "Créance commerciale entre professionnels : président du tribunal de commerce"
            + (" (tribunal des activités économiques à titre expérimental)." if tae else ".")
            + " Si le débiteur n'est ni commerçant ni société commerciale (profession libérale, "
            "association, exploitant agricole), c'est le tribunal judiciaire (Cerfa 12948).",
            "CPC 1406 ; C. com. L721-3" + (f" ; {TAE_SOURCE}" if tae else ""),
        )
    return Court(
        f"Tribunal judiciaire dont relève le domicile du débiteur ({where})",
        "12948",
        "Créance civile (débiteur consommateur ou non commerçant) : tribunal judiciaire.",
        "CPC 1406 ; COJ L211-3",
    )


@dataclass(frozen=True, slots=True)
class ClaimFacts:
    """What the route rules look at, as the services read it from the record."""

    debtor_kind: str
    total: Decimal
    expired: tuple[str, ...] = ()
    disputed: tuple[str, ...] = ()
    under_plan: bool = False
    notice_received: bool = False
    is_consumer_credit: bool = False
    has_invoices: bool = True


def route_refusals(route: Route, facts: ClaimFacts) -> list[str]:
    """Every reason, in French, why no dossier may be built on ``route`` for this claim."""
    reasons: list[str] = []
    if not facts.has_invoices:
        reasons.append("Aucune facture échue et impayée : il n'y a rien à réclamer.")
    if facts.debtor_kind not in route.debtor_kinds:
        reasons.append(route.kinds_refusal)
    if facts.expired:
        reasons.append(
            f"Créance prescrite ({', '.join(facts.expired)}) : le délai pour agir est expiré "
            "(C. com. L110-4 ; C. conso. L218-2 ; C. civ. 2224) ; aucune action ne peut être "
            "engagée."
        )
    if facts.disputed:
        reasons.append(
            f"Facture contestée ({', '.join(facts.disputed)}) : une créance en litige n'est pas "
            "certaine ; réglez le litige d'abord."
        )
    if facts.under_plan:
        reasons.append(
            "Un échéancier de paiement est en cours : le débiteur exécute l'accord conclu."
        )
    if route.needs_notice and not facts.notice_received:
        reasons.append(
            "Aucune mise en demeure reçue par le débiteur (avis de réception enregistré) : "
            + route.notice_source
        )
    if route.name == "psrpc":
        if route.ceiling is not None and facts.total > route.ceiling:
            reasons.append(
                f"La procédure simplifiée de recouvrement des petites créances est limitée à "
                f"{route.ceiling} EUR en principal et intérêts (CPCE L125-1, R125-1) ; la "
                f"créance est de {facts.total} EUR."
            )
        if facts.is_consumer_credit:
            reasons.append(
                "Crédit à la consommation : Relance ne prépare pas de procédure simplifiée pour "
                "cette créance, qui relève du juge des contentieux de la protection "
                "(COJ L213-4-4)."
            )
    return reasons
