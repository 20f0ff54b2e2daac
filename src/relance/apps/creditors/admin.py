from django.contrib import admin

from relance.apps.creditors.models import Creditor


@admin.register(Creditor)
class CreditorAdmin(admin.ModelAdmin[Creditor]):
    list_display = ["name", "siren", "city", "payment_terms_days"]
    search_fields = ["name", "siren"]
