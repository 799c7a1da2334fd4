"""Reach is decided from the referrals every time: drop the referrals' version (its row, table
and triggers) and the programme of each participant's latest referral that triggers kept on the
participant's row, wherever an earlier version of 0004-0006 installed them."""

from django.db import migrations

REFERRALS = "journeys_referral"
PARTICIPANTS = "people_participant"


def _drop(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    statements = []
    for n in range(3):
        if vendor == "postgresql":
            statements.append(f"DROP TRIGGER IF EXISTS {REFERRALS}_changed_{n} ON {REFERRALS}")
        else:
            statements.append(f"DROP TRIGGER IF EXISTS {REFERRALS}_changed_{n}")
    for suffix in ("insert", "delete", "update"):
        if vendor == "postgresql":
            statements.append(
                f"DROP TRIGGER IF EXISTS {REFERRALS}_latest_programme_{suffix} ON {REFERRALS}"
            )
            statements.append(f"DROP FUNCTION IF EXISTS turnpoint_latest_programme_{suffix}()")
        else:
            statements.append(f"DROP TRIGGER IF EXISTS {REFERRALS}_latest_programme_{suffix}")
    if vendor == "postgresql":
        statements.append("DROP FUNCTION IF EXISTS turnpoint_referrals_changed()")
        statements.append(f"ALTER TABLE {PARTICIPANTS} DROP COLUMN IF EXISTS latest_programme_id")
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
        if vendor == "sqlite":
            cursor.execute(f"PRAGMA table_info({PARTICIPANTS})")
            if "latest_programme_id" in {row[1] for row in cursor.fetchall()}:
                cursor.execute(f"ALTER TABLE {PARTICIPANTS} DROP COLUMN latest_programme_id")


class Migration(migrations.Migration):
    dependencies = [
        ("journeys", "0006_participant_latest_programme_sqlite"),
    ]

    operations = [
        migrations.RunPython(_drop, migrations.RunPython.noop),
        migrations.DeleteModel(name="ReferralsVersion"),
    ]
