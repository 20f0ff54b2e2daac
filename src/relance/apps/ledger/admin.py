from django.contrib import admin

from relance.apps.ledger.models import (
    Allocation,
    Contact,
    Debtor,
    ImportBatch,
    Invoice,
    Payment,
)

admin.site.site_header = "Relance"
admin.site.site_title = "Relance"
admin.site.index_title = "Recouvrement"


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The ledger's amounts are facts the audit trail records as they change (imports, bank
    matches, the pass): an edit here would change them with no event, so the admin shows
    them and changes nothing. Corrections go through an import or a command."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class ContactInline(admin.TabularInline[Contact, Debtor]):
    model = Contact
    extra = 0


@admin.register(Debtor)
class DebtorAdmin(admin.ModelAdmin[Debtor]):
    list_display = ["account", "name", "kind", "siren", "city", "creditor"]
    list_filter = ["kind", "creditor", "is_do_not_contact", "is_legal_hold"]
    search_fields = ["account", "name", "siren"]
    inlines = [ContactInline]


class AllocationInline(admin.TabularInline[Allocation, Invoice]):
    model = Allocation
    extra = 0
    readonly_fields = ["payment", "amount", "created_at"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["number", "debtor", "issue_date", "due_date", "total_amount", "open_amount", "currency", "status"]
    list_filter = ["status", "currency", "creditor"]
    search_fields = ["number", "debtor__name", "debtor__account"]
    date_hierarchy = "due_date"
    raw_id_fields = ["debtor", "import_batch"]
    inlines = [AllocationInline]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["value_date", "amount", "currency", "origin", "reference", "debtor"]
    list_filter = ["origin", "currency"]
    raw_id_fields = ["debtor", "import_batch"]


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    list_display = ["payment", "invoice", "amount", "created_at"]
    raw_id_fields = ["payment", "invoice"]


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "format", "filename", "status", "created_count", "updated_count", "settled_count"]
    list_filter = ["kind", "status"]
