from django.contrib import admin

from relance.apps.audit.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin[Event]):
    list_display = ["created_at", "kind", "subject_type", "subject_id", "actor"]
    list_filter = ["kind", "subject_type"]
    search_fields = ["kind", "subject_type"]

    # The trail is append-only, including for administrators.
    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
