"""Formerly a SQLite view whose trigger wrote a disclosure act with its backlog row; 0016 drops it
wherever this once ran. Acts are written with ordinary Django (sharing/record.py)."""

from django.db import migrations



class Migration(migrations.Migration):

    dependencies = [
        ('sharing', '0014_lists_compressed_with_lz4'),
    ]

    operations = []
