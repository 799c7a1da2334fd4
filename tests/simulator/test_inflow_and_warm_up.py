"""Arrivals-based inflow is calibrated on the status quo; warm-up starts from a filled system."""

import numpy as np
import pytest

from turnpoint.simulator import model, outputs
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
    assert p.status_quo is not None  # the warm-up runs the status quo, calibrated per draw


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


def test_every_draw_has_the_published_arrivals_in_the_status_quo():
    """Calibrated per draw: each draw derives its own number of new people from its own
    parameters, so the status quo has 125,000 arrivals in the horizon's first year in every
    draw (tolerance 1e-9 relative), not only with point values; a policy and its baseline use
    the same new people in each draw."""
    scenario = baseline()
    scenario.horizon_years = 1
    result = simulate(scenario, runs=40, seed=6)
    arrivals = result.totals["by_group.arrivals"].sum(axis=1)
    assert arrivals == pytest.approx(np.full(40, 125_000.0), rel=1e-9)
    new_people = result.totals["entrants_per_year"]
    assert new_people.std() / new_people.mean() > 0.01  # draws differ, so new people do too
    policy = load_scenario(SCENARIOS / "ew_ost_continuity_for_all.yaml")
    policy.horizon_years, policy.warm_up_years = 1, 2
    other = simulate(policy, runs=40, seed=6)
    assert np.array_equal(other.totals["entrants_per_year"], new_people)
    summary = outputs.summary(result)
    target = summary["calibration"]["targets"][0]
    assert target["target"] == 125_000 and "UKDPC 2008" in target["source"]
    weighted = summary["calibration"]["weighted_targets"][0]
    assert weighted["measure"] == "custody_receptions" and weighted["model"]["mean"] > 0


def test_the_scaled_warm_state_equals_a_warm_up_run_at_that_inflow():
    """The per-draw calibration scales a unit-inflow warm-up (linearity); running the warm-up at
    the draw's own inflow gives the same state (relative 1e-9)."""
    from turnpoint.simulator.runner import calibrate_inflow, status_quo

    scenario = baseline()
    draws = scenario.draw(5, 2)
    factor, state = calibrate_inflow(
        status_quo(scenario), draws, arrivals_per_year=125_000, warm_up_years=2
    )
    warm = model_inputs(scenario, draws, keep_series=False)
    warm.entrants_per_week, warm.weeks = factor, weeks(2)
    direct = model.run_with_state(warm)[1]
    for name in ("free_ref", "free_hist", "custody", "released", "hist_ring"):
        assert np.allclose(getattr(state, name), getattr(direct, name), rtol=1e-9, atol=1e-9)
