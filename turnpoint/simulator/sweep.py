"""Scenario sweeps on Dask: many scenarios x many draws, split into chunks that run anywhere.

    python -m turnpoint.simulator.sweep scenarios/ew_*.yaml --runs 1000 --chunk 250 \\
        [--scheduler threads|processes|synchronous] [--address tcp://HOST:8786] \\
        [--csv FILE] [--parquet FILE]

Parameters are drawn once in the driver (so results are identical to ``turnpoint simulate`` with
the same seed, whatever the chunking); each (scenario, chunk) pair is one Dask task. Locally the
threaded or process scheduler uses every core; with ``--address`` the tasks go to a running
``dask.distributed`` scheduler (``dask scheduler`` plus ``dask worker`` on each machine).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import dask
import numpy as np

from turnpoint.simulator import outputs
from turnpoint.simulator.errors import SimulatorInputError
from turnpoint.simulator.runner import Plan, RunResult, concatenate, plan
from turnpoint.simulator.scenario import Scenario, load_scenario


def _tasks(p: Plan, runs: int, chunk: int) -> list:
    run = dask.delayed(p.chunk, pure=True)
    return [
        run(start, min(start + chunk, runs), keep_series=False) for start in range(0, runs, chunk)
    ]


def sweep(
    paths: list[Path | str],
    *,
    runs: int,
    seed: int,
    chunk: int = 250,
    scheduler: str | None = "threads",
) -> dict[str, tuple[RunResult, RunResult | None]]:
    """Simulate every scenario (and each baseline once) on Dask; results keyed by scenario name."""
    scenarios = [load_scenario(p) for p in paths]
    baselines: dict[str, Scenario] = {}
    for s in scenarios:
        if s.compare_to is not None:
            key = str(Path(s.compare_to).resolve())
            baselines.setdefault(key, load_scenario(s.compare_to))
    plans: dict[str, Plan] = {}
    for key, s in [(str(Path(s.file).resolve()), s) for s in scenarios] + list(baselines.items()):
        if key not in plans:
            plans[key] = plan(s, runs=runs, seed=seed)
    graph = {key: _tasks(p, runs, chunk) for key, p in plans.items()}
    (computed,) = dask.compute(graph, scheduler=scheduler)
    results = {
        key: RunResult(
            scenario=p.scenario,
            seed=seed,
            runs=runs,
            draws=p.draws,
            totals=concatenate(computed[key]),
        )
        for key, p in plans.items()
    }
    out = {}
    for s in scenarios:
        base = results[str(Path(s.compare_to).resolve())] if s.compare_to is not None else None
        out[s.name] = (results[str(Path(s.file).resolve())], base)
    return out


def sweep_rows(results: dict[str, tuple[RunResult, RunResult | None]]) -> list[dict[str, Any]]:
    """One flat row per scenario and run; columns a scenario lacks are left empty."""
    rows = [row for result, base in results.values() for row in outputs.run_rows(result, base)]
    columns = list(dict.fromkeys(key for row in rows for key in row))
    return [{key: row.get(key) for key in columns} for row in rows]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m turnpoint.simulator.sweep", description=__doc__
    )
    parser.add_argument("scenarios", nargs="+", help="scenario YAML files")
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--chunk", type=int, default=250, help="draws per Dask task")
    parser.add_argument(
        "--scheduler", default="threads", choices=["threads", "processes", "synchronous"]
    )
    parser.add_argument("--address", help="address of a dask.distributed scheduler")
    parser.add_argument("--csv", help="write one row per scenario and run")
    parser.add_argument("--parquet", help="write one row per scenario and run")
    args = parser.parse_args(argv)
    client = None
    if args.address:
        try:
            from dask.distributed import Client
        except ImportError:
            print("error: --address needs the 'distributed' package", file=sys.stderr)
            return 2
        client = Client(args.address)
    try:
        results = sweep(
            args.scenarios,
            runs=args.runs,
            seed=args.seed,
            chunk=args.chunk,
            scheduler=None if client else args.scheduler,
        )
    except SimulatorInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        if client is not None:
            client.close()
    print(f"{'scenario':<36}{'NPV mean (GBP m)':>18}{'P(benefits > costs)':>22}")
    for name, (result, base) in results.items():
        if base is None:
            print(f"{name:<36}{'(baseline)':>18}")
            continue
        npv = outputs.comparison_columns(result, base)["economics.npv"]
        print(f"{name:<36}{npv.mean() / 1e6:>18,.1f}{np.mean(npv > 0):>22.0%}")
    if args.csv or args.parquet:
        rows = sweep_rows(results)
        if args.csv:
            outputs.write_csv(rows, args.csv)
        if args.parquet:
            outputs.write_parquet(rows, args.parquet)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
