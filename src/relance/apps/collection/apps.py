from django.apps import AppConfig


class Config(AppConfig):
    name = "relance.apps.collection"
    label = "collection"
    default_auto_field = "django.db.models.BigAutoField"
