"""Audit entries are appended by ordinary Django with keyed hashes (models.append_entries): drop
the PostgreSQL function that appended them in one statement; new actions for disclosures
recorded and changes to access (security.md SEC-41, SEC-42)."""

from django.db import migrations, models


def drop_append_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS turnpoint_audit_append(jsonb, bigint)")


class Migration(migrations.Migration):

    dependencies = [
        ('sharing', '0015_disclosure_acts_written_sqlite'),
    ]

    operations = [
        migrations.RunPython(drop_append_function, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='auditentry',
            name='action',
            field=models.CharField(choices=[('read', 'Read'), ('create', 'Create'), ('update', 'Update'), ('transition', 'Transition'), ('denied', 'Denied'), ('sign_in', 'Signed in'), ('sign_in_failed', 'Sign-in failed'), ('sign_out', 'Signed out'), ('unlocked', 'Account unlocked'), ('token_created', 'API token created'), ('import', 'Import'), ('import_rejected', 'Import rejected'), ('export', 'Export'), ('break_glass', 'Break-glass'), ('mfa_enrolled', 'Authenticator app set up'), ('mfa_verified', 'Security code accepted'), ('mfa_failed', 'Security code refused'), ('mfa_recovery_used', 'Recovery code used'), ('mfa_reset', 'Authenticator app reset'), ('disclosed', 'Disclosure recorded'), ('access_changed', 'Access changed'), ('token_revoked', 'API token revoked')], max_length=20),
        ),
    ]
