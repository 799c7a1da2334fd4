"""Bounds on the simulations started from the web (security.md SEC-46).

A simulation's cost grows with its runs times the years it simulates (warm-up plus horizon, and
the same again for a baseline it is compared to): about half a second per thousand run-years on
one core. So each request is bounded by `SIMULATOR_WEB_MAX_RUN_YEARS` (enough for the shipped
scenarios at the page's 300 runs, about 30 seconds), and each user may have one simulation
running at a time and start at most `SIMULATOR_WEB_RUNS_PER_HOUR` an hour. The simulations
started are rows (`WebSimulation`), so the limit holds across processes and servers.
"""

import math
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from turnpoint.accounts.models import User

from .models import WebSimulation

HOUR = timedelta(hours=1)
# A simulation unfinished after this long has failed without finishing its row; it no longer
# counts as running (it still counts towards the hour).
RUNNING_AT_MOST = timedelta(minutes=10)


class SimulationRefused(Exception):
    """A simulation the per-user limit refuses; `retry_after` in seconds."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


def run_years(scenario, *, runs: int, baseline=None) -> int:
    years = scenario.warm_up_years + scenario.horizon_years
    if baseline is not None:
        years += baseline.warm_up_years + baseline.horizon_years
    return runs * years


def runs_problem(scenario, *, runs: int, baseline=None) -> str | None:
    """Why this request asks for too much work, naming the most runs it may have; or None."""
    budget = settings.SIMULATOR_WEB_MAX_RUN_YEARS
    if run_years(scenario, runs=runs, baseline=baseline) <= budget:
        return None
    per_run = run_years(scenario, runs=1, baseline=baseline)
    return (
        f"Runs must be at most {max(budget // per_run, 0):,} for this scenario: it simulates "
        f"{per_run} years a run (warm-up and horizon, with its baseline), and the page runs at "
        f"most {budget:,} run-years at a time. Use `turnpoint simulate` for more"
    )


def web_simulation_start(*, user: User, runs: int, run_years: int) -> WebSimulation:
    """Record a simulation about to start, or raise SimulationRefused when the user has one
    running or has started their hourly allowance."""
    now = timezone.now()
    with transaction.atomic():
        # One request at a time per user decides: two tabs cannot both slip under the limit.
        User.objects.select_for_update().filter(pk=user.pk).first()
        mine = WebSimulation.objects.filter(user=user)
        running = mine.filter(finished_at__isnull=True, started_at__gt=now - RUNNING_AT_MOST)
        if running.exists():
            raise SimulationRefused(
                "You already have a simulation running. Wait for it to finish, then try again",
                retry_after=30,
            )
        started = list(
            mine.filter(started_at__gt=now - HOUR).order_by("started_at")
            .values_list("started_at", flat=True)
        )  # fmt: skip
        allowed = settings.SIMULATOR_WEB_RUNS_PER_HOUR
        if len(started) >= allowed:
            wait = (started[len(started) - allowed] + HOUR - now).total_seconds()
            minutes = max(1, math.ceil(wait / 60))
            raise SimulationRefused(
                f"You have started {len(started)} simulations in the last hour, the most "
                f"allowed. Try again in {minutes} minute{'' if minutes == 1 else 's'}",
                retry_after=math.ceil(wait),
            )
        return WebSimulation.objects.create(
            user=user, started_at=now, runs=runs, run_years=run_years
        )


def web_simulation_finish(simulation: WebSimulation) -> None:
    simulation.finished_at = timezone.now()
    simulation.save(update_fields=["finished_at"])
