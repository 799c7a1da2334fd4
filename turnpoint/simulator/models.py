"""The simulations started from the web page, one row each: what the per-user limit counts
(security.md SEC-46; turnpoint/simulator/limits.py)."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class WebSimulation(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    runs = models.PositiveIntegerField()
    # Runs times simulated years (warm-up and horizon, and the baseline's): the work asked for.
    run_years = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"simulation of {self.runs} runs by user {self.user_id} at {self.started_at}"
