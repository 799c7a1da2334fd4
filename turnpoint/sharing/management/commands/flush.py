"""`turnpoint flush`: Django's flush, which empties every table, the audit log included.

On SQLite the audit tables' DELETE trigger refuses row deletion; flush is the one deliberate
wipe of the whole database (the demo's `--reset`, the test suite between transactional tests),
so it runs with `append_only.clearing()` on. On PostgreSQL flush uses TRUNCATE, which the row
triggers do not see and which only the owner role holds (docs/sharing.md)."""

from django.core.management.commands.flush import Command as DjangoFlush

from turnpoint.sharing.append_only import clearing


class Command(DjangoFlush):
    def handle(self, **options):
        with clearing():
            return super().handle(**options)
