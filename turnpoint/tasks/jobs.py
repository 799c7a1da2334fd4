"""The registered background tasks: one line each (docs/tasks.md, "Adding a task").

`register(name, function, daily=True)` also puts a task on the daily schedule. Attempts and
backoff default to TURNPOINT_TASK_ATTEMPTS and TURNPOINT_TASK_BACKOFF_SECONDS; pass `attempts=`
or `backoff_seconds=` to change them for one task."""

from turnpoint.sharing.record import disclosures_index
from turnpoint.supervision.custody import release_window_alerts
from turnpoint.supervision.fidelity import fidelity_evaluate
from turnpoint.supervision.phases import phases_evaluate
from turnpoint.tasks.daily import SCHEDULER, daily_scheduler_run
from turnpoint.tasks.registry import register

# The scheduler itself: enqueues each day's daily tasks at midnight (turnpoint/tasks/daily.py).
register(SCHEDULER, daily_scheduler_run)

# Daily tasks.
register("disclosures.index", disclosures_index, daily=True)
register("phases.evaluate", phases_evaluate, daily=True)
register("fidelity.evaluate", fidelity_evaluate, daily=True)
register("release.window_alerts", release_window_alerts, daily=True)
