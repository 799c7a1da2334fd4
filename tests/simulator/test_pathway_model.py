"""Behaviour of the weekly pathway model that the policy comparisons depend on."""

import numpy as np

from turnpoint.simulator import model
from turnpoint.simulator.runner import model_inputs, simulate
from turnpoint.simulator.scenario import load_scenario

from .helpers import SCENARIOS, baseline, point_draws


def _run(scenario, runs=4, seed=2, years=3):
    scenario.horizon_years = years
    scenario.warm_up_years = 2
    return simulate(scenario, runs=runs, seed=seed)


def test_people_are_conserved():
    """Everyone who entered is alive in some state or counted as a death."""
    scenario = baseline()
    scenario.horizon_years = 3
    inputs = model_inputs(scenario, point_draws(scenario))
    out = model.run(inputs)
    entered = inputs.entrants_per_week * inputs.weeks
    accounted = (
        out["alive_at_end"]
        + out["by_group.deaths_drug"].sum(1)
        + out["by_group.deaths_other"].sum(1)
    )
    assert np.allclose(accounted, entered, rtol=1e-9)


def test_capacity_is_never_exceeded_and_overflow_goes_to_custody():
    capped = load_scenario(SCENARIOS / "ew_drug_court_for_short_custody.yaml")
    uncapped = load_scenario(SCENARIOS / "ew_drug_court_for_short_custody.yaml")
    capped.capacity = {"drug_court": 3000}
    uncapped.capacity = {}
    a, b = _run(capped), _run(uncapped)
    assert np.all(a.totals["peak_places.drug_court"] <= 3000 + 1e-6)
    assert np.all(b.totals["peak_places.drug_court"] > 3000)
    assert np.all(
        a.totals["by_group.custody_receptions"].sum(1)
        > b.totals["by_group.custody_receptions"].sum(1)
    )


def test_ost_for_all_lowers_drug_deaths_in_every_draw():
    base = _run(baseline())
    ost = _run(load_scenario(SCENARIOS / "ew_ost_continuity_for_all.yaml"))
    assert np.all(
        ost.totals["by_group.deaths_drug"].sum(1) < base.totals["by_group.deaths_drug"].sum(1)
    )
    assert np.all(ost.totals["cost_ost"] > base.totals["cost_ost"])


def test_drug_court_instead_of_custody_saves_prison_places():
    base = _run(baseline())
    court = _run(load_scenario(SCENARIOS / "ew_drug_court_for_short_custody.yaml"))
    assert np.all(court.totals["prison_bed_days"] < base.totals["prison_bed_days"])
    assert np.all(court.totals["completions.drug_court"] > 0)
    assert np.all(base.totals["starts.drug_court"] == 0)


def test_a_stronger_drug_court_effect_means_fewer_reconvictions():
    scenario = load_scenario(SCENARIOS / "ew_drug_court_for_short_custody.yaml")
    scenario.horizon_years = 3
    weak = point_draws(scenario, **{"effect.drug_court": 0.0})
    strong = point_draws(scenario, **{"effect.drug_court": -0.5})
    r_weak = model.run(model_inputs(scenario, weak))["by_group.reconvictions"].sum()
    r_strong = model.run(model_inputs(scenario, strong))["by_group.reconvictions"].sum()
    assert r_strong < r_weak


def test_nobody_enters_nothing_happens():
    scenario = baseline()
    scenario.entrants_per_year, scenario.arrivals_per_year = 0.0, None  # new people: none
    out = _run(scenario, runs=2, years=1)
    assert out.totals["prison_bed_days"].sum() == 0
    assert out.totals["by_group.deaths_drug"].sum() == 0


def test_a_risk_level_can_have_its_own_disposal_mix():
    """R7: only high-risk people go to the drug court in the high-risk-only scenario."""
    scenario = load_scenario(SCENARIOS / "ew_drug_court_high_risk_only.yaml")
    high = model.SUBGROUPS["risk"] == model.RISKS.index("high")
    court = model.DISPOSALS.index("drug_court")
    assert np.all(scenario.mix[high, court] == 0.15)
    assert np.all(scenario.mix[~high, court] == 0.0)
    out = _run(scenario, runs=2, years=1)
    starts = out.totals["by_group.starts"]
    assert np.all(starts[:, ~high] < starts[:, high])
