"""Where the policy's cost of a court's 1,000-row participants list goes: the judge's
cross-agency list with the real policy, with a permissive one, with the record's write left
out, with the whole record left out (rows neither grouped nor written), and the coordinator's
same-agency list, interleaved request by request in one process on one database.

`bench_policy.py` is the measure of the target; this one takes the list apart
(docs/benchmarks.md, "The eleventh round"). The users, clients and permissive stand-ins are
`bench_policy`'s. A variant that leaves the record out records nothing: it exists only here, to
tell what the record costs. On PostgreSQL the record's write is sent ahead (decision 0010) and
read before the response leaves, so "no write" there is what its wait still costs once it
overlaps the response's rendering.

    .venv/bin/python bench/bench_list_record.py                   # fresh SQLite, 10,000
    .venv/bin/python bench/bench_list_record.py --databases postgres
    .venv/bin/python bench/bench_list_record.py --index           # index between requests
    .venv/bin/python bench/bench_list_record.py --database-url sqlite:///path/to/kept.sqlite3
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from _common import PostgresDb, SqliteDb, env_for
from bench_policy import build

VARIANTS = ("policy", "permissive", "no write", "no record", "same agency")


def measure(args) -> dict:
    import django

    django.setup()
    import bench_policy
    from turnpoint.runtime import settle

    from turnpoint.sharing import disclosures
    from turnpoint.sharing.record import disclosures_index

    users = bench_policy.bench_users()
    client_for = bench_policy.clients(users)
    for kind in ("api-participants-other", "api-participants-same"):
        bench_policy.check(bench_policy.request(client_for, kind, 1, 10), kind, 10)
    permissive = bench_policy.Permissive()
    settle()
    real = {name: getattr(disclosures, name) for name in ("_acts_write", "_grouped_page")}

    def run(variant: str) -> float:
        kind = "api-participants-same" if variant == "same agency" else "api-participants-other"
        mode = bench_policy.PERMISSIVE if variant == "permissive" else bench_policy.POLICY
        if variant in ("no write", "no record"):
            disclosures._acts_write = lambda acts, **kwargs: 0
        if variant == "no record":
            disclosures._grouped_page = lambda user, rows, acts: []
        try:
            with permissive.mode(mode):
                started = time.perf_counter()
                response = bench_policy.request(client_for, kind, 1, args.limit)
                took = (time.perf_counter() - started) * 1000
        finally:
            for name, function in real.items():
                setattr(disclosures, name, function)
        bench_policy.check(response, kind, args.limit)
        return took

    for variant in VARIANTS:  # warm-up, not counted
        run(variant)
    times: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for i in range(args.requests):
        if args.index:
            disclosures_index()
        # Each variant first after the indexing as often as the others.
        shift = i % len(VARIANTS)
        for variant in VARIANTS[shift:] + VARIANTS[:shift]:
            times[variant].append(run(variant))
    return {v: statistics.median(t) for v, t in times.items()}


def child(database_url: str, args) -> dict:
    argv = [sys.executable, __file__, "--measure", "--requests", str(args.requests),
            "--limit", str(args.limit)] + (["--index"] if args.index else [])  # fmt: skip
    done = subprocess.run(argv, env=env_for(database_url), stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the measuring process failed ({done.returncode})")
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="an existing database with a synthetic caseload")
    parser.add_argument("--databases", default="sqlite", help="sqlite or postgres")
    parser.add_argument("-n", "--participants", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--requests", type=int, default=200, help="per variant")
    parser.add_argument("--limit", type=int, default=1000, help="API list size")
    parser.add_argument("--index", action="store_true", help="index disclosures between rounds")
    parser.add_argument("--pg-name", default="turnpoint_bench_list_record")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:  # the child: the database is in DATABASE_URL
        print(json.dumps(measure(args)))
        return
    if args.database_url:
        medians, label = child(args.database_url, args), args.database_url.split(":")[0]
    elif args.databases == "sqlite":
        with SqliteDb() as db:
            build(db.url, args.participants, args.seed)
            medians, label = child(db.url, args), "SQLite"
    elif args.databases == "postgres":
        with PostgresDb(args.pg_name) as db:
            build(db.url, args.participants, args.seed)
            medians, label = child(db.url, args), "PostgreSQL"
    else:
        raise SystemExit(f"--databases: unknown database '{args.databases}' (sqlite, postgres)")
    base = medians["permissive"]
    print(f"\n{label}, {args.requests} requests a variant, interleaved, list limit {args.limit}"
          f"{', indexed between rounds' if args.index else ''}\n")  # fmt: skip
    print("| variant | median | against permissive |\n| --- | ---: | ---: |")
    for variant in VARIANTS:
        overhead = 100 * (medians[variant] / base - 1)
        print(f"| {variant} | {medians[variant]:.2f} ms | {overhead:+.1f}% |")


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "turnpoint.settings")
    main()
