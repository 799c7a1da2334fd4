"""Referrals indexed by (participant, referral_date, id, programme) instead of (participant,
programme): the reach check still seeks one participant and reads their few referrals from the
index, and a participant's latest referral among some programmes is read backwards from it
without a sort (a cross-agency list finds each row's programme so; 1,000 rows: 2.5 -> 1.1 ms on
PostgreSQL, 2.1 -> 0.9 ms on SQLite, docs/benchmarks.md). Created first, so lookups by
participant always have an index."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('journeys', '0002_referral_reach_index'),
        ('people', '0002_householdchild'),
        ('programmes', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='referral',
            index=models.Index(
                fields=['participant', 'referral_date', 'id', 'programme'],
                name='journeys_referral_latest',
            ),
        ),
        migrations.RemoveIndex(
            model_name='referral',
            name='journeys_referral_reach',
        ),
    ]
