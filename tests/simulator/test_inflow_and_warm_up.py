"""Arrivals-based inflow is calibrated on the status quo; warm-up starts from a filled system."""

import pytest

from turnpoint.simulator import model
from turnpoint.simulator.runner import model_inputs, plan, point_draws, simulate, weeks
from turnpoint.simulator.scenario import load_scenario

from .helpers import SCENARIOS, baseline


def test_first_year_arrivals_match_the_published_count():
    """UKDPC 2008: about 125,000 arrestees a year with problem drug use. With point values, the
    derived number of new people gives exactly that many arrivals at the decision in the first
    year after the warm-up (the model is linear in its inflow, so the match is exact)."""
    scenario = baseline()
    p = plan(scenario, runs=1, seed=0)
    assert scenario.entrants_per_year < 125_000  # many arrivals are people coming back
    warm = model_inputs(scenario, point_draws(scenario), keep_series=False)
    warm.weeks = weeks(scenario.warm_up_years)
    _, state = model.run_with_state(warm)
    first_year = model_inputs(scenario, point_draws(scenario))
    first_year.weeks = weeks(1)
    arrivals = model.run(first_year, state)["by_group.arrivals"].sum()
    assert arrivals == pytest.approx(125_000, rel=1e-9)
    assert "derived" in scenario.sources["inflow.new_people"]
    assert p.warm_scenario is not None


def test_policy_and_baseline_share_inflow_and_starting_state():
    base = baseline()
    policy = load_scenario(SCENARIOS / "ew_ost_continuity_for_all.yaml")
    for s in (base, policy):
        s.horizon_years = 1
        s.warm_up_years = 2
    a = simulate(base, runs=3, seed=4)
    b = simulate(policy, runs=3, seed=4)
    assert policy.entrants_per_year == base.entrants_per_year
    first_week = a.series["prison_population"][0]
    assert first_week > 0  # the horizon does not start from an empty prison
    assert first_week == b.series["prison_population"][0]
