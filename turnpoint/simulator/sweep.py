"""Scenario sweeps on Dask: many scenarios x many draws, split into chunks that run anywhere.

    python -m turnpoint.simulator.sweep scenarios/ew_*.yaml --runs 1000 [--chunk N] \\
        [--scheduler auto|processes|threads|synchronous] [--dask-address tcp://HOST:8786] \\
        [--csv FILE] [--parquet FILE]

Parameters are drawn once in the driver (so results are identical to ``turnpoint simulate`` with
the same seed, whatever the chunking); each (scenario, chunk) pair is one Dask task. By default
each scenario's draws are split into one chunk per worker (the machine's cores, or the cluster's
worker threads; at most 250 draws a chunk) and run on the process scheduler, or in the driver
when the whole sweep has at most 500 draws, as measured fastest on the development machine
(docs/simulator.md, "Sweeps on Dask"). With ``--dask-address`` the tasks go
to a running ``dask.distributed`` scheduler (``dask scheduler`` plus ``dask worker`` on each
machine).
"""

from __future__ import annotations

import argparse
import math
import os
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


# Measured on the 2-core development machine (docs/simulator.md, "Sweeps on Dask"): with one chunk
# per core, the process scheduler beat running in the driver at 1,000 draws (50.6 s against
# 56.3 s), tied at 500 (27.0 against 26.6 s) and lost at 200 (11.3 against 9.3 s, the pool's
# start-up); threads never helped (the weekly step holds the GIL between small numpy calls).
DEFAULT_SCHEDULER = "auto"
AUTO_SYNCHRONOUS_DRAWS = 500  # at most this many draws in the whole sweep: run in the driver
MAX_CHUNK = 250  # draws per task at most, so memory stays bounded however many runs


def workers(client: Any = None) -> int:
    """Worker slots: the cluster's threads with a client, else this machine's cores."""
    if client is not None:
        return max(1, sum(client.nthreads().values()))
    return os.cpu_count() or 1


def one_chunk_per_worker(runs: int, slots: int) -> int:
    """Draws per task: the runs shared out over the workers, at most ``MAX_CHUNK``."""
    return max(1, min(MAX_CHUNK, math.ceil(runs / slots)))


def auto_scheduler(total_draws: int) -> str:
    return "synchronous" if total_draws <= AUTO_SYNCHRONOUS_DRAWS else "processes"


def sweep(
    paths: list[Path | str],
    *,
    runs: int,
    seed: int,
    chunk: int | None = None,
    scheduler: str | None = DEFAULT_SCHEDULER,
    client: Any = None,
) -> dict[str, tuple[RunResult, RunResult | None]]:
    """Simulate every scenario (and each baseline once) on Dask; results keyed by scenario name.

    ``chunk`` None: one chunk of draws per worker (at most ``MAX_CHUNK``). ``scheduler`` "auto":
    in the driver for small sweeps, else processes (see ``DEFAULT_SCHEDULER``). With a
    ``dask.distributed`` ``client`` the tasks run on its cluster (``scheduler`` is ignored)."""
    chunk = chunk or one_chunk_per_worker(runs, workers(client))
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
    if scheduler == "auto":
        scheduler = auto_scheduler(runs * len(plans))
    if client is not None:
        (computed,) = dask.compute(graph, scheduler=client)
    else:
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
    parser.add_argument(
        "--chunk", type=int, default=None, help="draws per Dask task (default: one per worker)"
    )
    parser.add_argument(
        "--scheduler",
        default=DEFAULT_SCHEDULER,
        choices=["auto", "processes", "threads", "synchronous"],
        help="local Dask scheduler (default auto: in the driver up to 500 draws in all, else"
        " processes, the fastest measured)",
    )
    parser.add_argument(
        "--dask-address",
        "--address",
        dest="address",
        metavar="tcp://HOST:PORT",
        help="run on the dask.distributed scheduler at this address",
    )
    parser.add_argument("--csv", help="write one row per scenario and run")
    parser.add_argument("--parquet", help="write one row per scenario and run")
    args = parser.parse_args(argv)
    if args.runs < 1 or (args.chunk is not None and args.chunk < 1):
        print("error: --runs and --chunk must be at least 1", file=sys.stderr)
        return 2
    client = None
    if args.address:
        try:
            from distributed import Client
        except ImportError:
            print("error: --dask-address needs the 'distributed' package", file=sys.stderr)
            return 2
        try:
            client = Client(args.address, timeout="10s")
        except (OSError, TimeoutError) as exc:
            print(
                f"error: --dask-address: cannot reach a Dask scheduler at {args.address} ({exc})",
                file=sys.stderr,
            )
            return 1
    try:
        results = sweep(
            args.scenarios,
            runs=args.runs,
            seed=args.seed,
            chunk=args.chunk,
            scheduler=args.scheduler,
            client=client,
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
