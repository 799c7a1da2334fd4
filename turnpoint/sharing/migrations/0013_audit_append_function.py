"""PostgreSQL: the function that appends audit entries to the chain in one statement
(turnpoint/sharing/chain_pg.py). Nothing on SQLite."""

from django.db import migrations

from turnpoint.sharing import chain_pg


class Migration(migrations.Migration):

    dependencies = [
        ('sharing', '0012_disclosure_backlog'),
    ]

    operations = [
        migrations.RunPython(chain_pg.install, chain_pg.uninstall),
    ]
