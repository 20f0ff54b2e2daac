from django.apps import AppConfig


class Config(AppConfig):
    name = "relance.apps.banking"
    label = "banking"
    default_auto_field = "django.db.models.BigAutoField"
