from django.contrib import admin

from relance.apps.legal.models import RateOverride


@admin.register(RateOverride)
class RateOverrideAdmin(admin.ModelAdmin[RateOverride]):
    list_display = ["table", "from_date", "rate", "source"]
    list_filter = ["table"]
