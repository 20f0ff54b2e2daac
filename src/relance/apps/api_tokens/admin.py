from django.contrib import admin
from django.http import HttpRequest

from relance.apps.api_tokens.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    """Tokens are seen and revoked here, never made: `relance user token` shows a new one once."""

    list_display = ("user", "name", "prefix", "created_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("user__username", "name", "prefix")
    readonly_fields = ("user", "name", "digest", "prefix", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
