"""The debtor portal's routes, under ``p/`` (``relance.config.urls``): each opens with a token."""

from django.urls import URLPattern, path

from relance.apps.portal import views

app_name = "portal"

urlpatterns: list[URLPattern] = [
    path("<str:token>/", views.home, name="home"),
    path("<str:token>/invoices/<int:invoice_id>.pdf", views.invoice_pdf, name="invoice"),
    path("<str:token>/qr.png", views.qr_png, name="qr"),
    path("<str:token>/dispute/", views.dispute, name="dispute"),
    path("<str:token>/plan/", views.plan, name="plan"),
]
