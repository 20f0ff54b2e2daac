"""Reading creditors."""

from __future__ import annotations

from typing import Any

from relance.apps.creditors.models import AgencyMandate, Creditor
from relance.domain.errors import InvalidInputError, NotFoundError


def creditor_get(*, ref: str | int | None) -> Creditor:
    """The creditor named by id or exact name; when ``ref`` is None, the only creditor."""
    if ref is None or ref == "":
        creditors = list(Creditor.objects.all()[:2])
        if len(creditors) == 1:
            return creditors[0]
        if not creditors:
            raise NotFoundError("no creditor yet: create one with `relance creditor add --name ...`")
        raise InvalidInputError("several creditors exist: say which with --creditor ID or NAME")
    text = str(ref).strip()
    found = None
    if text.isdigit():
        found = Creditor.objects.filter(pk=int(text)).first()
    if found is None:
        found = Creditor.objects.filter(name__iexact=text).first()
    if found is None:
        raise NotFoundError(f"no creditor {text!r} (see `relance creditor list`)")
    return found


def creditors_list() -> list[Creditor]:
    return list(Creditor.objects.order_by("id"))


def creditor_as_dict(creditor: Creditor) -> dict[str, Any]:
    return {
        "id": creditor.pk,
        "name": creditor.name,
        "kind": creditor.kind,
        "siren": creditor.siren,
        "vat_number": creditor.vat_number,
        "iban": creditor.iban,
        "bic": creditor.bic,
        "email": creditor.email,
        "address": creditor.address,
        "postal_code": creditor.postal_code,
        "city": creditor.city,
        "country": creditor.country,
        "payment_terms_days": creditor.payment_terms_days,
    }


def agency_of(*, creditor: Creditor) -> AgencyMandate | None:
    """The agency collecting for ``creditor``, if one does (``relance agency set``)."""
    return AgencyMandate.objects.filter(creditor=creditor).first()
