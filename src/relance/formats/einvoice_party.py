"""The buyer and seller of an e-invoice (EN 16931 BG-4, BG-7) as the invoice states them, and the
ledger's debtor made from the buyer: its account, its SIREN, and whether it is a business.

``Party`` is filled by the syntax readers of ``relance.formats.einvoice`` (CII, UBL);
``party_debtor`` and ``siren_of`` know nothing of the syntax.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from relance.domain.ledger import DebtorKind, DebtorRecord

SIRENE_SCHEME = "0002"  # ISO 6523 ICD of the French SIRENE register (SIREN or SIRET)
ACCOUNT_MAX = 40  # the debtor account column's width
_NOT_DIGITS = re.compile(r"\D")
_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")
# Company legal forms that name no person, as a word of a buyer's name ("Kunden AG Mitte",
# "Boulangerie Martin S.A.R.L."), dots left out. Only unambiguous ones: calling a consumer a
# business would claim from them what only a business owes (the 40 EUR indemnity), so a name
# counts only when no person could bear it.
_LEGAL_FORM = re.compile(
    r"\b(?:AG|GMBH|KG|OHG|SARL|SAS|SASU|EURL|SA|SNC|SCI|SCOP|SELARL|BV|NV|LTD|LIMITED|LLC|INC|"
    r"PLC|SPA|SRL|APS|A/S)\b"
)


def siren_of(text: str) -> str:
    """The SIREN in a SIREN, SIRET, or French VAT number; empty when there is none.

    >>> siren_of("FR 11 999999998"), siren_of("552 100 554"), siren_of("DE123456789")
    ('999999998', '552100554', '')
    """
    digits = _NOT_DIGITS.sub("", text)
    compact = text.replace(" ", "").upper()
    if compact.startswith("FR") and len(compact) == 13:
        digits = compact[4:]
    if len(digits) == 9 and stdnum_siren.is_valid(digits):
        return digits
    if len(digits) == 14 and stdnum_siret.is_valid(digits):
        return digits[:9]
    return ""


def _account_of_name(name: str) -> str:
    """A debtor account made from a name: ASCII capitals and digits, hyphenated.

    >>> _account_of_name("Ma jolie boutique")
    'MA-JOLIE-BOUTIQUE'
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return _NOT_ALNUM.sub("-", ascii_name.upper()).strip("-")[:ACCOUNT_MAX]


@dataclass(frozen=True, slots=True)
class Party:
    name: str = ""
    trading_name: str = ""
    identifier: str = ""  # BT-46 / BT-29
    registered: bool = False  # a global identifier (a GLN...): a company
    legal_id: str = ""  # BT-47 / BT-30
    legal_scheme: str = ""
    vat: str = ""
    tax_id: str = ""  # a tax registration other than VAT (CII schemeID FC, a Steuernummer)
    endpoint: str = ""
    endpoint_scheme: str = ""
    contact_email: str = ""
    phone: str = ""
    lines: tuple[str, ...] = ()
    postal_code: str = ""
    city: str = ""
    country: str = ""

    @property
    def siren(self) -> str:
        if self.legal_scheme == SIRENE_SCHEME:
            # The scheme says it is a SIREN (or SIRET): taken even when its check digit fails,
            # as in test data; a VAT number's SIREN is taken only when valid.
            digits = _NOT_DIGITS.sub("", self.legal_id)
            if len(digits) in (9, 14):
                return digits[:9]
        if self.vat.replace(" ", "").upper().startswith("FR"):
            return siren_of(self.vat)
        return ""


def party_debtor(buyer: Party) -> DebtorRecord:
    name = buyer.name or buyer.trading_name
    siren = buyer.siren
    vat = buyer.vat.replace(" ", "").upper()
    account = (buyer.identifier or siren or vat or _account_of_name(name))[:ACCOUNT_MAX]
    is_email = buyer.endpoint_scheme.upper() == "EM"
    # BT-46 alone says nothing (sellers number their consumers' accounts too); a global one
    # does, and so does a network endpoint (BT-49) other than an e-mail address
    registered = buyer.registered or bool(buyer.endpoint and not is_email)
    # A VAT number or a legal or tax registration, French or foreign, is a business's; so is a
    # company legal form in the name when the invoice gives no identifier at all.
    identified = siren or vat or buyer.legal_id or buyer.tax_id or registered
    company_name = _LEGAL_FORM.search(name.upper().replace(".", ""))
    kind: DebtorKind = "business" if identified or company_name else "consumer"
    email = buyer.endpoint if is_email else ""
    return DebtorRecord(
        account=account,
        name=name[:200],
        kind=kind,
        siren=siren,
        email=(email or buyer.contact_email)[:254],
        phone=buyer.phone[:30],
        address=", ".join(line for line in buyer.lines if line)[:200],
        postal_code=buyer.postal_code[:10],
        city=buyer.city[:100],
        country=(buyer.country or "FR").upper()[:2],
    )
