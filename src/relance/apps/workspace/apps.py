from django.apps import AppConfig


class Config(AppConfig):
    name = "relance.apps.workspace"
    label = "workspace"
    default_auto_field = "django.db.models.BigAutoField"
