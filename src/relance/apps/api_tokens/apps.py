from django.apps import AppConfig


class Config(AppConfig):
    name = "relance.apps.api_tokens"
    label = "api_tokens"
    default_auto_field = "django.db.models.BigAutoField"
