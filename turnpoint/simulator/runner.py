"""Run a scenario for many draws: sample parameters once, then run the model chunk by chunk.

Two things happen before the horizon starts:

* **Inflow.** A scenario gives either ``entrants_per_year`` (new people) or ``arrivals_per_year``
  (everyone reaching the disposal decision in a year, new or reconvicted, as published counts of
  arrestees are). For the second, the number of new people is derived once, with point values,
  from the status quo (the scenario's baseline, or itself): the model is linear in its inflow, so
  new people = target arrivals / arrivals per new person in the first year of the horizon. A policy
  then changes arrivals through reconvictions, never through the inflow.
* **Warm-up.** With ``warm_up_years``, every draw first runs the status quo for that long and the
  horizon starts from the state it reaches, so prison places and people at liberty are not counted
  from an empty system. A policy and its baseline start from the same state.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from turnpoint.simulator import model
from turnpoint.simulator.scenario import Scenario, load_scenario, required_parameter_names

DEFAULT_CHUNK = 250


@dataclass
class RunResult:
    scenario: Scenario
    seed: int
    runs: int
    draws: dict[str, np.ndarray]  # parameter name -> (runs,)
    totals: dict[str, np.ndarray]  # output name -> (runs,) or (runs, G)
    series: dict[str, np.ndarray] = field(default_factory=dict)  # weekly means over the runs


def status_quo(scenario: Scenario) -> Scenario:
    """The scenario the inflow is calibrated on and the warm-up runs: the baseline, or itself."""
    return load_scenario(scenario.compare_to) if scenario.compare_to is not None else scenario


def point_draws(scenario: Scenario) -> dict[str, np.ndarray]:
    """One draw with every parameter at its point value (figures counted as zero at zero)."""
    return {
        name: np.array(
            [0.0 if scenario.params[name].value is None else scenario.params[name].value]
        )
        for name in required_parameter_names()
    }


def resolve_inflow(scenario: Scenario) -> Scenario:
    """Fill in ``entrants_per_year`` from ``arrivals_per_year`` (see the module docstring)."""
    if scenario.entrants_per_year is not None:
        return scenario
    base = status_quo(scenario)
    unit = replace(base, entrants_per_year=model.WEEKS_PER_YEAR, capacity={})  # 1 a week
    inputs = model_inputs(unit, point_draws(base), keep_series=False)
    initial = None
    if scenario.warm_up_years:  # the scenario's own warm-up, so a policy and its baseline agree
        inputs.weeks = weeks(scenario.warm_up_years)
        initial = model.run_with_state(inputs)[1]
    inputs.weeks = weeks(1)
    per_weekly_entrant = float(model.run(inputs, initial)["by_group.arrivals"].sum())
    scenario.entrants_per_year = (
        scenario.arrivals_per_year * model.WEEKS_PER_YEAR / per_weekly_entrant
    )
    scenario.sources["inflow.new_people"] = (
        f"derived: {scenario.entrants_per_year:,.0f} new people a year give"
        f" {scenario.arrivals_per_year:,.0f} arrivals at the decision in the horizon's first year"
        f" (point values of {base.name}, after {scenario.warm_up_years} years of warm-up)"
    )
    return scenario


def weeks(years: float) -> int:
    return round(years * 365.25 / 7)


def model_inputs(scenario: Scenario, draws: dict[str, np.ndarray], *, keep_series: bool = True):
    resolve_inflow(scenario)
    return model.ModelInputs(
        weeks=scenario.weeks,
        entrants_per_week=scenario.entrants_per_year / model.WEEKS_PER_YEAR,
        shares=scenario.shares,
        mix=scenario.mix,
        capacity=scenario.capacity,
        overflow=scenario.overflow,
        draws=draws,
        discount_rate=draws["economics.discount_rate"],
        health_discount_rate=draws["economics.health_discount_rate"],
        value_deaths=scenario.value_deaths,
        keep_series=keep_series,
        comparisons=scenario.comparisons,
    )


def calibrate_inflow(
    status_quo_scenario: Scenario,
    draws: dict[str, np.ndarray],
    *,
    arrivals_per_year: float,
    warm_up_years: int,
) -> tuple[np.ndarray, model.State | None]:
    """New people a week for each draw, so that the status quo has exactly ``arrivals_per_year``
    arrivals in the horizon's first year in every draw, and the state the warm-up reaches.

    The model is linear in its inflow while no programme is full: the status quo is run once
    with one new person a week, and each draw's inflow and warm state are that run scaled. When
    the status quo caps a programme, the warm-up is run again at each draw's own inflow.
    """
    unit = model_inputs(
        replace(status_quo_scenario, entrants_per_year=model.WEEKS_PER_YEAR, capacity={}),
        draws,
        keep_series=False,
    )
    state = None
    if warm_up_years:
        unit.weeks = weeks(warm_up_years)
        state = model.run_with_state(unit)[1]
    unit.weeks = weeks(1)
    per_weekly_entrant = model.run(unit, state)["by_group.arrivals"].sum(axis=1)  # (D,)
    factor = arrivals_per_year / per_weekly_entrant  # new people a week, per draw
    if state is None:
        return factor, None
    if status_quo_scenario.capacity:
        warm = model_inputs(status_quo_scenario, draws, keep_series=False)
        warm.entrants_per_week, warm.weeks = factor, weeks(warm_up_years)
        return factor, model.run_with_state(warm)[1]
    return factor, state.scaled(factor)


@dataclass
class Plan:
    """Everything needed to run any chunk of draws, anywhere (a Dask task gets one of these).

    With ``status_quo_draws`` (a scenario given by its arrivals), each draw's inflow is
    calibrated on the status quo with that draw's own parameters (``calibrate_inflow``).
    """

    scenario: Scenario
    draws: dict[str, np.ndarray]
    warm_scenario: Scenario | None = None
    warm_draws: dict[str, np.ndarray] | None = None
    status_quo: Scenario | None = None
    status_quo_draws: dict[str, np.ndarray] | None = None

    def chunk(self, start: int, stop: int, *, keep_series: bool = True) -> dict[str, np.ndarray]:
        initial = None
        inputs = model_inputs(self.scenario, slice_draws(self.draws, start, stop))
        inputs.keep_series = keep_series
        if self.status_quo is not None:
            factor, initial = calibrate_inflow(
                self.status_quo,
                slice_draws(self.status_quo_draws, start, stop),
                arrivals_per_year=self.scenario.arrivals_per_year,
                warm_up_years=self.scenario.warm_up_years,
            )
            inputs.entrants_per_week = factor
        elif self.warm_scenario is not None:
            warm = model_inputs(
                self.warm_scenario, slice_draws(self.warm_draws, start, stop), keep_series=False
            )
            warm.weeks = weeks(self.scenario.warm_up_years)
            initial = model.run_with_state(warm)[1]
        out = model.run(inputs, initial)
        out["entrants_per_year"] = np.broadcast_to(
            inputs.entrants_per_week * model.WEEKS_PER_YEAR, (stop - start,)
        ).copy()
        return out


def plan(
    scenario: Scenario,
    *,
    runs: int,
    seed: int,
    overrides: dict[str, np.ndarray] | None = None,
) -> Plan:
    """Sample the draws; ``overrides`` replaces named parameters' draws (arrays of ``runs``
    values) in the scenario and its warm-up alike, keeping every other draw as sampled."""
    resolve_inflow(scenario)
    overrides = overrides or {}

    def drawn(s: Scenario) -> dict[str, np.ndarray]:
        draws = s.draw(runs, seed)
        for name, values in overrides.items():
            draws[name] = np.broadcast_to(np.asarray(values, dtype=float), (runs,)).copy()
        return draws

    if scenario.arrivals_per_year is not None:
        base = status_quo(scenario)
        return Plan(scenario, drawn(scenario), status_quo=base, status_quo_draws=drawn(base))
    if not scenario.warm_up_years:
        return Plan(scenario, drawn(scenario))
    base = status_quo(scenario)
    base.entrants_per_year = scenario.entrants_per_year
    return Plan(scenario, drawn(scenario), base, drawn(base))


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
    overrides: dict[str, np.ndarray] | None = None,
) -> RunResult:
    """Simulate ``runs`` Monte Carlo draws. The same seed gives the same numbers, to the last digit.

    Chunking bounds memory and does not change results: every draw's parameters are sampled up
    front and each draw's arithmetic is independent of the others.
    """
    if runs < 1:
        raise ValueError("runs must be at least 1")
    p = plan(scenario, runs=runs, seed=seed, overrides=overrides)
    parts, series = [], {}
    for start in range(0, runs, chunk_size):
        part = p.chunk(start, min(start + chunk_size, runs), keep_series=keep_series)
        # Weekly series are summed chunk by chunk, so memory does not grow with the runs.
        for key in [k for k in part if k.startswith("series.")]:
            total = part.pop(key).sum(axis=0)
            name = key.split(".", 1)[1]
            series[name] = series[name] + total if name in series else total
        parts.append(part)
    return RunResult(
        scenario=scenario,
        seed=seed,
        runs=runs,
        draws=p.draws,
        totals=concatenate(parts),
        series={name: total / runs for name, total in series.items()},
    )
