"""Benchmark `turnpoint synth --participants N` on SQLite and PostgreSQL.

For each database: a fresh database (temporary SQLite file; a PostgreSQL database created and
dropped on the local server), migrated and loaded with the shipped programmes (not timed), then

- the measured run: `turnpoint synth --participants N --seed S --json` in a child process: wall
  time and the child's peak resident memory (rusage from wait4);
- the plain baseline in the same run: a child process that inserts the same number of rows as
  synth wrote (participants, referrals, transitions, episodes and audit entries together) into a
  trivial three-column table with the database driver's executemany, in transactions of the
  same size as synth's batches. It is the floor: what the database costs for that many rows.
  (Rows: participants, referrals, transitions, episodes, participation consents, audit entries.)

The ratio synth / baseline says what the rules, the model layer and the audit chain add.
Targets from issue 2: under 5 minutes and under 2 GB per database.

    .venv/bin/python bench/bench_synth.py                 # 100,000 participants, both databases
    .venv/bin/python bench/bench_synth.py -n 10000 --databases sqlite
    BENCH_PG_SERVER=postgres://user@host:5432 .venv/bin/python bench/bench_synth.py
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    TURNPOINT,
    PostgresDb,
    SqliteDb,
    env_for,
    load_average,
    prepare,
    run_measured,
)

BASELINE = r"""
import sys, django
django.setup()
from django.db import connection, transaction
rows, per_tx = int(sys.argv[1]), int(sys.argv[2])
key = "integer PRIMARY KEY" if connection.vendor == "sqlite" else "bigserial PRIMARY KEY"
with connection.cursor() as cursor:
    cursor.execute(f"CREATE TABLE bench_baseline (id {key}, n integer NOT NULL, "
                   "label varchar(40) NOT NULL)")
done = 0
while done < rows:
    size = min(per_tx, rows - done)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO bench_baseline (n, label) VALUES (%s, %s)",
            [(done + i, f"row {done + i}") for i in range(size)],
        )
    done += size
with connection.cursor() as cursor:
    cursor.execute("SELECT count(*) FROM bench_baseline")
    assert cursor.fetchone()[0] == rows
    cursor.execute("DROP TABLE bench_baseline")
print(rows)
"""


def bench_one(label: str, database_url: str, *, participants: int, seed: int, batch: int) -> dict:
    prepare(database_url)
    env = env_for(database_url)
    load_before = load_average()
    synth = run_measured(
        [*TURNPOINT, "synth", "--participants", str(participants), "--seed", str(seed),
         "--batch-size", str(batch), "--json"],
        env=env,
    )  # fmt: skip
    summary = json.loads(synth.stdout)
    rows = (
        summary["participants"] + summary["referrals"] + summary["transitions"]
        + summary["episodes"] + summary.get("participation_consents", 0)
        + summary["audit_entries"]
    )  # fmt: skip
    batches = -(-participants // batch)
    baseline = run_measured(
        [sys.executable, "-c", BASELINE, str(rows), str(-(-rows // batches))], env=env
    )
    return {
        "database": label,
        "participants": summary["participants"],
        "rows_written": rows,
        "transitions": summary["transitions"],
        "episodes": summary["episodes"],
        "completions": summary["completions"],
        "synth_seconds": round(synth.seconds, 1),
        "synth_cpu_seconds": round(synth.cpu_seconds, 1),
        "synth_peak_mb": round(synth.peak_mb),
        "baseline_seconds": round(baseline.seconds, 1),
        "baseline_cpu_seconds": round(baseline.cpu_seconds, 1),
        "baseline_peak_mb": round(baseline.peak_mb),
        "ratio": round(synth.seconds / baseline.seconds, 1),
        "synth_rows_per_second": round(rows / synth.seconds),
        "load_average_before": load_before,
        "load_average_after": load_average(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--participants", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--pg-name", default="turnpoint_bench_synth")
    parser.add_argument(
        "--keep", action="store_true", help="keep the PostgreSQL database (for bench_pages.py)"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    results = []
    for label in args.databases.split(","):
        print(f"{label}: synth {args.participants} participants…", file=sys.stderr)
        kwargs = dict(participants=args.participants, seed=args.seed, batch=args.batch_size)
        if label == "sqlite":
            with SqliteDb() as db:
                results.append(bench_one("SQLite", db.url, **kwargs))
        elif label == "postgres":
            with PostgresDb(args.pg_name, keep=args.keep) as db:
                results.append(bench_one("PostgreSQL", db.url, **kwargs))
        else:
            raise SystemExit(f"unknown database '{label}' (use sqlite, postgres)")
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print("| database | participants | rows written | synth wall (CPU) | synth peak RSS "
          "| baseline wall (CPU) | baseline peak RSS | ratio | load avg |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(f"| {r['database']} | {r['participants']:,} | {r['rows_written']:,} "
              f"| {r['synth_seconds']} s ({r['synth_cpu_seconds']} s) | {r['synth_peak_mb']} MB "
              f"| {r['baseline_seconds']} s ({r['baseline_cpu_seconds']} s) "
              f"| {r['baseline_peak_mb']} MB | {r['ratio']}x "
              f"| {r['load_average_before']} / {r['load_average_after']} |")  # fmt: skip


if __name__ == "__main__":
    main()
