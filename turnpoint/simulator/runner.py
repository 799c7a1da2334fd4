"""Run a scenario for many draws: sample parameters once, then run the model chunk by chunk."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from turnpoint.simulator import model
from turnpoint.simulator.scenario import Scenario

DEFAULT_CHUNK = 250


@dataclass
class RunResult:
    scenario: Scenario
    seed: int
    runs: int
    draws: dict[str, np.ndarray]  # parameter name -> (runs,)
    totals: dict[str, np.ndarray]  # output name -> (runs,), (runs, G) or (runs, weeks)


def model_inputs(scenario: Scenario, draws: dict[str, np.ndarray], *, keep_series: bool = True):
    return model.ModelInputs(
        weeks=scenario.weeks,
        entrants_per_week=scenario.entrants_per_year / model.WEEKS_PER_YEAR,
        shares=scenario.shares,
        mix=scenario.mix,
        capacity=scenario.capacity,
        overflow=scenario.overflow,
        draws=draws,
        discount_rate=draws["economics.discount_rate"],
        value_deaths=scenario.value_deaths,
        keep_series=keep_series,
    )


def run_draws(
    scenario: Scenario, draws: dict[str, np.ndarray], *, keep_series: bool = True
) -> dict:
    """Run the model for the given (already sampled) draws, in one go."""
    return model.run(model_inputs(scenario, draws, keep_series=keep_series))


def slice_draws(draws: dict[str, np.ndarray], start: int, stop: int) -> dict[str, np.ndarray]:
    return {name: values[start:stop] for name, values in draws.items()}


def concatenate(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {key: np.concatenate([p[key] for p in parts], axis=0) for key in parts[0]}


def simulate(
    scenario: Scenario,
    *,
    runs: int,
    seed: int,
    chunk_size: int = DEFAULT_CHUNK,
    keep_series: bool = True,
) -> RunResult:
    """Simulate ``runs`` Monte Carlo draws. The same seed gives the same numbers, to the last digit.

    Chunking bounds memory and does not change results: every draw's parameters are sampled up
    front and each draw's arithmetic is independent of the others.
    """
    if runs < 1:
        raise ValueError("runs must be at least 1")
    draws = scenario.draw(runs, seed)
    parts = [
        run_draws(scenario, slice_draws(draws, start, start + chunk_size), keep_series=keep_series)
        for start in range(0, runs, chunk_size)
    ]
    return RunResult(
        scenario=scenario, seed=seed, runs=runs, draws=draws, totals=concatenate(parts)
    )
