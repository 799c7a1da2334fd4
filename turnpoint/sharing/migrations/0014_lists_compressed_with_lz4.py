"""Formerly set lz4 compression on the columns that hold long lists of ids (PostgreSQL); 0016
puts back the server's default wherever this once ran."""

from django.db import migrations



class Migration(migrations.Migration):

    dependencies = [
        ('sharing', '0013_audit_append_function'),
    ]

    operations = []
