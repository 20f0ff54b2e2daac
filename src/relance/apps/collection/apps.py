from django.apps import AppConfig


class Config(AppConfig):
    name = "relance.apps.collection"
    label = "collection"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The ledger cannot import collection: it calls this hook when a file says what was
        # done before Relance (last_contact_step / last_contact_date).
        from relance.apps.collection.history import contacts_declare_from_ledger
        from relance.apps.ledger.hooks import contacts_read_connect

        contacts_read_connect(contacts_declare_from_ledger)
