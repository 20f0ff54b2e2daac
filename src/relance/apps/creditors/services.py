"""Writing creditors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError
from stdnum.fr import siren as fr_siren

from relance.apps.creditors.models import AgencyMandate, Creditor
from relance.domain.errors import InvalidInputError
from relance.domain.problems import N_


def _clean_siren(value: str) -> str:
    compact: str = fr_siren.compact(value)
    if not fr_siren.is_valid(compact):
        raise InvalidInputError(f"SIREN {value!r} is not valid (9 digits with a Luhn check digit)")
    return compact


def _clean_vat(value: str) -> str:
    try:
        # compact() itself refuses a prefix that names no EU country (GB, since Brexit).
        compact: str = eu_vat.compact(value)
        valid = eu_vat.is_valid(compact)
    except ValidationError:
        valid = False
    if not valid:
        raise InvalidInputError(
            f"VAT number {value!r} is not a valid EU VAT number "
            "(two letters of an EU country, then its digits, like FR40303265045)"
        )
    return compact


def _clean_iban(value: str) -> tuple[str, str]:
    try:
        iban = IBAN(value)
    except SchwiftyException as exc:
        raise InvalidInputError(f"IBAN {value!r} is not valid: {exc}") from exc
    bic = ""
    try:
        bic = str(iban.bic) if iban.bic else ""
    except SchwiftyException:  # the bank registry may not know the bank; the IBAN stands
        bic = ""
    return iban.compact, bic


def creditor_create(
    *,
    name: str,
    kind: str = Creditor.Kind.PROFESSIONAL,
    siren: str = "",
    vat_number: str = "",
    iban: str = "",
    bic: str = "",
    email: str = "",
    phone: str = "",
    address: str = "",
    postal_code: str = "",
    city: str = "",
    country: str = "FR",
    payment_terms_days: int = 30,
    signature: str = "",
    pay_link_template: str = "",
    sends_thank_you: bool = False,
) -> Creditor:
    if not name.strip():
        raise InvalidInputError("a creditor needs a name")
    if kind not in Creditor.Kind.values:
        raise InvalidInputError(f"creditor kind must be one of {', '.join(Creditor.Kind.values)}")
    if not 0 <= payment_terms_days <= 365:
        raise InvalidInputError("payment terms must be between 0 and 365 days")
    iban_compact, found_bic = _clean_iban(iban) if iban else ("", "")
    creditor = Creditor(
        name=name.strip(),
        kind=kind,
        siren=_clean_siren(siren) if siren else "",
        vat_number=_clean_vat(vat_number) if vat_number else "",
        iban=iban_compact,
        bic=bic or found_bic,
        email=email,
        phone=phone,
        address=address,
        postal_code=postal_code,
        city=city,
        country=country.upper(),
        payment_terms_days=payment_terms_days,
        signature=signature or name.strip(),
        pay_link_template=pay_link_template,
        sends_thank_you=sends_thank_you,
    )
    creditor.full_clean()
    creditor.save()
    return creditor


def agency_set(
    *,
    creditor: Creditor,
    name: str,
    address: str,
    postal_code: str,
    city: str,
    activity: str,
    commission_rate: Decimal,
    since: date,
    actor: str = "system",
) -> AgencyMandate:
    """Record that an agency collects for ``creditor`` (or change its mandate): from then on
    every letter and e-mail carries the R124-4 mentions, and ``since`` starts the remittances.

    Every field of R124-4 1° is required, and the commission is a percentage under 100.
    """
    from relance.apps.audit.services import event_record

    if not all(value.strip() for value in (name, address, postal_code, city, activity)):
        raise InvalidInputError(
            N_("An agency's letters must give its name, its address and its declared activity "
               "(CPCE R124-4): all are required."),
            params={},
        )
    if not Decimal(0) <= commission_rate < Decimal(100) or commission_rate != commission_rate.quantize(Decimal("0.01")):
        raise InvalidInputError(
            N_("A commission of %(rate)s %% is not a percentage with two decimals under 100."),
            params={"rate": str(commission_rate)},
        )
    values = {"name": name.strip(), "address": address.strip(), "postal_code": postal_code.strip(),
              "city": city.strip(), "activity": activity.strip(), "commission_rate": commission_rate, "since": since}
    with transaction.atomic():
        mandate, _ = AgencyMandate.objects.update_or_create(creditor=creditor, defaults=values)
        mandate.full_clean()
        event_record(kind="creditor.agency_set", subject_type="creditor", subject_id=creditor.pk,
                     creditor_id=creditor.pk, actor=actor, payload=values)
    return mandate


def agency_clear(*, creditor: Creditor, actor: str = "system") -> bool:
    """The creditor collects for itself again: its letters carry no agency's mentions."""
    from relance.apps.audit.services import event_record

    with transaction.atomic():
        deleted, _ = AgencyMandate.objects.filter(creditor=creditor).delete()
        if deleted:
            event_record(kind="creditor.agency_cleared", subject_type="creditor", subject_id=creditor.pk,
                         creditor_id=creditor.pk, actor=actor)
    return bool(deleted)
def creditor_identifiers_set(
    *, creditor: Creditor, siren: str | None = None, vat_number: str | None = None
) -> Creditor:
    """Set the creditor's SIREN and/or VAT number (``""`` clears one, ``None`` keeps it): what
    e-invoices are checked against as their seller."""
    fields = []
    if siren is not None:
        creditor.siren = _clean_siren(siren) if siren else ""
        fields.append("siren")
    if vat_number is not None:
        creditor.vat_number = _clean_vat(vat_number) if vat_number else ""
        fields.append("vat_number")
    if fields:
        creditor.save(update_fields=fields)
    return creditor


def creditor_columns_remember(*, creditor: Creditor, mapping: dict[str, str]) -> Creditor:
    """Remember how the creditor's CSV ledger columns map to fields (normalized header → field,
    ``""`` for a column left out), over what it remembered, for its later imports."""
    from relance.formats.ledger_csv_columns import COLUMNS

    unknown = sorted(field for field in mapping.values() if field and field not in COLUMNS)
    if unknown:
        raise InvalidInputError(
            N_("not a ledger field: %(fields)s"), params={"fields": ", ".join(unknown)}
        )
    merged = {**creditor.ledger_columns, **mapping}
    if merged != creditor.ledger_columns:
        creditor.ledger_columns = merged
        creditor.save(update_fields=["ledger_columns"])
    return creditor
