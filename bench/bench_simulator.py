"""Benchmark: the England and Wales baseline, 10 years weekly, 1,000 Monte Carlo draws.

    python bench/bench_simulator.py [--runs 1000] [--loop-fraction 0.02] [--scenario FILE]

Measures, in the same process and run:
  * the vectorised model: wall time and peak memory (the process's peak resident set size, and
    its growth during the simulation) for all draws;
  * the baseline: a straightforward Python loop over people and weeks for ONE draw
    (turnpoint/simulator/reference_loop.py), run on a fraction of the inflow for the whole horizon
    and scaled up linearly to the full inflow (work is proportional to person-weeks);
  * the speed-up per draw: scaled loop time / (vectorised wall time / draws);
  * for reference, the scenario as shipped (with its warm-up years before the horizon).

Targets (issue 4): 1,000 draws in under 60 s on the 2-core machine; at least 100x per draw.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from turnpoint.simulator import reference_loop  # noqa: E402
from turnpoint.simulator.model import WEEKS_PER_YEAR  # noqa: E402
from turnpoint.simulator.runner import model_inputs, resolve_inflow, simulate  # noqa: E402
from turnpoint.simulator.scenario import load_scenario  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--loop-fraction", type=float, default=0.02)
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "ew_baseline.yaml"))
    args = parser.parse_args()

    scenario = load_scenario(args.scenario)
    shipped_warm_up = scenario.warm_up_years
    scenario.warm_up_years = 0  # the benchmark: the ten-year horizon from the start
    resolve_inflow(scenario)
    print(f"scenario: {scenario.name}, {scenario.entrants_per_year:,.0f} new people a year")
    print(f"  ({scenario.arrivals_per_year or scenario.entrants_per_year:,.0f} arrivals a year),")
    print(f"  {scenario.horizon_years} years = {scenario.weeks} weekly steps, {args.runs} draws")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores,")
    print(f"  Python {platform.python_version()}")

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    result = simulate(scenario, runs=args.runs, seed=args.seed)
    wall = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    per_draw = wall / args.runs
    reconv = result.totals["by_group.reconvictions"].sum(axis=1)[0]

    inputs = model_inputs(scenario, result.draws)
    # The same new people a week as the model's draws (calibrated per draw on the arrivals).
    inputs.entrants_per_week = result.totals["entrants_per_year"] / WEEKS_PER_YEAR
    start = time.perf_counter()
    loop = reference_loop.run_people(inputs, draw=0, seed=args.seed, scale=args.loop_fraction)
    loop_time = time.perf_counter() - start
    loop_scaled = loop_time / args.loop_fraction

    print()
    print(f"vectorised, {args.runs} draws: {wall:.1f} s wall ({per_draw * 1000:.1f} ms a draw)")
    print(
        f"  peak memory: {rss_mb:.0f} MiB process peak RSS"
        f" ({rss_mb - rss_before:.0f} MiB above the {rss_before:.0f} MiB before the run)"
    )
    print(
        f"python loop, 1 draw, {args.loop_fraction:.0%} of the inflow: {loop_time:.1f} s;"
        f" scaled to the full inflow: {loop_scaled:.0f} s a draw"
    )
    print(f"speed-up per draw: {loop_scaled / per_draw:,.0f}x")
    print(
        f"check, draw 0: reconvictions, model {reconv:,.0f}; loop (random, scaled)"
        f" {loop['reconvictions']:,.0f}"
    )
    print(f"target 1,000 draws < 60 s: {'met' if wall * 1000 / args.runs < 60 else 'NOT met'}")
    print(f"target >= 100x per draw: {'met' if loop_scaled / per_draw >= 100 else 'NOT met'}")
    if shipped_warm_up:
        shipped = load_scenario(args.scenario)
        start = time.perf_counter()
        simulate(shipped, runs=args.runs, seed=args.seed)
        print(
            f"as shipped ({shipped_warm_up}-year warm-up + {shipped.horizon_years}-year horizon):"
            f" {time.perf_counter() - start:.1f} s wall for {args.runs} draws"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
