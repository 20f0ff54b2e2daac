from django.contrib import admin

from relance.apps.workspace.forms import ThrottledAdminLoginForm
from relance.apps.workspace.models import Membership

# /admin/login/ takes the workspace's throttle: without it, 30 wrong passwords, then in.
admin.site.login_form = ThrottledAdminLoginForm


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ("user", "creditor", "role", "created_at")
    list_filter = ("role", "creditor")
    search_fields = ("user__username", "creditor__name")
