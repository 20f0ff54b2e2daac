"""Routes of the scenario and template editors, inside the workspace's namespace."""

from django.urls import URLPattern, path

from relance.apps.editors import views

urlpatterns: list[URLPattern] = [
    path("scenarios/", views.scenarios, name="scenarios"),
    path("scenarios/new/", views.scenario, name="scenario_new"),
    path("scenarios/<int:scenario_id>/", views.scenario, name="scenario"),
    path("scenarios/<int:scenario_id>/assign/", views.scenario_assign, name="scenario_assign"),
    path("debtors/<int:debtor_id>/scenario/", views.debtor_scenario, name="debtor_scenario"),
    path("templates/", views.templates, name="templates"),
    path("templates/<str:lang>/<str:name>/", views.template, name="template"),
    path("actions/<int:action_id>/text/", views.action_text, name="action_text"),
]
