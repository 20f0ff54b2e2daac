"""The collector's desk: calls and their outcomes, tasks, letter previews, the case on the debtor page.

Included by ``workspace.urls`` inside the ``workspace`` namespace.
"""

from django.urls import path

from relance.apps.workspace.views import calls, debtors, legal, worklist

urlpatterns = [
    path("worklist/calls/<int:action_id>/", calls.call_detail, name="call"),
    path("worklist/calls/<int:action_id>/script/", calls.call_script, name="call_script"),
    path(
        "worklist/calls/<int:action_id>/outcome/<slug:outcome>/",
        calls.call_outcome,
        name="call_outcome",
    ),
    path("worklist/tasks/<int:action_id>/done/", calls.task_done, name="task_done"),
    path(
        "worklist/proposals/<int:action_id>/<slug:decision>/",
        calls.proposal_decide,
        name="proposal_decide",
    ),
    path(
        "worklist/actions/<int:action_id>/letter.pdf", worklist.action_letter, name="action_letter"
    ),
    path("actions/<int:action_id>/document/", worklist.action_document, name="action_document"),
    path("debtors/<int:debtor_id>/promise/", debtors.debtor_promise, name="debtor_promise"),
    path(
        "debtors/<int:debtor_id>/dispute/<slug:decision>/",
        debtors.debtor_dispute,
        name="debtor_dispute",
    ),
    path("debtors/<int:debtor_id>/plan/", debtors.debtor_plan, name="debtor_plan"),
    path("debtors/<int:debtor_id>/dossier/", legal.debtor_dossier, name="debtor_dossier"),
    path("debtors/<int:debtor_id>/write-off/", legal.debtor_write_off, name="debtor_write_off"),
    path("debtors/status-import/", legal.status_import, name="status_import"),
]
