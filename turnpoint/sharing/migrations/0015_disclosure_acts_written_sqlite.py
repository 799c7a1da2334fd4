"""SQLite: a view whose INSTEAD OF INSERT trigger writes a disclosure act and its backlog row, so
a read writes its record in one statement, as it does on PostgreSQL (turnpoint/sharing/
acts_sqlite.py). Nothing on PostgreSQL."""

from django.db import migrations

from turnpoint.sharing import acts_sqlite


class Migration(migrations.Migration):

    dependencies = [
        ('sharing', '0014_lists_compressed_with_lz4'),
    ]

    operations = [
        migrations.RunPython(acts_sqlite.install, acts_sqlite.uninstall),
    ]
