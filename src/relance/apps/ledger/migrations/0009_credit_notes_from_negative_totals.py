"""Documents imported before credit notes had a kind of their own: a negative total was the only
sign of a credit note, so each one takes that kind now."""

from django.db import migrations


def mark_credit_notes(apps, schema_editor):  # type: ignore[no-untyped-def]
    Invoice = apps.get_model("ledger", "Invoice")
    Invoice.objects.filter(total_amount__lt=0).update(kind="credit_note")


def unmark_credit_notes(apps, schema_editor):  # type: ignore[no-untyped-def]
    Invoice = apps.get_model("ledger", "Invoice")
    Invoice.objects.filter(kind="credit_note").update(kind="invoice")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0008_credit_notes_kind_and_reference")]

    operations = [migrations.RunPython(mark_credit_notes, unmark_credit_notes)]
