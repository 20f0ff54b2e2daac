"""Editors: the scenarios and the message templates, viewed and edited in the workspace."""

from django.apps import AppConfig


class Config(AppConfig):
    name = "relance.apps.editors"
    label = "editors"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The documents layer asks for a creditor's edited templates through this provider
        # (it may not import the apps itself).
        from relance.apps.editors.selectors import override_pairs
        from relance.documents.templates import register_source_provider

        register_source_provider(override_pairs)
