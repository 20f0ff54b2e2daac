from django.apps import AppConfig


class Config(AppConfig):
    name = "relance.apps.workspace"
    label = "workspace"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The morning pass moves payments and statuses: compute the kept figures again for
        # today, so the first dashboard opens at once. Collection may not import the
        # workspace, so the workspace registers here (imported once the apps are loaded).
        from relance.apps.collection.hooks import after_pass_connect
        from relance.apps.workspace.warming import figures_warm

        after_pass_connect(figures_warm)
