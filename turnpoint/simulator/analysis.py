"""What analysts ask of a comparison beyond its means: a one-way tornado, the value at which a
policy breaks even, and plain labels for every parameter.

* **One-way tornado.** Every uncertain parameter is set in turn to the low and then the high end
  of its 95% range (2.5th and 97.5th percentiles of its distribution), every other parameter at
  its point value, and the result (the net present value against the baseline, or the cost to
  taxpayers of a scenario without one) is recomputed. All settings run together as the draws of
  one vectorised run, so the whole tornado costs about one chunk of draws.
* **Threshold.** The value of one named parameter at which the mean net present value is zero,
  found by bisection (alternating with a secant step, which lands at once when the result is
  linear in the parameter, as it is for a cost) over common random numbers: every evaluation uses
  the same seed and so the same draws of every other parameter.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from turnpoint.simulator import economics, outputs, runner
from turnpoint.simulator.errors import SimulatorInputError
from turnpoint.simulator.labels import label
from turnpoint.simulator.parameters import parameter_rng
from turnpoint.simulator.scenario import Scenario, required_parameter_names


def _range(scenario: Scenario, name: str, seed: int) -> tuple[float, float] | None:
    """The 2.5th and 97.5th percentiles of a parameter's distribution, or None if it is fixed."""
    param = scenario.params[name]
    if param.is_missing or param.distribution["type"] == "fixed":
        return None
    draws = param.sample(parameter_rng(seed, name), 20_000)
    low, high = np.percentile(draws, (2.5, 97.5))
    return float(low), float(high)


def _point(scenario: Scenario) -> dict[str, float]:
    return {name: float(v[0]) for name, v in runner.point_draws(scenario).items()}


def one_way(scenario: Scenario, baseline: Scenario | None, *, seed: int = 1, top: int = 12) -> dict:
    """Result at each uncertain parameter's low and high value, the others at point values."""
    names = required_parameter_names()
    ranges = {
        s_key: {n: r for n in names if (r := _range(s, n, seed)) is not None}
        for s_key, s in (("scenario", scenario), ("baseline", baseline))
        if s is not None
    }
    varied = sorted(set().union(*(r.keys() for r in ranges.values())))
    settings = [None] + [(n, end) for n in varied for end in (0, 1)]

    def draws_for(s: Scenario, key: str) -> dict[str, np.ndarray]:
        point = _point(s)
        out = {n: np.full(len(settings), point[n]) for n in names}
        for i, setting in enumerate(settings[1:], start=1):
            name, end = setting
            if name in ranges[key]:
                out[name][i] = ranges[key][name][end]
        return out

    scen = runner.simulate(
        replace(scenario),
        runs=len(settings),
        seed=seed,
        keep_series=False,
        overrides=draws_for(scenario, "scenario"),
    )
    if baseline is not None:
        base = runner.simulate(
            replace(baseline),
            runs=len(settings),
            seed=seed,
            keep_series=False,
            overrides=draws_for(baseline, "baseline"),
        )
        result = economics.compare(
            scen.totals, base.totals, deadweight=scenario.deadweight_cost_of_taxation
        )["npv"]
        target = "net present value"
    else:
        cols = outputs.outcome_columns(scen)
        result = cols["payer.taxpayer_justice"] + cols["payer.taxpayer_health"]
        target = "cost to taxpayers"
    rows = []
    for k, name in enumerate(varied):
        low_i, high_i = 1 + 2 * k, 2 + 2 * k
        rng = ranges.get("scenario", {}).get(name) or ranges["baseline"][name]
        rows.append(
            {
                "parameter": name,
                "label": label(name),
                "low_value": rng[0],
                "high_value": rng[1],
                "result_at_low": float(result[low_i]),
                "result_at_high": float(result[high_i]),
                "swing": float(abs(result[high_i] - result[low_i])),
            }
        )
    rows.sort(key=lambda r: -r["swing"])
    return {"target": target, "base_result": float(result[0]), "parameters": rows[:top]}


def default_bracket(scenario: Scenario, name: str) -> tuple[float, float]:
    param = scenario.params[name]
    value = float(param.value or 0.0)
    if param.unit == "effect_size_d":
        return -1.0, 1.0
    if param.unit == "probability":
        return 1e-6, 1 - 1e-6
    if param.unit == "discount_rate":
        return 0.0, 0.10
    return 0.0, 10 * value if value > 0 else 1.0


def threshold(
    scenario: Scenario,
    baseline: Scenario,
    name: str,
    *,
    runs: int,
    seed: int,
    bracket: tuple[float, float] | None = None,
    rel_tol: float = 1e-4,
    max_evaluations: int = 40,
) -> dict:
    """The value of parameter ``name`` at which the mean net present value is zero."""
    if name not in required_parameter_names():
        raise SimulatorInputError(scenario.file, "--threshold", f"unknown parameter {name!r}")
    low, high = bracket or default_bracket(scenario, name)
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise SimulatorInputError(
            scenario.file, "--threshold", f"needs a range LOW < HIGH (got {low:g} to {high:g})"
        )
    evaluations: list[dict] = []

    def mean_npv(value: float) -> float:
        fixed = {name: np.full(runs, value)}
        scen = runner.simulate(
            replace(scenario), runs=runs, seed=seed, keep_series=False, overrides=fixed
        )
        base = runner.simulate(
            replace(baseline), runs=runs, seed=seed, keep_series=False, overrides=fixed
        )
        npv = economics.compare(
            scen.totals, base.totals, deadweight=scenario.deadweight_cost_of_taxation
        )["npv"]
        out = float(np.mean(npv))
        evaluations.append({"value": value, "mean_npv": out})
        return out

    f_low, f_high = mean_npv(low), mean_npv(high)
    base = {
        "parameter": name,
        "label": label(name),
        "runs": runs,
        "seed": seed,
        "searched": [low, high],
        "point_value": scenario.params[name].value,
    }
    if f_low == 0 or f_high == 0:
        value = low if f_low == 0 else high
        return {**base, "breaks_even_at": value, "evaluations": evaluations}
    if (f_low > 0) == (f_high > 0):
        return {
            **base,
            "breaks_even_at": None,
            "message": (
                f"The policy does not break even for {label(name).lower()} between {low:g}"
                f" and {high:g}: the mean net present value is {f_low:,.0f} and {f_high:,.0f}"
                " at the two ends"
            ),
            "evaluations": evaluations,
        }
    scale = max(abs(f_low), abs(f_high))
    step = 0
    mid = low
    while len(evaluations) < max_evaluations:
        secant = low - f_low * (high - low) / (f_high - f_low)
        use_secant = step % 2 == 0 and low < secant < high
        mid = secant if use_secant else 0.5 * (low + high)
        f_mid = mean_npv(mid)
        step += 1
        if abs(f_mid) <= 1e-9 * scale:
            break
        if (f_mid > 0) == (f_low > 0):
            low, f_low = mid, f_mid
        else:
            high, f_high = mid, f_mid
        if high - low <= rel_tol * max(abs(low), abs(high), 1e-12):
            mid = low - f_low * (high - low) / (f_high - f_low)
            break
    return {**base, "breaks_even_at": float(mid), "evaluations": evaluations}
