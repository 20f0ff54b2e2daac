"""The debtor portal: what a debtor sees behind the signed link each message carries."""

from django.apps import AppConfig


class Config(AppConfig):
    name = "relance.apps.portal"
    label = "portal"
    default_auto_field = "django.db.models.BigAutoField"
