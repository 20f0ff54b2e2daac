from django.contrib.auth import views as auth_views
from django.urls import include, path

from relance.apps.workspace.views import (
    debtors,
    home,
    imports,
    letters,
    settings_page,
    uncertain,
    worklist,
)

app_name = "workspace"

urlpatterns = [
    path("", home.dashboard, name="home"),
    path("login/", home.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="workspace:login"), name="logout"),
    path("creditor/", home.creditor_switch, name="creditor_switch"),
    path("debtors/", debtors.debtors, name="debtors"),
    path("debtors/<int:debtor_id>/", debtors.debtor_detail, name="debtor"),
    path("debtors/<int:debtor_id>/hold/", debtors.debtor_hold, name="debtor_hold"),
    path("debtors/<int:debtor_id>/notes/", debtors.debtor_notes, name="debtor_notes"),
    path("debtors/<int:debtor_id>/legal/", debtors.debtor_legal, name="debtor_legal"),
    path("debtors/<int:debtor_id>/legal/date/", debtors.debtor_legal_date, name="debtor_legal_date"),
    path("imports/", imports.imports, name="imports"),
    path("imports/<str:token>/", imports.import_review, name="import_review"),
    path("imports/<str:token>/confirm/", imports.import_confirm, name="import_confirm"),
    path("settings/", settings_page.creditor_settings, name="settings"),
    path("settings/logo/", settings_page.creditor_logo, name="settings_logo"),
    path("worklist/", worklist.worklist, name="worklist"),
    path("letters/", letters.letters, name="letters"),
    path("letters/print/", letters.letters_print, name="letters_print"),
    path("letters/tracking/", letters.letters_tracking, name="letters_tracking"),
    path("letters/batch/<str:sha256>.pdf", letters.letters_batch_pdf, name="letters_batch_pdf"),
    path("letters/<int:action_id>/deliver/", letters.letter_deliver, name="letter_deliver"),
    path("worklist/run/", worklist.run_today, name="run_today"),
    path("worklist/actions/bulk/", worklist.actions_bulk, name="actions_bulk"),
    path(
        "worklist/actions/<int:action_id>/preview/", worklist.action_preview, name="action_preview"
    ),
    path(
        "worklist/uncertain/<int:action_id>/<slug:decision>/",
        uncertain.action_uncertain,
        name="action_uncertain",
    ),
    path(
        "worklist/actions/<int:action_id>/<slug:decision>/",
        worklist.action_decide,
        name="action_decide",
    ),
    path("", include("relance.apps.editors.urls")),
    path("", include("relance.apps.workspace.desk_urls")),
    path("", include("relance.apps.workspace.day_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
