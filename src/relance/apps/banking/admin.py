from django.contrib import admin

from relance.apps.banking.models import (
    BankStatement,
    KnownIban,
    Match,
    MatchAllocation,
    StatementLine,
)


@admin.register(BankStatement)
class BankStatementAdmin(admin.ModelAdmin[BankStatement]):
    list_display = ["account", "statement_id", "currency", "opening_date", "closing_date",
                    "closing_balance", "creditor"]
    list_filter = ["creditor", "currency"]
    search_fields = ["account", "statement_id"]
    raw_id_fields = ["import_batch"]


@admin.register(StatementLine)
class StatementLineAdmin(admin.ModelAdmin[StatementLine]):
    list_display = ["booking_date", "amount", "currency", "counterparty_name", "remittance", "status"]
    list_filter = ["status", "currency", "creditor"]
    search_fields = ["counterparty_name", "counterparty_iban", "remittance", "structured_reference",
                     "end_to_end_id"]
    date_hierarchy = "booking_date"
    raw_id_fields = ["statement"]
    # Lines are what the bank said; only the match services change their status.
    readonly_fields = ["fingerprint", "status"]


class MatchAllocationInline(admin.TabularInline[MatchAllocation, Match]):
    model = MatchAllocation
    extra = 0
    raw_id_fields = ["invoice"]
    readonly_fields = ["invoice", "amount"]


@admin.register(Match)
class MatchAdmin(admin.ModelAdmin[Match]):
    list_display = ["id", "line", "debtor", "state", "confidence", "overpayment", "created_at"]
    list_filter = ["state", "creditor"]
    search_fields = ["debtor__name", "debtor__account", "line__remittance"]
    raw_id_fields = ["line", "debtor", "payment"]
    # Applying and undoing go through services (payments, open amounts, the audit trail).
    readonly_fields = ["state", "payment", "applied_at", "applied_by", "undone_at", "undone_by"]
    inlines = [MatchAllocationInline]


@admin.register(KnownIban)
class KnownIbanAdmin(admin.ModelAdmin[KnownIban]):
    list_display = ["iban", "debtor", "creditor", "created_at"]
    list_filter = ["creditor"]
    search_fields = ["iban", "debtor__name", "debtor__account"]
    raw_id_fields = ["debtor", "learned_from"]
