"""Audit entries are appended by ordinary Django with keyed hashes (models.append_entries): drop
the PostgreSQL function that appended them in one statement (security.md SEC-42). The new actions
for disclosures recorded and changes to access are in 0019."""

from django.db import migrations


def drop_append_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS turnpoint_audit_append(jsonb, bigint)")


class Migration(migrations.Migration):

    dependencies = [
        ('sharing', '0017_plain_record_writes'),
    ]

    operations = [
        migrations.RunPython(drop_append_function, migrations.RunPython.noop),
    ]
