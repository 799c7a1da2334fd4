"""`turnpoint audit verify | checkpoint | harden`: the audit log's integrity (SEC-21)."""

import json as jsonlib

from django.core.management.base import BaseCommand, CommandError

from turnpoint.cli import emit, fail
from turnpoint.sharing.hardening import harden_statements
from turnpoint.sharing.verify import audit_verify_report, checkpoint_newest


class Command(BaseCommand):
    help = "Check, checkpoint or protect the audit log."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser(
            "verify", help="detect altered, deleted, reordered, inserted or cut-off entries"
        )
        verify.add_argument("--json", action="store_true")
        verify.add_argument(
            "--max-age", type=int, default=None, metavar="SECONDS",
            help="fail on a stretch longer than this without a checkpoint "
            "(default TURNPOINT_AUDIT_CHECKPOINT_MAX_AGE; 0 turns the check off)",
        )  # fmt: skip
        checkpoint = sub.add_parser("checkpoint", help="checkpoint the newest entry (for cron)")
        checkpoint.add_argument("--json", action="store_true")
        harden = sub.add_parser(
            "harden", help="PostgreSQL: grant ROLE what the application needs, but no UPDATE, "
            "DELETE or TRUNCATE on the audit tables",
        )  # fmt: skip
        harden.add_argument("--role", required=True, help="the application's database role")
        harden.add_argument("--apply", action="store_true", help="run the statements")
        harden.add_argument("--json", action="store_true")

    def handle(self, *args, action, json, **options):
        if action == "verify":
            self.verify(as_json=json, max_age=options["max_age"])
        elif action == "checkpoint":
            checkpoint = checkpoint_newest()
            emit(self, {"ok": True, "id": checkpoint.pk, **checkpoint.as_record()}, as_json=json,
                 text=f"Checkpoint {checkpoint.pk} at {checkpoint.as_record()['at']} over entry "
                 f"{checkpoint.entry_id}.")  # fmt: skip
        else:
            self.harden(role=options["role"], apply=options["apply"], as_json=json)

    def verify(self, *, as_json: bool, max_age: int | None) -> None:
        if max_age is not None and max_age < 0:
            fail(self, ["--max-age: must be 0 or more seconds"], as_json=as_json,
                 headline="Nothing was checked.")  # fmt: skip
        report = audit_verify_report(max_age=max_age)
        if not report.ok:
            headline = (
                f"The audit log fails verification: {len(report.problems)} problem(s) in "
                f"{report.entries} entries and {report.checkpoints} checkpoints "
                f"(checks failed: {', '.join(sorted({p.check for p in report.problems}))})."
            )
            if as_json:
                self.stdout.write(jsonlib.dumps(report.as_dict(), indent=2))
                raise CommandError(headline)
            raise CommandError(
                headline + "\n" + "\n".join(f"  - [{p.check}] {p.message}" for p in report.problems)
            )
        newest = report.newest_checkpoint or "none yet"
        emit(self, report.as_dict(), as_json=as_json,
             text=f"The audit log verifies: {report.entries} entries, chain intact, "
             f"{report.checkpoints} checkpoints (newest: {newest}).")  # fmt: skip

    def harden(self, *, role: str, apply: bool, as_json: bool) -> None:
        statements, problems = harden_statements(role)
        if problems:
            fail(self, problems, as_json=as_json, headline="Nothing was changed.")
        if apply:
            from django.db import connection, transaction

            with transaction.atomic(), connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
        status = "-- applied" if apply else "-- not applied: run again with --apply"
        emit(self, {"ok": True, "role": role, "applied": apply, "statements": statements},
             as_json=as_json, text="\n".join([*(s + ";" for s in statements), status]))  # fmt: skip
