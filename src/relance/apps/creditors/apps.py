from django.apps import AppConfig


class Config(AppConfig):
    name = "relance.apps.creditors"
    label = "creditors"
    default_auto_field = "django.db.models.BigAutoField"
