"""Formerly the trigger-kept programme of each participant's latest referral (PostgreSQL); reach
is now decided from the referrals every time, and 0007 drops what this once installed."""

from django.db import migrations



class Migration(migrations.Migration):

    dependencies = [
        ('journeys', '0004_referrals_version'),
        ('people', '0002_householdchild'),
    ]

    operations = []
