"""The daily schedule: each task registered with `daily=True` is enqueued once a day
(docs/tasks.md, "The daily schedule").

`daily_schedule()` enqueues today's daily tasks that are not yet enqueued, and the scheduler's
own run (`tasks.daily`) at the next midnight, so a running worker starts each day's work by
itself. A `DailyRun(name, day)` row, unique per task and day, is written in the same transaction
as the job: running the schedule again the same day (the worker starting twice, cron beside the
worker, two workers at once) enqueues nothing new."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from turnpoint.tasks.models import DailyRun, Job
from turnpoint.tasks.registry import daily_tasks
from turnpoint.tasks.runner import job_enqueue

SCHEDULER = "tasks.daily"


@dataclass
class Scheduled:
    day: date
    enqueued: list[Job] = field(default_factory=list)
    already: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "day": self.day.isoformat(),
            "enqueued": [{"task": j.name, "job": j.pk} for j in self.enqueued],
            "already_enqueued": self.already,
        }


def next_midnight(day: date) -> datetime:
    """The start of the day after `day`, in the service's time zone (TIME_ZONE)."""
    return datetime.combine(
        day + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone()
    )


def daily_schedule(day: date | None = None) -> Scheduled:
    """Enqueue each daily task once for `day` (today, in TIME_ZONE, by default), and the
    scheduler's next run at the following midnight."""
    day = day or timezone.localdate()
    scheduled = Scheduled(day)
    for reg in daily_tasks():
        job = _once(reg.name, day, run_after=None)
        if job is None:
            scheduled.already.append(reg.name)
        else:
            scheduled.enqueued.append(job)
    _once(SCHEDULER, day + timedelta(days=1), run_after=next_midnight(day))
    return scheduled


def _once(name: str, day: date, *, run_after: datetime | None) -> Job | None:
    """Enqueue `name` for `day` unless it already is; None when it already is."""
    if _already(name, day):
        return None
    with transaction.atomic():
        try:
            with transaction.atomic():
                run = DailyRun.objects.create(name=name, day=day)
        except IntegrityError:
            return None  # another schedule run took this day between the check and the insert
        job = job_enqueue(name, run_after=run_after)
        run.job = job
        run.save(update_fields=["job"])
    return job


def _already(name: str, day: date) -> bool:
    return DailyRun.objects.filter(name=name, day=day).exists()


def daily_scheduler_run() -> dict:
    """The scheduler as a background task: today's daily tasks, and its own run tomorrow."""
    return daily_schedule().as_dict()
