"""The collector's day beyond the desk: cash application, debtor editing and statements,
onboarding, and the e-mails as sent.

Included by ``workspace.urls`` inside the ``workspace`` namespace.
"""

from django.urls import path

from relance.apps.workspace.views import cash

urlpatterns = [
    path("cash/", cash.cash, name="cash"),
    path("cash/matches/<int:match_id>/accept/", cash.cash_accept, name="cash_accept"),
    path("cash/lines/<int:line_id>/choose/", cash.cash_choose, name="cash_choose"),
    path("cash/lines/<int:line_id>/dismiss/", cash.cash_dismiss, name="cash_dismiss"),
]
