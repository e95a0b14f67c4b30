"""A trigram index for searching members by any part of their name, on PostgreSQL.

Django's `name__icontains` compiles to `UPPER(name) LIKE UPPER('%…%')`, so the index is on
UPPER(name): an index on `name` itself would not be used (PERFORMANCE.md). SQLite has no
trigram indexes; there the search scans, which is fine for development data.
"""

from django.db import migrations


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS members_member_name_upper_trgm "
            "ON members_member USING gin (UPPER(name) gin_trgm_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS members_member_name_upper_trgm")


class Migration(migrations.Migration):
    dependencies = [("members", "0002_household_head_nik_index")]

    operations = [migrations.RunPython(create_index, drop_index)]
