"""The referrals' version, raised by the database with every change to the referrals, so a
cached caseload count knows when it is stale (turnpoint/journeys/versions.py)."""

from django.db import migrations, models

from turnpoint.journeys import versions


class Migration(migrations.Migration):

    dependencies = [
        ('journeys', '0003_referral_latest_index'),
    ]

    operations = [
        migrations.CreateModel(
            name='ReferralsVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.BigIntegerField(default=0)),
            ],
        ),
        # The version's one row, and the triggers that raise it (turnpoint/journeys/versions.py).
        migrations.RunPython(versions.install, versions.uninstall),
    ]
