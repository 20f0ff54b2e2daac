from django.apps import AppConfig


class Config(AppConfig):
    name = "relance.apps.ledger"
    label = "ledger"
    default_auto_field = "django.db.models.BigAutoField"
