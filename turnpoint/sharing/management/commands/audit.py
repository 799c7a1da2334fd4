"""`turnpoint audit verify`: check the audit log's hash chain."""

from django.core.management.base import BaseCommand

from turnpoint.cli import emit, fail
from turnpoint.sharing.audit import audit_verify


class Command(BaseCommand):
    help = "Check the audit log."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="detect altered, deleted or reordered entries")
        verify.add_argument("--json", action="store_true")

    def handle(self, *args, action, json, **options):
        checked, problems = audit_verify()
        if problems:
            fail(self, problems, as_json=json,
                 headline=f"The audit log fails verification: {len(problems)} break(s) "
                 f"in {checked} entries.")  # fmt: skip
        emit(self, {"ok": True, "entries": checked}, as_json=json,
             text=f"The audit log verifies: {checked} entries, chain intact.")  # fmt: skip
