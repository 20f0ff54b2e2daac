"""Settlements from ledger imports made so far were dated the day of the import: undated."""

from django.db import migrations


def mark_undated(apps, schema_editor):  # type: ignore[no-untyped-def]
    Payment = apps.get_model("ledger", "Payment")
    Payment.objects.filter(origin="ledger").update(is_dated=False)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0010_payment_is_dated")]

    operations = [migrations.RunPython(mark_undated, migrations.RunPython.noop)]
