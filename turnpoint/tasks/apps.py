from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "turnpoint.tasks"
    label = "tasks"
    verbose_name = "Background work: jobs, retries and the daily schedule"

    def ready(self) -> None:
        # The registrations: one line each in turnpoint/tasks/jobs.py (docs/tasks.md).
        from turnpoint.tasks import jobs  # noqa: F401
