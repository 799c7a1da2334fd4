"""Benchmark: the sweep's Dask schedulers on this machine.

    python bench/bench_sweep_schedulers.py [--runs 200] [--repeats 2] [--scenario FILE]

Runs the same sweep (one scenario, as shipped: warm-up and horizon, arrivals calibrated per draw)
with each local scheduler, alternating so that load from other work falls on all of them alike:

  * synchronous, the whole run as one chunk (what the old default of 250-draw chunks gave for
    200 draws on any scheduler);
  * threads, one chunk per core;
  * processes, one chunk per core.

Prints the cores, the load average before and after, and the seconds of each repeat; every
scheduler's numbers are checked to be identical to the synchronous run's.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from turnpoint.simulator import sweep  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "ew_baseline.yaml"))
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    per_core = sweep.one_chunk_per_worker(args.runs, cores)
    settings = [
        ("synchronous, one chunk", "synchronous", args.runs),
        (f"threads, {cores} chunks of {per_core}", "threads", per_core),
        (f"processes, {cores} chunks of {per_core}", "processes", per_core),
    ]
    print(f"cores: {cores}; load average before: {os.getloadavg()}")
    print(f"{args.runs} draws of {Path(args.scenario).name}, {args.repeats} repeats")
    times: dict[str, list[float]] = {label: [] for label, _, _ in settings}
    reference = None
    for _ in range(args.repeats):
        for label, scheduler, chunk in settings:
            began = time.perf_counter()
            out = sweep.sweep(
                [args.scenario], runs=args.runs, seed=args.seed, chunk=chunk, scheduler=scheduler
            )
            times[label].append(time.perf_counter() - began)
            totals = next(iter(out.values()))[0].totals["prison_bed_days"]
            if reference is None:
                reference = totals
            assert np.array_equal(totals, reference), label
            print(f"  {label:<36}{times[label][-1]:8.1f} s", flush=True)
    print(f"load average after: {os.getloadavg()}")
    for label, values in times.items():
        print(f"{label:<38} min {min(values):6.1f} s, mean {np.mean(values):6.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
