"""Benchmark scoring one million stored administrations of CORE-10 at once.

CORE-10 has ten items, two of them reverse scored, and a clinical score pro-rated over one
missing item (two missing: refused). The data: one million administrations of synthetic answers
(fixed seed; each answer missing with probability 2%, so about 17% of rows are pro-rated and
1.6% refused) stored as Parquet, one column per item (written first, not timed). Then

- the measured path: read the Parquet file's columns with pyarrow into a matrix and score it
  with `turnpoint.assessments.instruments.score_columns` (every scale, band, cutoff, pro-rating
  and refusal);
- the plain baseline in the same run: a per-row Python loop that turns each stored row into an
  answers dictionary and calls `score` (what a loop over stored administrations would do),
  timed on a sample of rows (50,000 by default) and scaled to the full count;
- a check that both give the same scores on the sample.

Peak memory: the vectorised path is run a second time under tracemalloc (numpy reports its
arrays to it); the process's peak resident memory (rusage) is printed too. Targets (issue 28):
at least 20x faster than the loop and under 5 s.

    .venv/bin/python bench/bench_instrument_scoring.py
    .venv/bin/python bench/bench_instrument_scoring.py -n 200000 --sample 20000
"""

import argparse
import json
import math
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "turnpoint.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from turnpoint.assessments.instruments import (  # noqa: E402
    AnswersRefused,
    column_order,
    get,
    score,
    score_columns,
)

INSTRUMENT = "core-10"


def synthetic(rows: int, seed: int, missing: float) -> pa.Table:
    instrument = get(INSTRUMENT)
    rng = np.random.default_rng(seed)
    columns = {}
    for item_id in column_order(instrument):
        values = rng.integers(0, 5, rows).astype(np.float64)  # answers 0-4
        values[rng.random(rows) < missing] = np.nan
        columns[item_id] = pa.array(values, type=pa.float64(), from_pandas=True)  # NaN -> null
    return pa.table(columns)


def read_matrix(path: Path) -> np.ndarray:
    """The stored columns as one column-major matrix (null -> NaN), the layout
    `score_columns` works in."""
    columns = column_order(get(INSTRUMENT))
    table = pq.read_table(path, columns=columns)
    matrix = np.empty((table.num_rows, len(columns)), order="F")
    for n, name in enumerate(columns):
        matrix[:, n] = table.column(name).to_numpy(zero_copy_only=False)
    return matrix


def vectorised(path: Path) -> tuple[dict, float]:
    """The scores, and the seconds spent reading (the rest is scoring)."""
    started = time.perf_counter()
    matrix = read_matrix(path)
    read_s = time.perf_counter() - started
    return score_columns(get(INSTRUMENT), matrix), read_s


def loop(path: Path, sample: int) -> tuple[float, list]:
    instrument = get(INSTRUMENT)
    table = pq.read_table(path).slice(0, sample)
    stored = table.to_pylist()  # the rows as stored: item id -> value or None
    started = time.perf_counter()
    results = []
    for row in stored:
        answers = {k: (None if v is None else int(v)) for k, v in row.items()}
        try:
            results.append(score(instrument, answers))
        except AnswersRefused:
            results.append(None)
    return time.perf_counter() - started, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--rows", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=28)
    parser.add_argument("--missing", type=float, default=0.02)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "core10.parquet"
        pq.write_table(synthetic(args.rows, args.seed, args.missing), path)
        size_mb = path.stat().st_size / 1e6

        started = time.perf_counter()
        result, read_s = vectorised(path)
        vector_s = time.perf_counter() - started

        tracemalloc.start()
        vectorised(path)
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

        sample = min(args.sample, args.rows)
        loop_s, per_row = loop(path, sample)
        loop_full_s = loop_s * args.rows / sample

        disagreements = 0
        for n, scored in enumerate(per_row):
            if scored is None:
                disagreements += not result["refused"][n]
                continue
            for s in scored.scales:
                disagreements += not math.isclose(result[s.id][n], s.score, abs_tol=1e-9)

    figures = {
        "instrument": INSTRUMENT,
        "rows": args.rows,
        "parquet_mb": round(size_mb, 1),
        "refused_rows": int(result["refused"].sum()),
        "prorated_rows": int(result["clinical_score.prorated"].sum()),
        "vectorised_s": round(vector_s, 3),
        "of_which_reading_parquet_s": round(read_s, 3),
        "vectorised_peak_traced_mb": round(traced_peak / 1e6, 1),
        "process_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "loop_sample_rows": sample,
        "loop_sample_s": round(loop_s, 3),
        "loop_scaled_s": round(loop_full_s, 1),
        "speed_up": round(loop_full_s / vector_s, 1),
        "disagreements_on_sample": disagreements,
        "load_average": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(figures, indent=2))
    print(
        f"\n{args.rows:,} administrations of {INSTRUMENT}: {vector_s:.2f} s vectorised "
        f"(peak {traced_peak / 1e6:.0f} MB traced), the loop {loop_full_s:.0f} s scaled from "
        f"{sample:,} rows: {loop_full_s / vector_s:.0f}x. Targets: under 5 s, at least 20x."
    )


if __name__ == "__main__":
    main()
