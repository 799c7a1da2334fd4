"""Reads write their record with ordinary Django: drop the SQLite view (and its trigger) that
wrote a disclosure act with its backlog row, and put the server's default compression back on the
columns an earlier 0014 set to lz4 (PostgreSQL 14 and later)."""

from django.db import migrations

LISTS = (
    ("sharing_auditentry", "participant_ids"),
    ("sharing_auditentry", "detail"),
    ("sharing_disclosurebacklog", "participant_ids"),
)


def _undo(apps, schema_editor) -> None:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS sharing_disclosureact_written_insert")
            cursor.execute("DROP VIEW IF EXISTS sharing_disclosureact_written")
        elif connection.vendor == "postgresql" and connection.pg_version >= 140000:
            for table, column in LISTS:
                cursor.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION DEFAULT")


class Migration(migrations.Migration):
    dependencies = [
        ("sharing", "0016_audit_actions_for_revocation"),
    ]

    operations = [
        migrations.RunPython(_undo, migrations.RunPython.noop),
    ]
