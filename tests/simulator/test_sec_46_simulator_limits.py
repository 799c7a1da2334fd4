"""SEC-46 Nobody can exhaust the service: a simulation started from the web is bounded per
request (runs times simulated years) and per user (one at a time, so many an hour), with a clear
message naming the field when refused."""

from datetime import timedelta

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone

from turnpoint.accounts.personas import PERSONAS, persona_user
from turnpoint.simulator.models import WebSimulation

URL = "/simulator/"
SMALL = """
extends: ew_baseline.yaml
name: limits_test
title: One year, no baseline
horizon_years: 1
warm_up_years: 0
"""
LONG = """
extends: ew_baseline.yaml
compare_to: ew_baseline.yaml
name: long_test
title: Fifty years after sixty of warm-up
horizon_years: 50
warm_up_years: 60
"""


@pytest.fixture
def analyst(db, client):
    user = persona_user(next(p for p in PERSONAS if p.username == "analyst"))
    client.force_login(user)
    return user


def run(client, text=SMALL, runs="1"):
    return client.post(URL, {"scenario_yaml": text, "runs": runs})


def test_sec_46_a_run_asking_for_too_many_run_years_is_refused_naming_runs(client, analyst):
    # 110 simulated years a run, and 30 more for the baseline: 140 a run, 18,000 at most.
    response = run(client, LONG, runs="300")
    assert response.status_code == 400
    body = response.content.decode()
    assert 'href="#runs"' in body
    assert "Runs must be at most 128 for this scenario: it simulates 140 years a run" in body
    assert not WebSimulation.objects.exists()


@override_settings(SIMULATOR_WEB_RUNS_PER_HOUR=2)
def test_sec_46_a_user_starts_so_many_simulations_an_hour_and_is_told_when_to_return(
    client, analyst
):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        assert run(client).status_code == 200
        clock.shift(timedelta(minutes=10))
        assert run(client).status_code == 200
        clock.shift(timedelta(minutes=5))
        refused = run(client)
        assert refused.status_code == 429
        assert refused["Retry-After"] == str(45 * 60)
        message = "You have started 2 simulations in the last hour, the most allowed. Try again "
        assert message + "in 45 minutes" in refused.content.decode()
        assert WebSimulation.objects.filter(user=analyst).count() == 2

        other = persona_user(next(p for p in PERSONAS if p.username == "coordinator"))
        client.force_login(other)
        assert run(client).status_code == 200  # another user's allowance is their own
        clock.shift(timedelta(minutes=45, seconds=1))
        client.force_login(analyst)  # a new session: the last one has been idle too long
        assert run(client).status_code == 200


def test_sec_46_one_simulation_at_a_time_per_user(client, analyst):
    now = timezone.now()
    WebSimulation.objects.create(user=analyst, started_at=now, runs=300, run_years=18_000)
    refused = run(client)
    assert refused.status_code == 429
    assert "You already have a simulation running" in refused.content.decode()
    # One left unfinished by a failed request stops counting as running after ten minutes.
    WebSimulation.objects.update(started_at=now - timedelta(minutes=11))
    assert run(client).status_code == 200
    assert WebSimulation.objects.filter(finished_at__isnull=True).count() == 1
