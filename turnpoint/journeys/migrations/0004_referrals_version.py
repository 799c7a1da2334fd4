"""The referrals' version table. Its triggers and the table itself are gone since 0007: the
caseload count is counted every time."""

from django.db import migrations, models



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
    ]
