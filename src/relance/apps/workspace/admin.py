from django.contrib import admin

from relance.apps.workspace.models import Membership


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ("user", "creditor", "role", "created_at")
    list_filter = ("role", "creditor")
    search_fields = ("user__username", "creditor__name")
