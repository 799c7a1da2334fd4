"""Each effect is applied against the condition its study compared with, and the model's own
rates reproduce the source contrasts.

- WSIPP adult drug courts: d = -0.255 against usual processing (the model's "none" disposal).
- MoJ matched analyses: custody under 12 months about 4 points worse than a court order, from
  which effect.custody = +0.101 is derived; the 62% one-year rate was observed after custody.

Before this, the high-risk reference (62%, after custody) was used as the no-intervention rate
and custody's effect was added on top, so custody gave 66% and a drug court's contrast with
custody was larger than the sources say.
"""

import dataclasses

import numpy as np
import pytest

from turnpoint.simulator import model, outputs
from turnpoint.simulator.effects import effect_from_probabilities
from turnpoint.simulator.errors import SimulatorInputError
from turnpoint.simulator.runner import model_inputs, simulate
from turnpoint.simulator.scenario import load_scenario

from .helpers import SCENARIOS, baseline, baseline_data, point_draws, write_yaml

HIGH = model.SUBGROUPS["risk"] == model.RISKS.index("high")
LOW = ~HIGH


def _one_year(scenario) -> dict[str, np.ndarray]:
    """One-year reconviction probability by disposal and risk, from the model's own hazards."""
    inputs = model_inputs(scenario, point_draws(scenario))
    lam = model.hazards(inputs.draws, inputs.comparisons)
    out = {"none": 1 - np.exp(-lam["ref"][0] * model.WEEKS_PER_YEAR)}
    for i, h in enumerate(model.HISTORIES):
        out[h] = 1 - np.exp(-lam["hist"][0, :, i] * model.WEEKS_PER_YEAR)
    return out


def test_model_rates_reproduce_the_source_contrasts():
    p = _one_year(baseline())
    # WSIPP: drug court against usual processing, d = -0.255 (exact to 1e-9).
    d = effect_from_probabilities(p["none"], p["drug_court"])
    assert np.allclose(d, -0.255, atol=1e-9)
    # MoJ: after short custody, higher risk, 62% exactly, as observed.
    assert np.allclose(p["custody"][HIGH], 0.62, atol=1e-12)
    # ... and custody is about 4 points above a court order (the matched difference; 0.101 was
    # derived from 58% -> 62% and rounded, so within 0.1 point).
    assert np.allclose(p["custody"][HIGH] - p["none"][HIGH], 0.04, atol=0.001)
    assert np.allclose(effect_from_probabilities(p["none"], p["custody"]), 0.101, atol=1e-9)
    # Lower risk: 34% was observed after a court order, the model's no treatment disposal.
    assert np.allclose(p["none"][LOW], 0.34, atol=1e-12)
    # Drug court against custody is the two effects against the one reference: -0.255 - 0.101.
    against_custody = effect_from_probabilities(p["custody"], p["drug_court"])
    assert np.allclose(against_custody, -0.356, atol=1e-9)


def test_a_reference_rate_observed_after_custody_is_taken_back_to_no_disposal():
    scenario = baseline()
    p = _one_year(scenario)
    assert np.all(p["none"][HIGH] < 0.62)  # 58%, not the after-custody 62%
    # Saying the rate was observed with no treatment disposal moves the whole ladder up.
    name = "reoffending.reference_one_year.high"
    scenario.params[name] = dataclasses.replace(scenario.params[name], comparison="none")
    assert np.allclose(_one_year(scenario)["none"][HIGH], 0.62)


def test_the_weekly_loop_reconvicts_at_the_drug_court_rate_against_usual_processing():
    """Through the model's weekly step: one week of arrivals, all sent to one disposal, with
    deaths off; reconvictions that week / people = the weekly probability, which over a year
    gives the one-year rate. WSIPP's d = -0.255 against usual processing comes back (1e-9)."""
    scenario = baseline()
    weekly = {}
    for disposal in ("none", "drug_court"):
        mix = np.zeros(len(model.DISPOSALS))
        mix[model.DISPOSALS.index(disposal)] = 1.0
        scenario.mix = np.tile(mix, (model.N_SUBGROUPS, 1))
        draws = point_draws(scenario)
        for name in draws:
            if name.startswith(("mortality.other_cause", "mortality.drd_liberty")):
                draws[name] = np.array([0.0])
        inputs = model_inputs(scenario, draws, keep_series=False)
        inputs.weeks = 1
        out = model.run(inputs)
        weekly[disposal] = out["by_group.reconvictions"][0] / out["by_group.arrivals"][0]
    one_year = {k: 1 - (1 - q) ** model.WEEKS_PER_YEAR for k, q in weekly.items()}
    d = effect_from_probabilities(one_year["none"], one_year["drug_court"])
    assert np.allclose(d, -0.255, atol=1e-9)
    assert np.allclose(one_year["none"][LOW], 0.34, atol=1e-9)


def test_the_summary_shows_which_contrast_a_policy_rests_on(tmp_path):
    data = baseline_data()
    data["horizon_years"], data["warm_up_years"] = 1, 1
    write_yaml(tmp_path / "ew_baseline.yaml", data)
    policy = (SCENARIOS / "ew_drug_court_for_short_custody.yaml").read_text()
    (tmp_path / "policy.yaml").write_text(policy)
    scenario = load_scenario(tmp_path / "policy.yaml")
    base = load_scenario(scenario.compare_to)
    summary = outputs.summary(simulate(scenario, runs=2, seed=1), simulate(base, runs=2, seed=1))
    c = summary["contrasts"]
    court = next(e for e in c["effects"] if e["disposal"] == "drug_court")
    assert court["measured_against"] == "none" and court["effect"] == -0.255
    high = next(r for r in c["reference_rates"] if r["risk"] == "high")
    assert high["observed_after"] == "custody" and high["no_treatment_disposal_rate"] < 0.59
    (row,) = c["policy"]
    assert (row["from"], row["to"]) == ("custody", "drug_court")
    assert row["d"] == pytest.approx(-0.356)
    assert "drug treatment court instead of short custody" in row["words"]


def test_an_effect_cannot_be_measured_against_itself_or_in_a_loop(tmp_path):
    data = baseline_data()
    data["parameters"]["effect.dtto"]["comparison"] = "dtto"
    with pytest.raises(SimulatorInputError, match="against itself"):
        load_scenario(write_yaml(tmp_path / "a.yaml", data))
    data = baseline_data()
    data["parameters"]["effect.dtto"]["comparison"] = "cpo"
    data["parameters"]["effect.cpo"]["comparison"] = "dtto"
    with pytest.raises(SimulatorInputError, match="loop"):
        load_scenario(write_yaml(tmp_path / "b.yaml", data))
