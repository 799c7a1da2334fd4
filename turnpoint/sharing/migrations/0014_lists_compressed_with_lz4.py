"""PostgreSQL: the long lists a read records (the audit row's participant ids and detail, a
disclosure act's backlog of participant ids) compressed with lz4 instead of pglz, where the
server has lz4 (turnpoint/sharing/toast.py). Nothing on SQLite."""

from django.db import migrations

from turnpoint.sharing import toast


class Migration(migrations.Migration):

    dependencies = [
        ('sharing', '0013_audit_append_function'),
    ]

    operations = [
        migrations.RunPython(toast.compress_lists, toast.uncompress_lists),
    ]
