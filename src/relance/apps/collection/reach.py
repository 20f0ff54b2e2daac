"""How a step reaches the debtor when its channel cannot: the e-mail fallback, and the reasons
the pass writes on the actions it plans.

An e-mail step for a debtor without a usable e-mail address goes by post (a letter with the
same text, in the print batch) when the debtor has a postal address, or becomes a task to find
an address when it has none (``email_fallbacks``); the action's ``reason`` says which, and the
worklist and the timeline show it (in French on French pages).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from relance.apps.collection.bulk import chunks
from relance.apps.collection.models import Step
from relance.apps.ledger.models import Debtor

# The reason on a step not sent because the chase of an overdue debt started after it.
CHASE_STARTED = "chase started"
NO_EMAIL_LETTER = "no usable e-mail address: sent by post instead"
NO_EMAIL_NO_ADDRESS = "no usable e-mail address nor postal address: find one"


def email_usable(address: str) -> bool:
    """Whether an e-mail can be sent to ``address``.

    >>> email_usable("compta@example.fr"), email_usable(""), email_usable("compta@")
    (True, False, False)
    """
    if not address.strip():
        return False
    try:
        validate_email(address.strip())
    except ValidationError:
        return False
    return True


def postal_usable(*, address: str, postal_code: str, city: str) -> bool:
    """Whether a letter can be posted there: a street line, a postcode and a city."""
    return bool(address.strip() and postal_code.strip() and city.strip())


def email_fallbacks(debtor_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """Per debtor with no usable e-mail address, the channel its e-mail step takes instead and
    why: a letter when it has a postal address, else a task (two debtors' worth of queries)."""
    result: dict[int, tuple[str, str]] = {}
    for part in chunks(list(debtor_ids)):
        for pk, email, address, postal_code, city in Debtor.objects.filter(
            pk__in=part
        ).values_list("pk", "email", "address", "postal_code", "city"):
            if email_usable(email):
                continue
            if postal_usable(address=address, postal_code=postal_code, city=city):
                result[pk] = (Step.Channel.LETTER, NO_EMAIL_LETTER)
            else:
                result[pk] = (Step.Channel.TASK, NO_EMAIL_NO_ADDRESS)
    return result
