"""`turnpoint worker`: the background worker (docs/tasks.md, "The worker").

django-tasks' database worker (`db_worker`, with all its options) after enqueueing today's
daily tasks; the scheduler's own run at each midnight then enqueues the next day's."""

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorker

from turnpoint.tasks.daily import daily_schedule


class Command(DatabaseWorker):
    help = (
        "Run background jobs as they are queued, after enqueueing today's daily tasks "
        "(--batch: run what is due, then exit)."
    )

    def handle(self, *args, **options):
        scheduled = daily_schedule()
        if options["verbosity"] and scheduled.enqueued:
            names = ", ".join(j.name for j in scheduled.enqueued)
            self.stdout.write(f"Enqueued today's daily tasks: {names}")
        super().handle(*args, **options)
