"""The reach check's index: (participant, programme) replaces the index on participant alone,
created first so lookups by participant always have one."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('journeys', '0001_initial'),
        ('people', '0002_householdchild'),
        ('programmes', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='referral',
            index=models.Index(fields=['participant', 'programme'], name='journeys_referral_reach'),
        ),
        migrations.AlterField(
            model_name='referral',
            name='participant',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='referrals', to='people.participant'),
        ),
    ]
