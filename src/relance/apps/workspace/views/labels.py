"""The words the workspace pages show for the codes they list: buckets, filters, kinds, events,
channels, steps, tasks and sorts."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

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


KIND_LABELS = {
    "business": gettext_lazy("Business"),
    "consumer": gettext_lazy("Consumer"),
    "public": gettext_lazy("Public body"),
}


TIMELINE_LABELS = {
    "action.planned": gettext_lazy("Planned"),
    "action.approved": gettext_lazy("Approved"),
    "action.sending": gettext_lazy("Sending"),
    "action.sent": gettext_lazy("Done"),
    "action.failed": gettext_lazy("Failed"),
    "action.cancelled": gettext_lazy("Cancelled"),
    "action.skipped": gettext_lazy("Skipped"),
    "action.not_sent": gettext_lazy("Not sent"),
    "declared": gettext_lazy("Done outside Relance"),
    "contact.declared": gettext_lazy("Contact declared"),
    "call": gettext_lazy("Call"),
    "promise.open": gettext_lazy("Promise"),
    "promise.kept": gettext_lazy("Promise kept"),
    "promise.broken": gettext_lazy("Promise broken"),
    "dispute.open": gettext_lazy("Dispute open"),
    "dispute.closed": gettext_lazy("Dispute closed"),
    "plan.active": gettext_lazy("Payment plan"),
    "plan.completed": gettext_lazy("Payment plan completed"),
    "plan.broken": gettext_lazy("Payment plan broken"),
    "payment": gettext_lazy("Payment"),
    "debtor.held": gettext_lazy("Chasing paused"),
    "debtor.released": gettext_lazy("Chasing resumed"),
    "debtor.notes_changed": gettext_lazy("Notes changed"),
    "ledger.invoice_updated": gettext_lazy("Invoice changed"),
    "ledger.invoice_settled": gettext_lazy("Invoice settled"),
}


CHANNEL_LABELS = {
    "email": gettext_lazy("e-mail"),
    "letter": gettext_lazy("letter"),
    "registered_letter": gettext_lazy("registered letter"),
    "call": gettext_lazy("call"),
    "sms": gettext_lazy("SMS"),
    "task": gettext_lazy("task"),
}


STEP_LABELS = {
    "courtesy": gettext_lazy("Courtesy reminder"),
    "reminder": gettext_lazy("Reminder"),
    "invoice_again": gettext_lazy("Invoice sent again"),
    "call": gettext_lazy("Call"),
    "final_reminder": gettext_lazy("Final reminder"),
    "reminder_letter": gettext_lazy("Reminder letter"),
    "formal_notice": gettext_lazy("Formal notice"),
    "escalation": gettext_lazy("Escalation"),
    "thank_you": gettext_lazy("Thank-you for the payment"),
    "promise_confirmation": gettext_lazy("Promise confirmed"),
    "plan_confirmation": gettext_lazy("Payment plan confirmed"),
    "find_number": gettext_lazy("Find the right phone number"),
    "check_payment": gettext_lazy("Check the bank for the announced payment"),
}


TASK_LABELS = {
    "find_number": gettext_lazy("Find the right phone number"),
    "check_payment": gettext_lazy("Check the bank for the announced payment"),
}


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
