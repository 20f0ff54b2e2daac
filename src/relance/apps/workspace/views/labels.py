"""The words the workspace pages show for the codes they list: buckets, filters, kinds, events,
channels, steps, tasks and sorts.

Kinds, events, channels, steps and tasks are named in ``domain.vocabulary`` (shared with the
letters, the refusals and the CLI): their labels here say its words in the page's language.
Buckets, filters and sorts belong to the pages alone and go through the catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.functional import lazy
from django.utils.translation import get_language, gettext_lazy

from relance.domain import vocabulary


def _said(term: vocabulary.Term) -> str:
    return term.say(get_language() or "fr")


_lazy_said = lazy(_said, str)


def _labels(table: Mapping[str, vocabulary.Term]) -> dict[str, str]:
    """``table``'s labels, each said in the language active when the page renders it."""
    return {code: _lazy_said(term) for code, term in table.items()}

BUCKET_LABELS = {
    "not_due": gettext_lazy("Not due"),
    "1_30": gettext_lazy("1–30 days"),
    "31_60": gettext_lazy("31–60 days"),
    "61_90": gettext_lazy("61–90 days"),
    "over_90": gettext_lazy("Over 90 days"),
}


FILTER_LABELS = {
    "overdue": gettext_lazy("Overdue"),
    "dispute": gettext_lazy("In dispute"),
    "plan": gettext_lazy("On a plan"),
    "hold": gettext_lazy("On hold"),
}


KIND_LABELS = _labels(vocabulary.KINDS)


CONTACT_ROLE_LABELS = _labels(vocabulary.CONTACT_ROLES)


# A debtor's state in the debtors list and on its page (``debtor_selectors.debtor_states``).
STATE_LABELS = {
    "hold": gettext_lazy("On hold"),
    "do_not_contact": gettext_lazy("Do not contact"),
    "legal": gettext_lazy("Legal"),
    "disputed": gettext_lazy("In dispute"),
    "plan": gettext_lazy("On a payment plan"),
    "paused": gettext_lazy("Waiting (promise or pause)"),
    "chased": gettext_lazy("Being chased"),
    "not_started": gettext_lazy("Overdue, chase not started"),
    "closed_paid": gettext_lazy("Paid, case closed"),
    "written_off": gettext_lazy("Written off"),
    "up_to_date": gettext_lazy("Up to date"),
}


TIMELINE_LABELS = _labels(vocabulary.EVENTS)


CHANNEL_LABELS = _labels(vocabulary.CHANNELS)


STEP_LABELS = _labels(vocabulary.STEPS)


TASK_LABELS = _labels(vocabulary.TASKS)


LEGAL_ROUTE_LABELS = _labels(vocabulary.LEGAL_ROUTES)


LEGAL_DATE_LABELS = _labels(vocabulary.LEGAL_DATES)


LEGAL_REMINDER_LABELS = _labels(vocabulary.LEGAL_REMINDERS)
ORIGIN_LABELS = _labels(vocabulary.ORIGINS)


SORT_LABELS = {
    "overdue": gettext_lazy("Overdue amount"),
    "days": gettext_lazy("Days overdue"),
    "name": gettext_lazy("Name"),
}


# Why the pass planned an action as it did (``Action.reason``, written in English by
# ``relance.apps.collection.reach``), in the page's words.
ACTION_REASONS = {
    "no usable e-mail address: sent by post instead": gettext_lazy(
        "No usable e-mail address: sent by post instead"
    ),
    "no usable e-mail address nor postal address: find one": gettext_lazy(
        "No usable e-mail address nor postal address: find one"
    ),
}
ROUTE_LABELS = _labels(vocabulary.ROUTES)
WRITE_OFF_LABELS = _labels(vocabulary.WRITE_OFF_REASONS)


# An import batch's kind and state in the Imports page's list.
BATCH_KIND_LABELS = {
    "ledger": gettext_lazy("Ledger"),
    "bank": gettext_lazy("Bank statement"),
}
BATCH_STATUS_LABELS = {
    "committed": gettext_lazy("Imported"),
    "refused": gettext_lazy("Refused"),
}
