"""How long a run will take and how much memory it will need, estimated before it starts.

The model's work is one weekly step after another for each chunk of draws, and each step touches
every state of every subgroup of every draw in the chunk: time grows with runs x simulated weeks
(warm-up plus horizon, for the scenario and again for its baseline) x 24 subgroups x the states
per subgroup. Rather than trust a constant measured on another machine, the estimate times a few
weeks of the model on this machine, now, with a chunk as large as the run will use, and scales:

    seconds = seconds per chunk-week (measured) x chunk-weeks (counted)

Memory is the working set of one chunk (measured with ``tracemalloc`` in the same short run) plus
what is kept for every draw: sampled parameters, totals per subgroup and, when files are asked
for, one row per run. A run whose estimate exceeds the limits is refused before it starts, with
the estimate and the most runs that would fit.
"""

from __future__ import annotations

import math
import time
import tracemalloc
from dataclasses import dataclass

import numpy as np

from turnpoint.simulator import model, runner
from turnpoint.simulator.errors import SimulatorInputError
from turnpoint.simulator.scenario import Scenario, required_parameter_names

MEASURE_WEEKS = 16
DEFAULT_MAX_MINUTES = 120.0
# Per draw and scenario: sampled parameters, totals by subgroup and scalar totals (float64), and
# the copies made when chunks are joined and comparisons computed.
KEPT_PER_DRAW = 8 * (len(required_parameter_names()) + 13 * model.N_SUBGROUPS + 40) * 3
ROW_BYTES_PER_COLUMN = 110  # a Python float in a dict row, with its key's share


@dataclass(frozen=True)
class Estimate:
    runs: int
    weeks: int  # simulated weeks per draw, all scenarios together
    chunk: int
    seconds_per_chunk_week: float
    seconds: float
    peak_bytes: int
    states_per_subgroup: int

    def describe(self) -> str:
        return (
            f"about {_duration(self.seconds)} and {self.peak_bytes / 2**20:,.0f} MiB of memory"
            f" ({self.runs:,} runs x {self.weeks:,} simulated weeks x {model.N_SUBGROUPS}"
            f" subgroups x {self.states_per_subgroup} states)"
        )

    def as_dict(self) -> dict[str, float | int]:
        return {
            "runs": self.runs,
            "simulated_weeks_per_run": self.weeks,
            "states_per_subgroup": self.states_per_subgroup,
            "seconds_per_chunk_week_measured": self.seconds_per_chunk_week,
            "estimated_seconds": self.seconds,
            "estimated_peak_mib": self.peak_bytes / 2**20,
        }


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} seconds"
    if seconds < 5400:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds / 3600:.1f} hours"


def _simulated_weeks(scenario: Scenario) -> int:
    """Warm-up and horizon, and the year of the status quo that calibrates an arrivals-based
    inflow in each draw."""
    calibration = runner.weeks(1) if scenario.arrivals_per_year is not None else 0
    return runner.weeks(scenario.warm_up_years) + scenario.weeks + calibration


def states_per_subgroup(scenario: Scenario) -> int:
    """States the weekly step touches for one subgroup of one draw, the persistence ring too."""
    window = scenario.params["reoffending.persistence_weeks"]
    ring = int(min(max(window.value or 1, 1), 520)) + 1
    H, P, K = len(model.HISTORIES), len(model.PROGRAMMES), model.RELEASE_WINDOW_WEEKS
    return 1 + H + P + 1 + 1 + 2 * K + 1 + H * ring


def measure(scenario: Scenario, draws: int) -> tuple[float, int]:
    """Seconds per weekly step and peak bytes of a chunk of ``draws`` draws, timed on this
    machine with the scenario's point values."""
    runner.resolve_inflow(scenario)
    point = runner.point_draws(scenario)
    tiled = {name: np.repeat(values, draws) for name, values in point.items()}
    inputs = runner.model_inputs(scenario, tiled, keep_series=True)
    # Two weeks traced for the working set (allocations happen in the first week), then weeks
    # timed without tracing, from the state reached, so one-off costs do not count as weekly.
    inputs.weeks = 2
    tracemalloc.start()
    try:
        state = model.run_with_state(inputs)[1]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # The weekly cost is the difference between a short and a longer run, so the cost of setting
    # a run up (hazards, the persistence ring) is not spread over too few weeks.
    short, long = MEASURE_WEEKS // 4, MEASURE_WEEKS

    def seconds(weeks: int) -> float:
        inputs.weeks = weeks
        began = time.perf_counter()
        model.run(inputs, state)
        return time.perf_counter() - began

    seconds(short)  # once untimed: a fresh process runs its first steps slowly
    t_short, t_long = seconds(short), seconds(long)
    return max(t_long - t_short, 0.25 * t_long) / (long - short), peak


def estimate(
    scenario: Scenario,
    baseline: Scenario | None,
    *,
    runs: int,
    chunk_size: int = runner.DEFAULT_CHUNK,
    rows: bool = False,
) -> Estimate:
    """Time and memory for ``runs`` draws of ``scenario`` (and its baseline), before running."""
    chunk = min(runs, chunk_size)
    per_week, chunk_peak = measure(scenario, chunk)
    scenarios = [scenario] + ([baseline] if baseline is not None else [])
    weeks = sum(_simulated_weeks(s) for s in scenarios)
    chunks = math.ceil(runs / chunk)
    seconds = per_week * weeks * chunks
    series = 8 * 2 * sum(s.weeks for s in scenarios) * chunk  # weekly series of one chunk
    kept = runs * KEPT_PER_DRAW * len(scenarios)
    if rows:
        columns = 60 + 30 + len(required_parameter_names())
        kept += runs * columns * ROW_BYTES_PER_COLUMN
    return Estimate(
        runs=runs,
        weeks=weeks,
        chunk=chunk,
        seconds_per_chunk_week=per_week,
        seconds=seconds,
        peak_bytes=int(chunk_peak + series + kept),
        states_per_subgroup=states_per_subgroup(scenario),
    )


def combine(parts: list[Estimate]) -> Estimate:
    """One estimate for several runs made one after another (a side-by-side table)."""
    return Estimate(
        runs=parts[0].runs,
        weeks=sum(e.weeks for e in parts),
        chunk=max(e.chunk for e in parts),
        seconds_per_chunk_week=max(e.seconds_per_chunk_week for e in parts),
        seconds=sum(e.seconds for e in parts),
        peak_bytes=sum(e.peak_bytes for e in parts),
        states_per_subgroup=max(e.states_per_subgroup for e in parts),
    )


def available_memory() -> int | None:
    """Bytes of memory available now (Linux ``MemAvailable``), or None where unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def check(
    est: Estimate,
    *,
    file: str,
    max_minutes: float = DEFAULT_MAX_MINUTES,
    max_memory_mib: float | None = None,
) -> None:
    """Refuse a run whose estimate exceeds the time or memory allowed, naming both."""
    memory_limit = max_memory_mib * 2**20 if max_memory_mib is not None else None
    if memory_limit is None:
        free = available_memory()
        memory_limit = 0.8 * free if free is not None else None
    too_slow = est.seconds > max_minutes * 60
    too_big = memory_limit is not None and est.peak_bytes > memory_limit
    if not (too_slow or too_big):
        return
    per_run_seconds = est.seconds / est.runs
    fit = int(max_minutes * 60 / per_run_seconds) if per_run_seconds > 0 else est.runs
    if memory_limit is not None and too_big:
        per_run_bytes = max(est.peak_bytes / est.runs, 1.0)
        fit = min(fit, int(memory_limit / per_run_bytes))
    limits = f"{max_minutes:g} minutes"
    if memory_limit is not None:
        limits += f" and {memory_limit / 2**20:,.0f} MiB of memory"
    raise SimulatorInputError(
        file,
        "--runs",
        f"this run would take {est.describe()}, more than the {limits} allowed; at most"
        f" {max(fit, 0):,} runs fit (raise --max-minutes, or use the sweep on a Dask cluster)",
    )
