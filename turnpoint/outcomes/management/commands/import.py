"""`turnpoint import justice-records FILE [--format csv|jsonl] [--dry-run] [--json]`.

The file's format is in docs/outcomes.md. The whole file is checked first; a file with any bad
row is refused (exit status 1) listing every problem as `row N: field: reason`, and nothing is
written. Runs as the system: the audit entry names the operating-system account that ran it.
"""

import json
from dataclasses import asdict
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from turnpoint.accounts.access import command_line
from turnpoint.cli import emit
from turnpoint.sharing.audit import audit_write

from ...justice_import import FORMATS, justice_records_import


class Command(BaseCommand):
    help = "Import records from outside Turnpoint."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", required=True)
        records = sub.add_parser(
            "justice-records", help="arrests, charges, convictions and custody, by identifier"
        )
        records.add_argument("file")
        records.add_argument("--format", choices=FORMATS, help="default: from the file's name")
        records.add_argument("--dry-run", action="store_true", help="check and count only")
        records.add_argument("--json", action="store_true")

    def handle(self, *args, what, file, format, dry_run, json, **options):
        via = command_line()
        result = justice_records_import(Path(file), fmt=format, dry_run=dry_run, via=via)
        payload = {
            "ok": result.ok, "file": result.file, "dry_run": dry_run, "rows": result.rows,
            "new": result.new, "already_imported": result.already_imported,
        }  # fmt: skip
        if not result.ok:
            if not dry_run:
                audit_write(acting_user=None, action="import_rejected",
                            detail={"import": "justice records", "file": result.file, "via": via,
                                    "problems": len(result.problems)})  # fmt: skip
            self._refuse(result, payload, as_json=json)
        verb = "would be imported" if dry_run else "imported"
        text = (f"{result.file}: {result.new} new, {result.already_imported} already imported"
                f" ({result.rows} rows checked; {result.new} {verb}).")  # fmt: skip
        emit(self, payload, as_json=json, text=text)

    def _refuse(self, result, payload, *, as_json: bool):
        headline = (f"{result.file} was refused: {len(result.problems)} problem(s) found. "
                    "Nothing was imported.")  # fmt: skip
        lines = [str(p) for p in result.problems]
        if as_json:
            payload = payload | {
                "errors": lines, "problems": [asdict(p) for p in result.problems]
            }  # fmt: skip
            self.stdout.write(_dumps(payload))
            raise CommandError(headline)
        raise CommandError(headline + "\n" + "\n".join(f"  - {line}" for line in lines))


def _dumps(payload) -> str:
    return json.dumps(payload, indent=2)
