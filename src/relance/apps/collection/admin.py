from __future__ import annotations

from django.contrib import admin

from relance.apps.collection.models import (
    Action,
    Case,
    Dispute,
    Instalment,
    PaymentPlan,
    Promise,
    Scenario,
    Step,
)


class StepInline(admin.TabularInline[Step, Scenario]):
    model = Step
    extra = 1
    fields = ["position", "key", "offset_days", "channel", "template", "requires_approval", "min_amount", "debtor_kinds"]


@admin.register(Scenario)
class ScenarioAdmin(admin.ModelAdmin[Scenario]):
    list_display = ["name", "is_default", "debtor_kinds", "updated_at"]
    inlines = [StepInline]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin[Case]):
    list_display = ["id", "debtor", "scenario", "status", "current_step", "paused_until", "opened_on", "closed_on"]
    list_filter = ["status", "scenario"]
    search_fields = ["debtor__name", "debtor__account"]
    raw_id_fields = ["debtor"]


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin[Action]):
    list_display = ["id", "debtor", "step_key", "channel", "planned_date", "state", "attempts", "message_id"]
    list_filter = ["state", "channel"]
    search_fields = ["idempotency_key", "message_id", "debtor__account"]
    # Actions are the proof trail: they change through services (and audit events) only.
    readonly_fields = [f.name for f in Action._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False


class InstalmentInline(admin.TabularInline[Instalment, PaymentPlan]):
    model = Instalment
    extra = 0


@admin.register(PaymentPlan)
class PaymentPlanAdmin(admin.ModelAdmin[PaymentPlan]):
    list_display = ["id", "debtor", "total_amount", "status"]
    inlines = [InstalmentInline]


admin.site.register(Promise)
admin.site.register(Dispute)
