"""`turnpoint tasks failed | retry ID | schedule`: background work for administrators
(docs/tasks.md)."""

from django.core.management.base import BaseCommand
from django.utils.formats import date_format

from turnpoint.cli import emit, fail
from turnpoint.errors import InvalidInput
from turnpoint.tasks.daily import daily_schedule
from turnpoint.tasks.runner import job_retry, job_summary, jobs_failed


class Command(BaseCommand):
    help = "List failed background jobs, queue one again, or enqueue today's daily tasks."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        failed = sub.add_parser(
            "failed", help="jobs that failed after their last attempt, or stalled, with the error"
        )
        failed.add_argument("--json", action="store_true")
        retry = sub.add_parser("retry", help="queue a failed or stalled job again")
        retry.add_argument("id", metavar="ID", help="the job's number (from `tasks failed`)")
        retry.add_argument("--json", action="store_true")
        schedule = sub.add_parser(
            "schedule", help="enqueue today's daily tasks not yet enqueued (for cron)"
        )
        schedule.add_argument("--json", action="store_true")

    def handle(self, *args, action, json, **options):
        if action == "failed":
            self.failed(as_json=json)
        elif action == "retry":
            self.retry(options["id"], as_json=json)
        else:
            self.schedule(as_json=json)

    def failed(self, *, as_json: bool) -> None:
        jobs = [job_summary(j) for j in jobs_failed()]
        lines = [
            f"job {j['id']} {j['task']}: {j['status']} after {j['attempts']} of "
            f"{j['max_attempts']} attempt(s)\n    {j['error'] or 'no error recorded'}"
            for j in jobs
        ]
        emit(self, {"ok": True, "failed": jobs}, as_json=as_json,
             text="\n".join(lines) if lines else "No failed background jobs.")  # fmt: skip

    def retry(self, raw_id: str, *, as_json: bool) -> None:
        try:
            job_id = int(raw_id)
        except ValueError:
            fail(self, [f"ID: must be a job's number, not {raw_id!r}"], as_json=as_json,
                 headline="Nothing was queued.")  # fmt: skip
        try:
            job = job_retry(job_id)
        except InvalidInput as exc:
            fail(self, [str(p) for p in exc.problems], as_json=as_json,
                 headline="Nothing was queued.")  # fmt: skip
        emit(self, {"ok": True, "job": job_summary(job)}, as_json=as_json,
             text=f"Job {job.pk} ({job.name}) is queued again.")  # fmt: skip

    def schedule(self, *, as_json: bool) -> None:
        scheduled = daily_schedule()
        day = date_format(scheduled.day, "j F Y")
        names = ", ".join(j.name for j in scheduled.enqueued) or "none"
        already = ", ".join(scheduled.already) or "none"
        text = f"Daily tasks for {day}: enqueued {names}; already enqueued {already}."
        emit(self, {"ok": True, **scheduled.as_dict()}, as_json=as_json, text=text)
