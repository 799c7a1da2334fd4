"""SQLite: the programme of each participant's latest referral on the participant's row, kept by
row triggers on the referrals, as PostgreSQL has kept it since 0005
(turnpoint/journeys/latest_programme.py; decision 0011)."""

from django.db import migrations

from turnpoint.journeys import latest_programme


class Migration(migrations.Migration):

    dependencies = [
        ('journeys', '0005_participant_latest_programme'),
    ]

    operations = [
        migrations.RunPython(latest_programme.install_sqlite, latest_programme.uninstall_sqlite),
    ]
