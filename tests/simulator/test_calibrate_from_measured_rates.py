"""Calibration: a programme's measured funnel, completion and reoffending become overrides."""

import math

import numpy as np
import pytest

from turnpoint.simulator.calibration import MeasuredRates, calibrate, calibrated_scenario_data
from turnpoint.simulator.effects import probability_from_effect
from turnpoint.simulator.errors import SimulatorInputError
from turnpoint.simulator.scenario import scenario_from_data

from .helpers import SCENARIOS, baseline_data

MEASURED = MeasuredRates(
    programme="drug_court",
    source="Turnpoint analytics, test area, 2025",
    reached_decision=1000,
    started=120,
    exits=100,
    completed=55,
    mean_weeks_in_programme=34.0,
    followed_up=100,
    reconvicted=40,
    comparison_followed_up=200,
    comparison_reconvicted=110,
)


def test_completion_duration_and_share_are_the_measured_ones():
    result = calibrate(MEASURED)
    completion = result["parameters"]["programme.drug_court.completion"]
    assert completion["value"] == 0.55
    assert completion["distribution"]["sd"] == pytest.approx(math.sqrt(0.55 * 0.45 / 100))
    assert "55 of 100" in completion["source"]
    assert result["parameters"]["programme.drug_court.duration_weeks"]["value"] == 34.0
    assert result["disposal_share"] == pytest.approx(0.12)


def test_effect_reproduces_the_measured_reconviction_rate():
    """The derived d turns the comparison rate (55%) back into the participants' rate (40%), and
    its SD is Woolf's SE of ln(OR) divided by 1.65."""
    effect = calibrate(MEASURED)["parameters"]["effect.drug_court"]
    assert float(probability_from_effect(0.55, effect["value"])) == pytest.approx(0.40)
    woolf = math.sqrt(1 / 40 + 1 / 60 + 1 / 110 + 1 / 90)
    assert effect["distribution"]["sd"] == pytest.approx(woolf / 1.65)


def test_no_effect_without_a_comparison_group():
    measured = MeasuredRates(programme="dtto", source="x", followed_up=50, reconvicted=20)
    result = calibrate(measured)
    assert "effect.dtto" not in result["parameters"]
    assert result["notes"]


def test_calibrated_scenario_loads_and_uses_the_figures():
    data = calibrated_scenario_data(baseline_data(), MEASURED)
    scenario = scenario_from_data(data, "calibrated.yaml", SCENARIOS)
    assert scenario.params["programme.drug_court.completion"].value == 0.55
    assert scenario.params["programme.drug_court.completion"].status == "derived"
    assert np.allclose(scenario.mix.sum(axis=1), 1.0)
    assert "measured" in scenario.sources["disposal_mix"]


def test_impossible_counts_are_refused():
    bad = MeasuredRates(programme="drug_court", source="x", exits=10, completed=11)
    with pytest.raises(SimulatorInputError, match="completed"):
        calibrate(bad)
    with pytest.raises(SimulatorInputError, match="programme"):
        calibrate(MeasuredRates(programme="boot_camp", source="x"))
