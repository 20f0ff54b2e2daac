"""The collector's day beyond the desk: cash application, debtor editing and statements,
onboarding, and the e-mails as sent.

Included by ``workspace.urls`` inside the ``workspace`` namespace.
"""

from django.urls import path

from relance.apps.workspace.views import cash, debtor_edit, onboarding, sent_email

urlpatterns = [
    path("cash/", cash.cash, name="cash"),
    path("cash/matches/<int:match_id>/accept/", cash.cash_accept, name="cash_accept"),
    path("cash/lines/<int:line_id>/choose/", cash.cash_choose, name="cash_choose"),
    path("cash/lines/<int:line_id>/dismiss/", cash.cash_dismiss, name="cash_dismiss"),
    path("debtors/<int:debtor_id>/edit/", debtor_edit.debtor_edit, name="debtor_edit"),
    path(
        "debtors/<int:debtor_id>/contacts/", debtor_edit.debtor_contact_add,
        name="debtor_contact_add",
    ),
    path(
        "debtors/<int:debtor_id>/contacts/<int:contact_id>/remove/",
        debtor_edit.debtor_contact_remove,
        name="debtor_contact_remove",
    ),
    path(
        "debtors/<int:debtor_id>/statement.pdf", debtor_edit.debtor_statement_pdf,
        name="debtor_statement",
    ),
    path("welcome/", onboarding.welcome, name="welcome"),
    path("welcome/scenario/", onboarding.welcome_scenario, name="welcome_scenario"),
    path("welcome/test-mail/", onboarding.welcome_test_mail, name="welcome_test_mail"),
    path("welcome/history/", onboarding.welcome_history, name="welcome_history"),
    path("actions/<int:action_id>/email/", sent_email.email_as_sent, name="email_as_sent"),
    path(
        "actions/<int:action_id>/email/html/", sent_email.email_as_sent_html,
        name="email_as_sent_html",
    ),
    path(
        "actions/<int:action_id>/email/parts/<int:number>/", sent_email.email_part,
        name="email_part",
    ),
]
