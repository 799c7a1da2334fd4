"""`turnpoint research_extract DIR --user ANALYST [--programme P]` (docs/analytics.md)."""

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from turnpoint.analytics.reports import make_extract
from turnpoint.cli import emit, fail
from turnpoint.errors import InvalidInput, Problem
from turnpoint.sharing import context
from turnpoint.sharing.rules import PolicyDenied


class Command(BaseCommand):
    help = "Write the de-identified research extract (Parquet: pseudonyms, months) to DIR."

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path, help="an empty or new folder")
        parser.add_argument("--user", required=True, help="the analyst's username")
        parser.add_argument("--programme", help="programme slug (default: all of the team's)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, directory, user, programme, json: bool, **options):
        try:
            if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
                raise InvalidInput(Problem("directory", f"{directory} is not an empty folder"))
            if not directory.parent.is_dir():
                raise InvalidInput(Problem("directory", f"no folder {directory.parent}"))
            account = get_user_model().objects.filter(username=user, is_active=True).first()
            if account is None:
                raise InvalidInput(Problem("user", f"no active user '{user}'"))
            token = context.activate(context.RequestContext(channel="cli"))
            try:
                extract = make_extract(
                    account, programme=programme, research_dir=directory,
                    route="cli:research_extract",
                )  # fmt: skip
            finally:
                context.deactivate(token)
        except InvalidInput as exc:
            fail(self, [str(p) for p in exc.problems], as_json=json,
                 headline="the research extract was refused; nothing was written")  # fmt: skip
        except PolicyDenied as exc:
            if json:
                self.stdout.write(_dumps({"ok": False, "errors": [str(exc)]}))
            raise CommandError(f"refused: {exc}") from None
        rows = extract.rows()
        text = "\n".join(f"{name}.parquet: {n} rows" for name, n in rows.items())
        emit(self, {"ok": True, "directory": str(directory), "rows": rows}, as_json=json,
             text=text)  # fmt: skip


def _dumps(payload) -> str:
    return json.dumps(payload)
