"""``{% rates_banner %}``: on every workspace page, the rate tables that lack the current
half-year, with the way to record the missing rate (issue #16)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

register = template.Library()


def today() -> Any:
    """The day the banner is shown for (the workspace's local date)."""
    return timezone.localdate()


@register.inclusion_tag("workspace/_rates_banner.html", takes_context=True)
def rates_banner(context: template.Context) -> dict[str, Any]:
    from relance.apps.legal.selectors import rates_missing
    from relance.apps.workspace.forms import RATE_TABLE_LABELS

    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not getattr(request, "grant", None):
        return {"missing": []}
    missing = [
        {**row, "label": RATE_TABLE_LABELS.get(row["table"], row["table"])}
        for row in rates_missing(as_of=today())
    ]
    return {
        "missing": missing,
        "install_admin": bool(getattr(user, "is_superuser", False)),
        "settings_open": request.grant.role == "admin",
    }
