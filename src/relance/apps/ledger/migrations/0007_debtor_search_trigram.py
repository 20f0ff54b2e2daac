"""Trigram indexes for the debtor search (PostgreSQL only, when pg_trgm can be created).

The debtor list searches names anywhere (``icontains``, i.e. ``UPPER(name) LIKE '%…%'``) and
accounts by prefix: without an index that scans all 200,000 debtors on every search, twice
(the page and its count). pg_trgm is a trusted extension (PostgreSQL 13+), so the database's
owner may create it; where it cannot be created the indexes are left out and the search still
works, only slower. SQLite has no such index and scans.
"""

from django.db import DatabaseError, migrations, transaction

INDEXES = {
    "debtor_name_trgm": "upper((name)::text)",
    "debtor_account_trgm": "upper((account)::text)",
}


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cur:
            cur.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError:
        return
    with connection.cursor() as cur:
        for name, expression in INDEXES.items():
            cur.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON ledger_debtor USING gin ({expression} gin_trgm_ops)"
            )


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cur:
        for name in INDEXES:
            cur.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0006_debtor_name_index")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
