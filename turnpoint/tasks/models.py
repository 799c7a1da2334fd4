"""What the background work records: each job with its attempts and last error, and which daily
tasks have been enqueued for which day (docs/tasks.md)."""

from django.db import models


class Job(models.Model):
    """One piece of background work by a registered task's name, from enqueueing to its end.

    The queue (django-tasks' database backend) holds one row per attempt; a job ties them
    together, counts them, and keeps the last error, so a job that fails for good stays listed
    (`turnpoint tasks failed`) until someone retries it."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    name = models.CharField(max_length=100)
    kwargs = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField()
    error = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    result = models.JSONField(null=True, blank=True)
    # The queue's row for the current (or last) attempt: django_tasks_db's DBTaskResult id.
    task_result_id = models.CharField(max_length=64, blank=True)
    enqueued_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "id"], name="tasks_job_status_idx")]

    def __str__(self) -> str:
        return f"job {self.pk} {self.name} ({self.status})"


class DailyRun(models.Model):
    """A daily task enqueued for a day: the unique row that makes the schedule idempotent."""

    name = models.CharField(max_length=100)
    day = models.DateField()
    job = models.ForeignKey(Job, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "day"], name="tasks_dailyrun_once_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.name} on {self.day}"
