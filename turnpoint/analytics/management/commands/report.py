"""`turnpoint report NAME --user ANALYST --programme P --from D --to D ...` (docs/analytics.md)."""

import datetime
import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from turnpoint.analytics import outputs
from turnpoint.analytics.measures import GROUPS, NAMES
from turnpoint.analytics.reports import measure_report
from turnpoint.cli import emit, fail
from turnpoint.errors import InvalidInput, Problem
from turnpoint.sharing import context
from turnpoint.sharing.rules import PolicyDenied


def _date(text: str, field: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(Problem(field, f"'{text}' is not a date (YYYY-MM-DD)")) from None


class Command(BaseCommand):
    help = "An evaluation measure (or all of them) for a programme and period, de-identified."

    def add_arguments(self, parser):
        parser.add_argument("name", help=f"one of {', '.join(NAMES)}, all")
        parser.add_argument("--user", required=True, help="the analyst's username")
        parser.add_argument("--programme", help="programme slug (default: all of the team's)")
        parser.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")
        parser.add_argument("--site")
        parser.add_argument("--group", help=f"split by one of {', '.join(GROUPS)}")
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--csv", type=Path, help="also write the tables as CSV")
        parser.add_argument("--parquet", type=Path, help="also write the tables as Parquet")
        parser.add_argument("--pdf", type=Path, help="also write the report as a PDF")

    def handle(self, *args, name, user, programme, start, end, site, group, **options):
        as_json = options["json"]
        try:
            problems = []
            if name not in NAMES and name != "all":
                problems.append(Problem("NAME", f"must be one of {', '.join(NAMES)}, all"))
            if group is not None and group not in GROUPS:
                problems.append(Problem("group", f"must be one of {', '.join(GROUPS)}"))
            dates = []
            for text, field in ((start, "from"), (end, "to")):
                try:
                    dates.append(_date(text, field))
                except InvalidInput as exc:
                    problems += exc.problems
            if len(dates) == 2 and dates[0] > dates[1]:
                problems.append(Problem("from", "must be on or before --to"))
            for path, field in (
                (options["csv"], "csv"),
                (options["parquet"], "parquet"),
                (options["pdf"], "pdf"),
            ):
                if path is not None and not path.parent.is_dir():
                    problems.append(Problem(field, f"no folder {path.parent}"))
            if problems:  # the arguments first: a bad argument needs no database
                raise InvalidInput(problems)
            account = get_user_model().objects.filter(username=user, is_active=True).first()
            if account is None:
                raise InvalidInput(Problem("user", f"no active user '{user}'"))
            token = context.activate(context.RequestContext(channel="cli"))
            try:
                result = measure_report(
                    account,
                    name,
                    start=dates[0],
                    end=dates[1],
                    programme=programme,
                    site=site,
                    group=group,
                    route="cli:report",
                )
            finally:
                context.deactivate(token)
        except InvalidInput as exc:
            fail(
                self,
                [str(p) for p in exc.problems],
                as_json=as_json,
                headline="the report was refused; nothing was computed",
            )
        except PolicyDenied as exc:
            if as_json:
                self.stdout.write(json.dumps({"ok": False, "errors": [str(exc)]}))
            raise CommandError(f"refused: {exc}") from None
        if options["csv"]:
            outputs.write_csv(result, options["csv"])
        if options["parquet"]:
            outputs.write_parquet(result, options["parquet"])
        if options["pdf"]:
            options["pdf"].write_bytes(outputs.annual_pdf(result))
        emit(self, result, as_json=as_json, text=outputs.text(result))
