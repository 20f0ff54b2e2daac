from django.contrib.auth import views as auth_views
from django.urls import include, path

from relance.apps.workspace import views

app_name = "workspace"

urlpatterns = [
    path("", views.dashboard, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="workspace:login"), name="logout"),
    path("creditor/", views.creditor_switch, name="creditor_switch"),
    path("debtors/", views.debtors, name="debtors"),
    path("debtors/<int:debtor_id>/", views.debtor_detail, name="debtor"),
    path("debtors/<int:debtor_id>/hold/", views.debtor_hold, name="debtor_hold"),
    path("debtors/<int:debtor_id>/notes/", views.debtor_notes, name="debtor_notes"),
    path("imports/", views.imports, name="imports"),
    path("imports/<str:token>/", views.import_review, name="import_review"),
    path("imports/<str:token>/confirm/", views.import_confirm, name="import_confirm"),
    path("settings/", views.creditor_settings, name="settings"),
    path("settings/logo/", views.creditor_logo, name="settings_logo"),
    path("worklist/", views.worklist, name="worklist"),
    path("worklist/run/", views.run_today, name="run_today"),
    path("worklist/actions/<int:action_id>/preview/", views.action_preview, name="action_preview"),
    path(
        "worklist/actions/<int:action_id>/<slug:decision>/",
        views.action_decide,
        name="action_decide",
    ),
    path("", include("relance.apps.editors.urls")),
    path("", include("relance.apps.workspace.desk_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
