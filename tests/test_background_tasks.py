"""Background work (docs/tasks.md): jobs go through django-tasks' database queue and its
worker, a failed attempt is retried after a backoff, a job that fails for good is logged and
listed for administrators and can be queued again, and the daily schedule enqueues each daily
task once a day."""

import json
import logging
import signal
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from turnpoint.logs import SafeFormatter
from turnpoint.sharing.models import DisclosedParticipant, DisclosureBacklog
from turnpoint.sharing.record import disclosure_write
from turnpoint.tasks import daily as daily_module
from turnpoint.tasks.daily import SCHEDULER, daily_schedule, next_midnight
from turnpoint.tasks.models import DailyRun, Job
from turnpoint.tasks.registry import REGISTRY, register
from turnpoint.tasks.runner import UnknownTask, job_enqueue

pytestmark = pytest.mark.django_db

CALLS: dict[str, int] = {}
BROKEN = {"always": True}


# The daily tasks registered (turnpoint/tasks/jobs.py), in name order.
DAILY = ["disclosures.index", "fidelity.evaluate", "phases.evaluate", "release.window_alerts"]


def echo(*, text: str) -> dict:
    return {"echoed": text}


def flaky(*, key: str, failures: int) -> str:
    """Fails its first `failures` calls for `key`, then succeeds."""
    CALLS[key] = CALLS.get(key, 0) + 1
    if CALLS[key] <= failures:
        raise ConnectionError(f"call {CALLS[key]} could not reach the database")
    return f"done on call {CALLS[key]}"


def always_fails() -> None:
    if BROKEN["always"]:
        raise RuntimeError("the index is out of step\nwith the backlog")


register("tests.echo", echo)
register("tests.flaky", flaky)
register("tests.always_fails", always_fails)


@pytest.fixture(autouse=True)
def _fresh(settings, request, monkeypatch):
    """Retries without waiting unless a test says otherwise; the worker's signal handlers are
    put back after each test, so Ctrl-C still stops pytest.

    Inside a test's transaction the worker must not recycle the database connection between
    jobs (its `close_old_connections` closes one that is not in autocommit, which a test's
    transaction never is); Django's TestCase keeps requests from doing the same. The test
    marked `transaction=True` runs the worker untouched, in autocommit."""
    if not request.node.get_closest_marker("django_db").kwargs.get("transaction"):
        monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    settings.TURNPOINT_TASK_ATTEMPTS = 3
    settings.TURNPOINT_TASK_BACKOFF_SECONDS = 0
    CALLS.clear()
    BROKEN["always"] = True
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for s, handler in saved.items():
        signal.signal(s, handler)


def work(command: str = "db_worker") -> str:
    """One pass of the worker: run every job that is due, then exit."""
    out = StringIO()
    call_command(command, "--batch", "--no-startup-delay", "--no-reload", verbosity=0, stdout=out)
    return out.getvalue()


def queue_rows(job: Job) -> list[DBTaskResult]:
    return [
        r for r in DBTaskResult.objects.order_by("enqueued_at") if r.args_kwargs["args"] == [job.pk]
    ]


@pytest.mark.django_db(transaction=True)
def test_a_queued_job_is_run_by_the_database_worker():
    job = job_enqueue("tests.echo", text="hello")
    [row] = queue_rows(job)
    assert row.status == TaskResultStatus.READY and row.task_path.endswith("run_job")
    assert job.task_result_id == str(row.pk)

    work()

    job.refresh_from_db()
    row.refresh_from_db()
    assert (job.status, job.attempts, job.result) == ("succeeded", 1, {"echoed": "hello"})
    assert row.status == TaskResultStatus.SUCCESSFUL and row.return_value == {"echoed": "hello"}


def test_a_job_failing_twice_then_succeeding_completes_after_its_retries():
    job = job_enqueue("tests.flaky", key="twice", failures=2)
    work()
    job.refresh_from_db()
    assert (job.status, job.attempts, job.result) == ("succeeded", 3, "done on call 3")
    assert job.error == ""
    assert [r.status for r in queue_rows(job)] == [
        TaskResultStatus.FAILED, TaskResultStatus.FAILED, TaskResultStatus.SUCCESSFUL,
    ]  # fmt: skip


def test_a_retry_waits_for_its_backoff_which_doubles(settings):
    settings.TURNPOINT_TASK_BACKOFF_SECONDS = 60
    job = job_enqueue("tests.flaky", key="backoff", failures=2)
    before = timezone.now()
    work()
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("queued", 1)
    assert job.error == "ConnectionError: call 1 could not reach the database"
    wait = job.next_attempt_at - before
    assert timedelta(seconds=59) < wait < timedelta(seconds=70)
    pending = queue_rows(job)[-1]
    assert pending.status == TaskResultStatus.READY and pending.run_after == job.next_attempt_at

    work()  # not due yet: nothing runs
    job.refresh_from_db()
    assert job.attempts == 1 and CALLS["backoff"] == 1

    DBTaskResult.objects.filter(pk=pending.pk).update(run_after=timezone.now())  # a minute on
    before = timezone.now()
    work()
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("queued", 2)
    assert timedelta(seconds=119) < job.next_attempt_at - before < timedelta(seconds=130)


def test_a_job_that_always_fails_is_logged_listed_and_can_be_retried(caplog):
    job = job_enqueue("tests.always_fails")
    with caplog.at_level(logging.WARNING, logger="turnpoint.tasks"):
        work()
    job.refresh_from_db()
    assert (job.status, job.attempts, job.max_attempts) == ("failed", 3, 3)
    assert job.error == "RuntimeError: the index is out of step\nwith the backlog"
    assert "Traceback" in job.traceback
    assert len(queue_rows(job)) == 3
    [final] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert final.name == "turnpoint.tasks" and final.exc_info is not None
    assert f"tests.always_fails (job {job.pk}) failed after 3 attempt(s)" in final.getMessage()
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 2
    # One event, one line (turnpoint/logs.py): the error's line break is escaped.
    line = SafeFormatter("%(levelname)s %(name)s %(message)s").format(final).splitlines()[0]
    assert "the index is out of step\\nwith the backlog" in line

    out = StringIO()
    call_command("tasks", "failed", "--json", stdout=out)
    [listed] = json.loads(out.getvalue())["failed"]
    assert (listed["id"], listed["task"], listed["status"]) == (job.pk, "tests.always_fails",
                                                                "failed")  # fmt: skip
    assert listed["error"] == job.error and listed["attempts"] == 3
    out = StringIO()
    call_command("tasks", "failed", stdout=out)
    assert f"job {job.pk} tests.always_fails: failed after 3 of 3 attempt(s)" in out.getvalue()

    out = StringIO()
    call_command("tasks", "retry", str(job.pk), stdout=out)
    assert f"Job {job.pk} (tests.always_fails) is queued again." in out.getvalue()
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("queued", 0)
    assert queue_rows(job)[-1].status == TaskResultStatus.READY
    out = StringIO()
    call_command("tasks", "failed", stdout=out)
    assert out.getvalue().strip() == "No failed background jobs."

    BROKEN["always"] = False  # whatever was wrong has been put right
    work()
    job.refresh_from_db()
    assert (job.status, job.attempts, job.error) == ("succeeded", 1, "")


def test_a_retry_is_refused_for_a_job_that_has_not_failed_and_nothing_is_queued():
    done = job_enqueue("tests.echo", text="x")
    work()
    rows = DBTaskResult.objects.count()
    for raw, reason in [
        (str(done.pk), f"ID: job {done.pk} is succeeded, not failed"),
        ("999999", "ID: there is no job 999999"),
        ("seven", "ID: must be a job's number, not 'seven'"),
    ]:
        with pytest.raises(CommandError, match="Nothing was queued") as err:
            call_command("tasks", "retry", raw, stdout=StringIO())
        assert reason in str(err.value)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("tasks", "retry", str(done.pk), "--json", stdout=out)
    assert json.loads(out.getvalue())["ok"] is False
    assert DBTaskResult.objects.count() == rows
    done.refresh_from_db()
    assert (done.status, done.attempts) == ("succeeded", 1)


def test_a_job_left_running_by_a_stopped_worker_is_listed_as_stalled_and_can_be_retried(settings):
    job = job_enqueue("tests.echo", text="interrupted")
    # A worker claimed it and was killed: the job says running, long ago.
    Job.objects.filter(pk=job.pk).update(
        status="running", attempts=1, started_at=timezone.now() - timedelta(hours=2)
    )
    DBTaskResult.objects.filter(pk=job.task_result_id).update(status=TaskResultStatus.RUNNING)
    out = StringIO()
    call_command("tasks", "failed", "--json", stdout=out)
    assert [(j["id"], j["status"]) for j in json.loads(out.getvalue())["failed"]] == [
        (job.pk, "stalled")
    ]
    settings.TURNPOINT_TASK_STALLED_AFTER_SECONDS = 3 * 3600  # not yet stalled by this measure
    out = StringIO()
    call_command("tasks", "failed", "--json", stdout=out)
    assert json.loads(out.getvalue())["failed"] == []
    with pytest.raises(CommandError, match="is running, not failed"):
        call_command("tasks", "retry", str(job.pk), stdout=StringIO())

    settings.TURNPOINT_TASK_STALLED_AFTER_SECONDS = 3600
    call_command("tasks", "retry", str(job.pk), stdout=StringIO())
    work()
    job.refresh_from_db()
    assert (job.status, job.result) == ("succeeded", {"echoed": "interrupted"})


def test_only_a_registered_task_can_be_enqueued():
    with pytest.raises(UnknownTask, match=r"no background task is registered as 'tests\.nope'"):
        job_enqueue("tests.nope")
    assert Job.objects.count() == 0 and DBTaskResult.objects.count() == 0


def test_registration_refuses_a_name_taken_by_another_function():
    with pytest.raises(ValueError, match="already registered for another function"):
        register("tests.echo", always_fails)
    assert REGISTRY["tests.echo"].func is echo


def test_the_daily_run_is_idempotent():
    today = timezone.localdate()
    first = daily_schedule(today)
    assert [j.name for j in first.enqueued] == DAILY and first.already == []
    second = daily_schedule(today)
    assert second.enqueued == [] and second.already == DAILY
    assert sorted(DailyRun.objects.values_list("name", "day")) == sorted(
        [(name, today) for name in DAILY] + [(SCHEDULER, today + timedelta(days=1))]
    )
    assert Job.objects.filter(name="disclosures.index").count() == 1
    # The scheduler's own run waits for the next midnight, once.
    tick = Job.objects.get(name=SCHEDULER)
    [tick_row] = queue_rows(tick)
    assert tick_row.run_after == tick.next_attempt_at == next_midnight(today)

    out = StringIO()
    call_command("tasks", "schedule", "--json", stdout=out)
    assert json.loads(out.getvalue())["enqueued"] == []
    assert Job.objects.count() == len(DAILY) + 1  # and the scheduler's own

    # Another day is another run.
    later = daily_schedule(today + timedelta(days=1))
    assert [j.name for j in later.enqueued] == DAILY
    assert Job.objects.filter(name="disclosures.index").count() == 2


def test_two_schedule_runs_at_once_enqueue_the_days_task_once(monkeypatch):
    """The second run passed the check before the first wrote its row: the unique row stops it,
    and it enqueues nothing."""
    today = timezone.localdate()
    first = daily_schedule(today)
    assert [j.name for j in first.enqueued] == DAILY
    monkeypatch.setattr(daily_module, "_already", lambda name, day: False)
    second = daily_schedule(today)
    assert second.enqueued == [] and second.already == DAILY
    assert Job.objects.filter(name="disclosures.index").count() == 1
    assert Job.objects.filter(name=SCHEDULER).count() == 1
    assert DailyRun.objects.count() == len(DAILY) + 1


def test_the_daily_schedule_command_says_what_it_enqueued():
    out = StringIO()
    call_command("tasks", "schedule", stdout=out)
    assert f"enqueued {', '.join(DAILY)}; already enqueued none." in out.getvalue()
    out = StringIO()
    call_command("tasks", "schedule", stdout=out)
    assert f"enqueued none; already enqueued {', '.join(DAILY)}." in out.getvalue()


def _backlog(users, make_referral):
    person = make_referral().participant
    disclosure_write(
        recipient=users["judge"], participant_ids=[person.pk], categories=["legal"],
        purpose="court_review", legal_basis="statute", basis_reference="Sentencing Act 2020",
        notice_attached=False,
    )  # fmt: skip
    assert DisclosureBacklog.objects.count() == 1
    return person


def test_the_worker_enqueues_and_runs_the_days_disclosure_indexing(users, make_referral):
    person = _backlog(users, make_referral)
    work("worker")
    assert DisclosureBacklog.objects.count() == 0
    assert list(DisclosedParticipant.objects.values_list("participant_id", flat=True)) == [
        person.pk
    ]
    job = Job.objects.get(name="disclosures.index")
    assert (job.status, job.result) == ("succeeded", [1, 1])
    assert DailyRun.objects.get(name="disclosures.index").job == job
    work("worker")  # started again the same day: nothing new
    assert Job.objects.filter(name="disclosures.index").count() == 1


def test_the_schedulers_midnight_run_enqueues_the_new_days_work(users, make_referral):
    today = timezone.localdate()
    daily_schedule(today - timedelta(days=1))  # yesterday's run queued today's scheduler run
    person = _backlog(users, make_referral)
    work()  # plain db_worker: only the scheduler's run, now due, starts today's work
    assert DailyRun.objects.filter(name="disclosures.index", day=today).exists()
    assert DailyRun.objects.filter(name=SCHEDULER, day=today + timedelta(days=1)).exists()
    today_job = DailyRun.objects.get(name="disclosures.index", day=today).job
    today_job.refresh_from_db()
    assert today_job.status == "succeeded"
    assert DisclosedParticipant.objects.filter(participant_id=person.pk).exists()
