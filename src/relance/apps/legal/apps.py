from django.apps import AppConfig


class Config(AppConfig):
    name = "relance.apps.legal"
    label = "legal"
    default_auto_field = "django.db.models.BigAutoField"
