"""A person edits a debtor: identity, kind, language, country, postal address, reach, and the
contacts with their roles. Each change is checked (SIREN with python-stdnum, e-mail with
Django's validator), written in one transaction, and recorded as an audit event that keeps
what the fields were before and after.

The ledger import never erases what is typed here: a blank field in an export leaves the
debtor's value as it is (``debtor_writing``).
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from stdnum.fr import siren as fr_siren

from relance.apps.audit.services import event_record
from relance.apps.ledger.models import Contact, Debtor
from relance.domain.errors import InvalidInputError, NotFoundError
from relance.domain.problems import N_
from relance.domain.vocabulary import CONTACT_ROLES

DEBTOR_FIELDS = (
    "name", "kind", "siren", "email", "phone", "address", "postal_code", "city", "country",
    "language", "is_do_not_contact",
)
LANGUAGES = ("fr", "en")  # the languages Relance writes its messages and letters in
_PHONE = re.compile(r"^\+?[0-9 ().-]{6,30}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_FR_POSTCODE = re.compile(r"^[0-9]{5}$")


def _email(value: str) -> str:
    value = value.strip()
    if value:
        try:
            validate_email(value)
        except ValidationError as exc:
            raise InvalidInputError(
                N_("%(value)r is not an e-mail address"), params={"value": value}
            ) from exc
    return value


def _phone(value: str) -> str:
    value = " ".join(value.split())
    if value and not _PHONE.match(value):
        raise InvalidInputError(N_("%(value)r is not a phone number"), params={"value": value})
    return value


def _clean(debtor: Debtor, values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(DEBTOR_FIELDS)
    if unknown:
        raise InvalidInputError(f"unknown debtor fields: {', '.join(sorted(unknown))}")
    clean = {k: v.strip() if isinstance(v, str) else v for k, v in values.items()}
    if "name" in clean and not clean["name"]:
        raise InvalidInputError("a debtor needs a name")
    if "kind" in clean and clean["kind"] not in Debtor.Kind.values:
        raise InvalidInputError(N_("unknown debtor kind %(value)r"), params={"value": clean["kind"]})
    if clean.get("siren"):
        compact = fr_siren.compact(clean["siren"])
        if not fr_siren.is_valid(compact):
            raise InvalidInputError(
                N_("SIREN %(value)r is not valid"), params={"value": clean["siren"]}
            )
        clean["siren"] = compact
    if "email" in clean:
        clean["email"] = _email(clean["email"])
    if "phone" in clean:
        clean["phone"] = _phone(clean["phone"])
    if "country" in clean:
        clean["country"] = str(clean["country"]).upper()
        if not _COUNTRY.match(clean["country"]):
            raise InvalidInputError(
                N_("the country is a two-letter ISO code (FR, BE…), not %(value)r"),
                params={"value": clean["country"]},
            )
    if "language" in clean and clean["language"] not in LANGUAGES:
        raise InvalidInputError(
            N_("Relance writes in French or English only, not %(value)r"),
            params={"value": clean["language"]},
        )
    country = clean.get("country", debtor.country)
    postcode = clean.get("postal_code", debtor.postal_code)
    if country == "FR" and postcode and not _FR_POSTCODE.match(postcode):
        raise InvalidInputError(
            N_("a French postcode has five digits, not %(value)r"), params={"value": postcode}
        )
    return clean


def debtor_update(*, debtor: Debtor, actor: str, **values: Any) -> Debtor:
    """Change the debtor's fields named in ``values``; record what changed.

    Only the fields that change are checked: a phone number an export wrote its own way does
    not keep a person from adding the e-mail address."""
    unknown = set(values) - set(DEBTOR_FIELDS)
    if unknown:
        raise InvalidInputError(f"unknown debtor fields: {', '.join(sorted(unknown))}")
    values = {
        k: v for k, v in values.items()
        if (v.strip() if isinstance(v, str) else v) != getattr(debtor, k)
    }
    clean = _clean(debtor, values)
    changed = {k: v for k, v in clean.items() if getattr(debtor, k) != v}
    if not changed:
        return debtor
    with transaction.atomic():
        before = {k: getattr(debtor, k) for k in changed}
        for key, value in changed.items():
            setattr(debtor, key, value)
        debtor.save(update_fields=[*changed, "updated_at"])
        event_record(
            kind="debtor.changed", subject_type="debtor", subject_id=debtor.pk,
            creditor_id=debtor.creditor_id, actor=actor,
            payload={"before": before, "after": changed},
        )
    return debtor


def contact_add(
    *, debtor: Debtor, actor: str, name: str = "", role: str = "", email: str = "",
    phone: str = "", is_primary: bool = False,
) -> Contact:
    """A person to write to or call at the debtor, with the role they hold there."""
    name, role = name.strip(), role.strip()
    email, phone = _email(email), _phone(phone)
    if role and role not in CONTACT_ROLES:
        raise InvalidInputError(N_("unknown contact role %(value)r"), params={"value": role})
    if not (name or email or phone):
        raise InvalidInputError("a contact needs a name, an e-mail or a phone number")
    with transaction.atomic():
        if is_primary:
            debtor.contacts.filter(is_primary=True).update(is_primary=False)
        contact = Contact.objects.create(
            debtor=debtor, name=name, role=role, email=email, phone=phone, is_primary=is_primary
        )
        event_record(
            kind="debtor.contact_added", subject_type="debtor", subject_id=debtor.pk,
            creditor_id=debtor.creditor_id, actor=actor,
            payload={"contact": contact.pk, "name": name, "role": role, "email": email,
                     "phone": phone, "is_primary": is_primary},
        )
    return contact


def contact_remove(*, debtor: Debtor, contact_id: int, actor: str) -> None:
    contact = debtor.contacts.filter(pk=contact_id).first()
    if contact is None:
        raise NotFoundError(f"no contact {contact_id} for this debtor")
    with transaction.atomic():
        payload = {"contact": contact.pk, "name": contact.name, "role": contact.role,
                   "email": contact.email, "phone": contact.phone}
        contact.delete()
        event_record(
            kind="debtor.contact_removed", subject_type="debtor", subject_id=debtor.pk,
            creditor_id=debtor.creditor_id, actor=actor, payload=payload,
        )
