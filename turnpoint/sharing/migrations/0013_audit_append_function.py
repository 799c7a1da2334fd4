"""Once created a PostgreSQL function that appended audit entries in one statement. Audit
entries are now appended by ordinary Django (models.append_entries) and migration 0016 drops
the function where this migration had created it; on a new database nothing is created."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('sharing', '0012_disclosure_backlog'),
    ]

    operations = []
