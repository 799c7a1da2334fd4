"""`turnpoint programmes load FILE [FILE ...]` and `turnpoint programmes list`."""

from dataclasses import asdict
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from turnpoint.cli import emit, fail
from turnpoint.programmes.loader import ProgrammeFileInvalid, programme_load_files
from turnpoint.programmes.models import Programme
from turnpoint.sharing.audit import audit_write


class Command(BaseCommand):
    help = "Validate and load programme definition files, or list the loaded programmes."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="validate and load YAML files (all or nothing)")
        load.add_argument("files", nargs="*", type=Path)
        load.add_argument("--shipped", action="store_true", help="load every shipped programme")
        load.add_argument("--json", action="store_true")
        listing = sub.add_parser("list", help="list loaded programmes")
        listing.add_argument("--json", action="store_true")

    def handle(self, *args, action, **options):
        as_json = options["json"]
        if action == "list":
            rows = [
                {"slug": p.slug, "name": p.name, "jurisdiction": p.jurisdiction,
                 "stage": p.stage, "phases": p.phases.count(), "revision": p.revision}
                for p in Programme.objects.order_by("slug")
            ]  # fmt: skip
            text = "\n".join(f"{r['slug']:<28} {r['stage']:<14} {r['name']}" for r in rows)
            emit(self, rows, as_json=as_json, text=text or "No programmes loaded.")
            return
        files = list(options["files"])
        if options["shipped"]:
            files += sorted(Path(settings.TURNPOINT_PROGRAMMES_DIR).glob("*.yaml"))
        if not files:
            fail(self, ["give one or more files, or --shipped"], as_json=as_json,
                 headline="Nothing to load.")  # fmt: skip
        try:
            results = programme_load_files(files)
        except ProgrammeFileInvalid as exc:
            audit_write(
                acting_user=None,
                action="import_rejected",
                detail={"files": [str(f) for f in files], "problems": len(exc.problems)},
            )
            fail(self, [str(p) for p in exc.problems], as_json=as_json,
                 headline=f"Nothing was loaded: {len(exc.problems)} problem(s) found.")  # fmt: skip
        audit_write(
            acting_user=None, action="import", detail={"programmes": [r.slug for r in results]}
        )
        text = "\n".join(f"{r.status:<9} {r.slug} (revision {r.revision})" for r in results)
        emit(self, {"ok": True, "programmes": [asdict(r) for r in results]}, as_json=as_json,
             text=text)  # fmt: skip
