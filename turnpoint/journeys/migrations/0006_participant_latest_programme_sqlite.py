"""Formerly the trigger-kept programme of each participant's latest referral (SQLite); reach is
now decided from the referrals every time, and 0007 drops what this once installed."""

from django.db import migrations



class Migration(migrations.Migration):

    dependencies = [
        ('journeys', '0005_participant_latest_programme'),
    ]

    operations = []
