"""The vectorised cohort model agrees with a plain person-by-person loop (reference_loop.py)."""

import math

from turnpoint.simulator import model, reference_loop
from turnpoint.simulator.runner import model_inputs
from turnpoint.simulator.scenario import load_scenario

from .helpers import SCENARIOS, point_draws


def test_totals_agree_within_sampling_error():
    """The loop simulates 5% of the inflow as individuals (random events, fixed seed) and scales
    up; the model moves expected numbers. Tolerance: 4 standard errors of the loop's count
    (Poisson approximation), which a correct model passes and a wrong flow (e.g. breached people
    not reaching custody, or the release window mis-aged) fails."""
    scenario = load_scenario(SCENARIOS / "ew_drug_court_for_short_custody.yaml")
    scenario.horizon_years = 2
    inputs = model_inputs(scenario, point_draws(scenario))
    expected = model.run(inputs)
    scale = 0.05
    loop = reference_loop.run_people(inputs, seed=7, scale=scale)
    for key in ("reconvictions", "custody_weeks", "completions", "deaths_drug", "deaths_other"):
        mean = expected[f"by_group.{key}"].sum()
        events = mean * scale
        tolerance = 4 * math.sqrt(events) / scale
        if key == "custody_weeks":
            tolerance *= 4  # stays in custody are clustered: one sentence is many weeks
        assert abs(loop[key] - mean) < tolerance, (key, loop[key], mean)
