"""The recipient's address block, as La Poste reads it through a DL window envelope.

NF Z10-011 (La Poste's addressing standard) allows at most **6 lines of 38 characters**
(spaces included): 1 name, 2 person or service, 3 building, 4 number and street, 5 locality
or BP, 6 ``POSTCODE CITY``; abroad the country is the last line, in capitals (and the block
still has at most 6 lines). The last lines carry no punctuation; the postcode-and-city line is
in capitals without accents, which is how La Poste's sorting machines read it best.

When a line is too long, the standard abbreviations La Poste publishes for street types and
common words (``AVENUE`` → ``AV``, ``BOULEVARD`` → ``BD``, ``SAINT`` → ``ST``…) are applied to
that line only; if it still does not fit, ``AddressError`` says which line and by how much.
Nothing is ever truncated silently: a cut-off address is a letter that does not arrive, and a
mise en demeure whose receipt cannot be proved.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from relance.domain.errors import InvalidInputError
from relance.domain.problems import N_

MAX_LINES = 6
MAX_CHARS = 38

# La Poste's standard abbreviations (liste des abréviations des types de voie, and the
# usual words of the NF Z10-011 annex), applied only to a line that is too long.
ABBREVIATIONS: dict[str, str] = {
    "ALLEE": "ALL",
    "AVENUE": "AV",
    "BOULEVARD": "BD",
    "CARREFOUR": "CAR",
    "CHEMIN": "CHE",
    "CHAUSSEE": "CHS",
    "CITE": "CITE",
    "CORNICHE": "COR",
    "COURS": "CRS",
    "DOMAINE": "DOM",
    "DESCENTE": "DSC",
    "FAUBOURG": "FG",
    "GRANDE RUE": "GR",
    "HAMEAU": "HAM",
    "IMPASSE": "IMP",
    "LIEU DIT": "LD",
    "LOTISSEMENT": "LOT",
    "MONTEE": "MTE",
    "PASSAGE": "PAS",
    "PLACE": "PL",
    "PROMENADE": "PRO",
    "QUARTIER": "QUA",
    "RESIDENCE": "RES",
    "ROND POINT": "RPT",
    "ROUTE": "RTE",
    "SENTIER": "SEN",
    "SQUARE": "SQ",
    "TRAVERSE": "TRA",
    "VILLA": "VLA",
    "VILLAGE": "VLGE",
    "APPARTEMENT": "APP",
    "BATIMENT": "BAT",
    "ESCALIER": "ESC",
    "ETAGE": "ETG",
    "IMMEUBLE": "IMM",
    "ZONE INDUSTRIELLE": "ZI",
    "ZONE ARTISANALE": "ZA",
    "ZONE D ACTIVITES": "ZAC",
    "SAINT": "ST",
    "SAINTE": "STE",
    "DOCTEUR": "DR",
    "GENERAL": "GAL",
    "MARECHAL": "MAL",
    "PRESIDENT": "PDT",
    "PROFESSEUR": "PR",
}

COUNTRIES = {"FR": "", "FRANCE": "", "BE": "BELGIQUE", "CH": "SUISSE", "LU": "LUXEMBOURG",
             "DE": "ALLEMAGNE", "ES": "ESPAGNE", "IT": "ITALIE", "GB": "ROYAUME-UNI",
             "UK": "ROYAUME-UNI", "NL": "PAYS-BAS", "PT": "PORTUGAL", "MC": "MONACO",
             "IE": "IRLANDE", "AT": "AUTRICHE", "US": "ETATS-UNIS"}


class AddressError(InvalidInputError):
    """An address that cannot be printed within La Poste's limits."""

    code = "address"


def plain_upper(text: str) -> str:
    """Capitals without accents or punctuation, as line 6 wants them.

    >>> plain_upper("Saint-Étienne, cedex 2")
    'SAINT ETIENNE CEDEX 2'
    """
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    bare = bare.replace("Œ", "OE").replace("œ", "oe").replace("Æ", "AE").replace("æ", "ae")
    return " ".join(re.sub(r"[^\w ]", " ", bare.upper()).split())


def abbreviate(line: str) -> str:
    """The line with La Poste's standard abbreviations, in capitals without accents.

    >>> abbreviate("12 avenue du Général de Gaulle")
    '12 AV DU GAL DE GAULLE'
    """
    text = plain_upper(line)
    for word in sorted(ABBREVIATIONS, key=len, reverse=True):
        text = re.sub(rf"\b{word}\b", ABBREVIATIONS[word], text)
    return text


def address_block(
    name: str,
    lines: Iterable[str] = (),
    *,
    postcode: str,
    city: str,
    country: str = "FR",
    attention: str = "",
) -> list[str]:
    """The lines to print in the envelope window, or ``AddressError``.

    >>> address_block("Boulangerie Martin SARL", ["12 rue de la République"],
    ...               postcode="69002", city="Lyon")
    ['Boulangerie Martin SARL', '12 rue de la République', '69002 LYON']
    >>> address_block("Dupont GmbH", ["Hauptstraße 5"], postcode="10115", city="Berlin",
    ...               country="DE")
    ['Dupont GmbH', 'Hauptstraße 5', '10115 BERLIN', 'ALLEMAGNE']
    """
    block = [" ".join(name.split())]
    if attention.strip():
        block.append(" ".join(attention.split()))
    block.extend(" ".join(line.split()) for line in lines if line.strip())
    if not postcode.strip() or not city.strip():
        raise AddressError(
            N_("The address of %(name)r has no postcode or city."), params={"name": name}
        )
    block.append(plain_upper(f"{postcode.strip()} {city.strip()}"))
    country_line = COUNTRIES.get(country.strip().upper(), plain_upper(country))
    if country_line:
        block.append(country_line)
    if len(block) > MAX_LINES:
        raise AddressError(
            N_(
                "The address of %(name)r takes %(lines)d lines; La Poste allows %(max)d "
                "(NF Z10-011). Merge the complementary lines."
            ),
            params={"name": name, "lines": len(block), "max": MAX_LINES},
        )
    fitted = []
    for number, line in enumerate(block, start=1):
        if len(line) > MAX_CHARS:
            short = abbreviate(line)
            if len(short) > MAX_CHARS:
                raise AddressError(
                    N_(
                        "Line %(number)d of the address of %(name)r has %(length)d characters "
                        "(%(short)d abbreviated); La Poste allows %(max)d: %(line)r."
                    ),
                    params={
                        "number": number, "name": name, "length": len(line),
                        "short": len(short), "max": MAX_CHARS, "line": line,
                    },
                )
            line = short
        fitted.append(line)
    return fitted
