"""Small helpers shared by the simulator tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from turnpoint.simulator.scenario import Scenario, load_scenario, required_parameter_names

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def baseline() -> Scenario:
    """The shipped England and Wales baseline, with a two-year warm-up to keep tests fast."""
    scenario = load_scenario(SCENARIOS / "ew_baseline.yaml")
    scenario.warm_up_years = 2
    return scenario


def point_draws(scenario: Scenario, **overrides: float) -> dict[str, np.ndarray]:
    """One draw with every parameter at its point value (missing ones at zero)."""
    draws = {}
    for name in required_parameter_names():
        value = scenario.params[name].value
        draws[name] = np.array([0.0 if value is None else float(value)])
    for name, value in overrides.items():
        draws[name.replace("__", ".")] = np.array([float(value)])
    return draws


def baseline_data() -> dict:
    return yaml.safe_load((SCENARIOS / "ew_baseline.yaml").read_text())


def write_yaml(path: Path, data) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path
