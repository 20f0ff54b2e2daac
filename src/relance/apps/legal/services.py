"""Writing legal data: rates published after the release (``relance rates add``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction

from relance.apps.audit.services import event_record
from relance.apps.legal.models import RateOverride
from relance.domain.law import InvalidRateError, load_tables, rate_override
from relance.domain.law.computation import percent

# RateOverride.rate is DecimalField(max_digits=7, decimal_places=4): refuse what the column
# would silently round or reject, rather than store a different rate than the one typed.
RATE_PLACES = 4
RATE_LIMIT = Decimal("1000")


def rate_add(
    *, table: str, from_date: date, rate: Decimal, source: str, actor: str = "system"
) -> RateOverride:
    """Record a newly published rate; from then on it overrides the shipped table.

    Recording the same (table, from) again with another rate or source replaces the row and
    says so in the audit trail (``previous``); recording it unchanged writes nothing.
    """
    checked = rate_override(table=table, from_date=from_date, rate=rate, source=source)
    exponent = checked.rate.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -RATE_PLACES:
        raise InvalidRateError(
            f"A rate has at most {RATE_PLACES} decimal places, not {checked.rate}."
        )
    if checked.rate >= RATE_LIMIT:
        raise InvalidRateError(f"A rate of {checked.rate} % is not plausible for {table}.")
    with transaction.atomic():
        row = (
            RateOverride.objects.select_for_update()
            .filter(table=checked.table, from_date=checked.from_date)
            .first()
        )
        previous: dict[str, Any] | None = None
        if row is None:
            row = RateOverride.objects.create(
                table=checked.table,
                from_date=checked.from_date,
                rate=checked.rate,
                source=checked.source,
            )
        elif row.rate == checked.rate and row.source == checked.source:
            return row
        else:
            previous = {"rate": percent(row.rate), "source": row.source}
            row.rate = checked.rate
            row.source = checked.source
            row.save(update_fields=["rate", "source"])
        event_record(
            kind="legal.rate_added",
            subject_type="rate",
            subject_id=row.pk,
            creditor_id=None,
            actor=actor,
            payload={
                "table": checked.table,
                "from": checked.from_date.isoformat(),
                "rate": str(checked.rate),
                "source": checked.source,
                "previous": previous,
                "shipped_rate": _shipped_rate(checked.table, checked.from_date),
            },
        )
    return row


def _shipped_rate(table: str, from_date: date) -> str | None:
    """The shipped rate dated ``from_date``, when the new row replaces one (kept for the audit)."""
    for row in load_tables()[table].rows:
        if row.from_date == from_date:
            return percent(row.rate)
    return None
