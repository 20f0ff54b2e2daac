from django.apps import AppConfig


class Config(AppConfig):
    name = "relance.apps.editors"
    label = "editors"
    default_auto_field = "django.db.models.BigAutoField"
