"""Observed totals: receptions weighted into UKDPC's range, the totals with no published figure
named as such, and the crime count per person-year against a published lower bound."""

import numpy as np
import pytest

from turnpoint.simulator import cli, outputs
from turnpoint.simulator.runner import simulate
from turnpoint.simulator.scenario import load_scenario

from .helpers import SCENARIOS, baseline


def test_tilted_weights_bring_the_mean_to_the_nearer_end_of_the_interval():
    rng = np.random.default_rng(3)
    values = rng.gamma(4.0, 15_000.0, size=500)  # mean about 60,000
    mean = values.mean()
    for low, high in ((mean + 5_000, mean + 20_000), (mean - 20_000, mean - 5_000)):
        tilt = outputs.tilt_weights(values, low, high)
        w = tilt["weights"]
        aim = low if low > mean else high
        assert outputs.weighted_mean(values, w) == pytest.approx(aim, rel=1e-9)
        assert w.mean() == pytest.approx(1.0, rel=1e-12)
        assert tilt["ess"] == pytest.approx(w.sum() ** 2 / (w**2).sum(), rel=1e-12)
        assert 1 < tilt["ess"] < values.size  # weighting costs effective draws
    inside = outputs.tilt_weights(values, mean - 1, mean + 1)
    assert np.array_equal(inside["weights"], np.ones(500)) and inside["ess"] == 500
    beyond = outputs.tilt_weights(values, values.max() + 1, values.max() + 2)
    assert beyond["weights"] is None


def _small(path):
    scenario = load_scenario(path)
    scenario.horizon_years, scenario.warm_up_years = 1, 2
    return scenario


def test_receptions_target_weights_the_policy_results(monkeypatch):
    """With a target interval above the plain mean, the status quo's weighted receptions land on
    its low end, the policy's weighted NPV is the weighted mean of its per-run NPVs, and the
    text names the source and the effective sample size."""
    policy = _small(SCENARIOS / "ew_drug_court_for_short_custody.yaml")
    base = baseline()
    base.horizon_years = 1
    result = simulate(policy, runs=60, seed=9)
    quo = simulate(base, runs=60, seed=9)
    receptions = quo.totals["by_group.custody_receptions"].sum(axis=1)
    low = float(receptions.mean() + 0.5 * receptions.std())
    target = {**outputs.TARGETS["england_and_wales"][0], "low": low, "high": low + 1_000}
    monkeypatch.setitem(outputs.TARGETS, "england_and_wales", [target])
    cal = outputs.calibration(result, quo)
    row = cal["weighted_targets"][0]
    assert row["weighted_mean"] == pytest.approx(low, rel=1e-9)
    assert row["model"]["mean"] == pytest.approx(receptions.mean(), rel=1e-12)
    assert "UKDPC 2008" in row["source"]
    assert 1 < cal["effective_sample_size"] < 60
    w = outputs.tilt_weights(receptions, low, low + 1_000)["weights"]
    npv = outputs.comparison_columns(result, quo)["economics.npv"]
    assert cal["weighted_results"]["npv_mean"] == pytest.approx(
        float((w * npv).sum() / w.sum()), rel=1e-9
    )
    assert cal["weighted_results"]["npv_mean"] != pytest.approx(float(npv.mean()), rel=1e-6)
    text = "\n".join(cli.format_calibration(cal))
    assert "UKDPC 2008" in text and "effective sample size" in text


def test_shipped_baseline_receptions_inside_ukdpc_range_leave_draws_unweighted():
    """The E&W status quo with its 20-year warm-up: custody receptions inside 45,000-65,000, so
    every weight is 1 and the effective sample size is the number of runs."""
    scenario = load_scenario(SCENARIOS / "ew_baseline.yaml")
    scenario.horizon_years = 2
    result = simulate(scenario, runs=20, seed=1)
    cal = outputs.calibration(result)
    row = cal["weighted_targets"][0]
    assert 45_000 <= row["model"]["mean"] <= 65_000
    assert row["weighted_mean"] == pytest.approx(row["model"]["mean"], rel=1e-12)
    assert cal["effective_sample_size"] == 20
    assert "weighted_results" not in cal


@pytest.mark.parametrize(
    ("path", "count"), [("ew_baseline.yaml", 3), ("scotland_baseline.yaml", 4)]
)
def test_totals_without_a_published_figure_are_named(path, count):
    scenario = _small(SCENARIOS / path)
    cal = outputs.calibration(simulate(scenario, runs=2, seed=1))
    measures = [t["measure"] for t in cal["no_total"]]
    assert len(measures) == count
    assert "drug-related deaths a year in this group" in measures
    assert "prison population attributable to this group" in measures
    assert all("no published total" in t["message"] for t in cal["no_total"])
    if path.startswith("scotland"):
        assert cal["weighted_targets"] == [] and cal["checks"] == []


def test_crimes_per_person_year_against_ukdpc_lower_bound():
    """NTA's 26,074 pounds a year / 196 pounds a crime = 133.0 crimes a person-year at the
    high-risk reference hazard (tolerance 0.1), against UKDPC 2008's published lower bound of
    0.31 x 365 = 113.15 (one-sided: the model must not fall below it)."""
    scenario = _small(SCENARIOS / "ew_baseline.yaml")
    check = outputs.calibration(simulate(scenario, runs=2, seed=1))["checks"][0]
    assert check["model"] == pytest.approx(26_074 / 196, abs=0.1)
    assert check["published_at_least"] == pytest.approx(113.15, abs=1e-9)
    assert check["consistent"] is True
    assert "UKDPC 2008" in check["source"]
