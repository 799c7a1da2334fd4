"""Running background jobs: enqueueing, each attempt on the worker, a retry after a backoff, and
the report of a job that failed for good (docs/tasks.md, "Retried and reported").

The queue is django-tasks' database backend (`django_tasks_db`): `run_job(job_id)` is the one
task it holds, and a `Job` row ties a job's attempts together. A job and its queue row are
written in one transaction, and so are a failed attempt's record and its retry's queue row, so
no job is ever queued without its record or recorded without its queue row."""

import logging
import traceback
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from turnpoint.errors import InvalidInput, Problem
from turnpoint.tasks.models import Job
from turnpoint.tasks.registry import Registered, registered

log = logging.getLogger("turnpoint.tasks")


class UnknownTask(LookupError):
    """A job names a task that is not registered (renamed or removed since it was enqueued)."""


def attempts_for(reg: Registered) -> int:
    return reg.attempts if reg.attempts is not None else settings.TURNPOINT_TASK_ATTEMPTS


def backoff_after(reg: Registered | None, attempt: int) -> timedelta:
    """The wait before the next attempt after attempt number `attempt` failed: the base wait,
    doubled after each further failure (60 s, 120 s, 240 s, ... by default)."""
    base = settings.TURNPOINT_TASK_BACKOFF_SECONDS
    if reg is not None and reg.backoff_seconds is not None:
        base = reg.backoff_seconds
    return timedelta(seconds=base * 2 ** (attempt - 1))


def job_enqueue(name: str, *, run_after: datetime | None = None, **kwargs: Any) -> Job:
    """Record a job for the registered task `name` and put it on the queue, in one transaction.
    `run_after`: not before this time (None: as soon as a worker is free)."""
    reg = registered(name)
    if reg is None:
        raise UnknownTask(f"no background task is registered as {name!r}")
    with transaction.atomic():
        job = Job.objects.create(
            name=name, kwargs=kwargs, max_attempts=attempts_for(reg), next_attempt_at=run_after
        )
        _queue(job, run_after)
    return job


def _queue(job: Job, run_after: datetime | None) -> None:
    queued = run_job if run_after is None else run_job.using(run_after=run_after)
    result = queued.enqueue(job.pk)
    job.task_result_id = str(result.id)
    Job.objects.filter(pk=job.pk).update(task_result_id=job.task_result_id)


@task()
def run_job(job_id: int) -> Any:
    """One attempt at a job, run by the worker. A job that is not queued (already run from
    another queue row) is left alone."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            raise Job.DoesNotExist(f"job {job_id} no longer exists")
        if job.status != Job.Status.QUEUED:
            return None
        job.status = Job.Status.RUNNING
        job.attempts += 1
        job.started_at = timezone.now()
        job.next_attempt_at = None
        job.finished_at = None
        job.save(update_fields=["status", "attempts", "started_at", "next_attempt_at",
                                "finished_at"])  # fmt: skip
    reg = registered(job.name)
    try:
        if reg is None:
            raise UnknownTask(f"no background task is registered as {job.name!r}")
        value = reg.func(**job.kwargs)
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.SUCCEEDED, result=value, error="", traceback="",
            finished_at=timezone.now(),
        )  # fmt: skip
    except BaseException as exc:
        # BaseException too: a worker stopped by force mid-attempt (SystemExit) leaves the job
        # queued for its next attempt, not running for ever.
        _attempt_failed(job, reg, exc)
        raise
    log.info("Background task %s (job %s) succeeded on attempt %d", job.name, job.pk,
             job.attempts)  # fmt: skip
    return value


def _attempt_failed(job: Job, reg: Registered | None, exc: BaseException) -> None:
    error = f"{type(exc).__name__}: {exc}"
    trace = "".join(traceback.format_exception(exc))
    now = timezone.now()
    with transaction.atomic():
        if reg is not None and job.attempts < job.max_attempts:
            wait = backoff_after(reg, job.attempts)
            when = now + wait
            Job.objects.filter(pk=job.pk).update(
                status=Job.Status.QUEUED, error=error, traceback=trace, next_attempt_at=when
            )
            _queue(job, when if wait else None)
            log.warning(
                "Background task %s (job %s) failed on attempt %d of %d: %s; trying again in "
                "%d s", job.name, job.pk, job.attempts, job.max_attempts, error,
                wait.total_seconds(),
            )  # fmt: skip
            return
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.FAILED, error=error, traceback=trace, finished_at=now
        )
    log.error(
        "Background task %s (job %s) failed after %d attempt(s) and will not be tried again: "
        "%s; `turnpoint tasks retry %s` queues it again", job.name, job.pk, job.attempts, error,
        job.pk, exc_info=exc,
    )  # fmt: skip


def stalled_before() -> datetime:
    return timezone.now() - timedelta(seconds=settings.TURNPOINT_TASK_STALLED_AFTER_SECONDS)


def jobs_failed() -> list[Job]:
    """Jobs that need someone: failed after their last attempt, or stalled (running for longer
    than TURNPOINT_TASK_STALLED_AFTER_SECONDS: the worker stopped without finishing them)."""
    failed = list(Job.objects.filter(status=Job.Status.FAILED).order_by("id"))
    stalled = list(
        Job.objects.filter(status=Job.Status.RUNNING, started_at__lt=stalled_before()).order_by(
            "id"
        )
    )
    return sorted(failed + stalled, key=lambda j: j.pk)


def job_is_stalled(job: Job) -> bool:
    return (
        job.status == Job.Status.RUNNING
        and job.started_at is not None
        and job.started_at < stalled_before()
    )


def job_retry(job_id: int) -> Job:
    """Queue a failed (or stalled) job again, with a fresh allowance of attempts. Refused,
    changing nothing, for a job that does not exist or has not failed."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            raise InvalidInput(Problem("ID", f"there is no job {job_id}"))
        if job.status != Job.Status.FAILED and not job_is_stalled(job):
            status = job.get_status_display().lower()
            raise InvalidInput(
                Problem(
                    "ID",
                    f"job {job_id} is {status}, not failed; only a failed or stalled job can "
                    "be retried",
                )
            )
        reg = registered(job.name)
        if reg is None:
            raise InvalidInput(
                Problem("ID", f"job {job_id} is for {job.name!r}, no longer a registered task")
            )
        job.status = Job.Status.QUEUED
        job.attempts = 0
        job.max_attempts = attempts_for(reg)
        job.next_attempt_at = None
        job.finished_at = None
        job.save(update_fields=["status", "attempts", "max_attempts", "next_attempt_at",
                                "finished_at"])  # fmt: skip
        _queue(job, None)
    log.warning("Background task %s (job %s) queued again by hand", job.name, job.pk)
    return job


def job_summary(job: Job) -> dict[str, Any]:
    return {
        "id": job.pk,
        "task": job.name,
        "status": "stalled" if job_is_stalled(job) else job.status,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "error": job.error,
        "enqueued_at": job.enqueued_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "arguments": job.kwargs,
    }
