"""`turnpoint supervision test-schedule --per-week N --weeks W [--start DATE] --seed S [--json]`:
print a random drug-test schedule from the same generator the call-in list uses
(docs/supervision.md, "Random test schedules").

`turnpoint supervision start-release-plans [--json]`: start the release plans due (docs/
supervision.md, "Custody and release"); run daily."""

from datetime import date

from django.core.management.base import BaseCommand
from django.utils import timezone

from turnpoint.cli import emit, fail
from turnpoint.supervision.custody import release_plans_start_due
from turnpoint.supervision.schedule import drug_test_schedule, schedule_problems

# The option that carries each parameter, to name it in a refusal.
OPTIONS = {"per_week": "--per-week", "weeks": "--weeks", "seed": "--seed", "start": "--start"}


def _whole(value: str | None):
    """A whole number from the command line, or the text as given (the check names it)."""
    try:
        return int(value) if value is not None else None
    except ValueError:
        return value


class Command(BaseCommand):
    help = "Drug-test schedules: print a random test schedule as ISO dates."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        schedule = sub.add_parser(
            "test-schedule", help="print a random test schedule (one ISO date a line)"
        )
        # Taken as text and checked here, so every bad value is refused alike (exit status 1).
        schedule.add_argument("--per-week", help="tests a calendar week, 1 to 7")
        schedule.add_argument("--weeks", help="calendar weeks, counting the start's week")
        schedule.add_argument("--start", help="first day, YYYY-MM-DD (default: today)")
        schedule.add_argument("--seed", help="a whole number, 0 or more")
        schedule.add_argument("--participant", help="the participant's id (optional)")
        schedule.add_argument("--json", action="store_true")
        plans = sub.add_parser(
            "start-release-plans",
            help="start the release plan of each custody episode whose expected release is "
            "12 weeks away or nearer (the daily task)",
        )
        plans.add_argument("--json", action="store_true")

    def handle(self, *args, action, **options):
        if action == "start-release-plans":
            return self.start_release_plans(as_json=options["json"])
        as_json = options["json"]
        problems = []
        values = {"per_week": _whole(options["per_week"]), "weeks": _whole(options["weeks"]),
                  "seed": _whole(options["seed"])}  # fmt: skip
        for key, value in values.items():
            if value is None:
                problems.append(f"{OPTIONS[key]}: is required")
        start = timezone.localdate()
        if options["start"] is not None:
            try:
                start = date.fromisoformat(options["start"])
            except ValueError:
                problems.append(f"--start: '{options['start']}' is not a date (use YYYY-MM-DD)")
        missing = {key for key, value in values.items() if value is None}
        problems += [
            f"{OPTIONS[p.field]}: {p.reason}"
            for p in schedule_problems(**values)
            if p.field not in missing
        ]
        if problems:
            fail(self, problems, as_json=as_json, headline="No schedule was drawn.")
        schedule = drug_test_schedule(start=start, participant_id=options["participant"], **values)
        dates = [d.isoformat() for d in schedule.dates]
        payload = {
            "per_week": schedule.per_week,
            "weeks": schedule.weeks,
            "start": schedule.start.isoformat(),
            "end": schedule.end.isoformat(),
            "seed": schedule.seed,
            "participant": schedule.participant_id,
            "extra_chance": schedule.extra_chance,
            "dates": dates,
        }
        emit(self, payload, as_json=as_json, text="\n".join(dates))

    def start_release_plans(self, *, as_json: bool) -> None:
        started = release_plans_start_due()
        ids = [plan.custody_episode_id for plan in started]
        text = f"Release plans started: {len(ids)}"
        emit(self, {"started": len(ids), "custody_episode_ids": ids}, as_json=as_json, text=text)
