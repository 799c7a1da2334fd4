"""PostgreSQL: the programme of each participant's latest referral on the participant's row,
kept by triggers on the referrals (turnpoint/journeys/latest_programme.py; decision 0011)."""

from django.db import migrations

from turnpoint.journeys import latest_programme


class Migration(migrations.Migration):

    dependencies = [
        ('journeys', '0004_referrals_version'),
        ('people', '0002_householdchild'),
    ]

    operations = [
        migrations.RunPython(latest_programme.install, latest_programme.uninstall),
    ]
