"""Benchmark the sharing policy and the after-response collection on real servers: the requests
of bench_policy.py sent over HTTP to four gunicorn servers, timed by the client.

bench_policy.py calls the views in-process, where Django's test client sends `request_finished`
inside its call, so the collection a settled process runs after a response
(`turnpoint.runtime.collect_after_response`) is in the request's time there. A server runs it
after writing the response's last byte: the client does not wait for it, but the worker is busy
with it when the next request arrives. This benchmark measures what a client sees.

- Database: as bench_policy.py (a fresh synthetic caseload of 10,000 participants on SQLite or
  PostgreSQL, or --database-url), with its two users (a coordinator of the agency that holds the
  records and a judge of a court), their consents and court orders (`bench_openings`), a session
  for each (past the security-code step) and an API token.
- Servers: `gunicorn bench_server_app:application -w 1` (one sync worker each, on loopback), in
  four variants (bench/bench_server_app.py): the real policy or bench_policy's permissive
  stand-ins, each with the collection after responses as shipped (`after`) or with that
  receiver disconnected (`inside`: a young collection runs in whichever request crosses the
  threshold, as before the thirteenth round).
- Requests, sequential, one at a time, a new connection each (a sync worker closes it): the
  participant page and the 1,000-row participants and referrals lists for each user, as
  bench_policy.py. Each round sends a block of --block requests of one kind to each server in
  turn, the servers' order rotated every round, so the machine's load moves all four alike.
  Wall time from connecting to the last byte read. Every response is checked (HTTP 200, 1,000
  items in a list); the client's own collector is off while it measures and runs between
  rounds, with `disclosures_index` as cron would run it.
- Reported: each server's median, p95 and p99 for each kind; the policy's overhead over the
  permissive server with the same collection (p95 with bootstrap_interval over rounds, as
  bench_policy.py), and the collection after responses against inside them for each policy;
  each server's collections inside and after requests (counted in the worker), and the audit
  rows and disclosures each server wrote, which show the permissive servers' bypass is real.

    .venv/bin/python bench/bench_server.py                      # SQLite, 10,000 participants
    .venv/bin/python bench/bench_server.py --databases postgres
    .venv/bin/python bench/bench_server.py --kinds api-participants-other --list-requests 300

Not a load test (bench_pages.py is): one request at a time, so a figure is a service time plus
the server's HTTP handling and whatever the worker was still doing from the request before.
"""

import argparse
import gc
import http.client
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BIN, ROOT, PostgresDb, SqliteDb, env_for, load_average
from bench_pages import free_port
from bench_policy import (
    KINDS,
    bench_openings,
    bench_users,
    build,
    clients,
    last_ids,
    p95_overhead_interval,
    percentile,
    written_since,
)

SERVERS = [  # (name, BENCH_SERVER_POLICY, BENCH_SERVER_COLLECT)
    ("policy, after", "policy", "after"),
    ("permissive, after", "permissive", "after"),
    ("policy, inside", "policy", "inside"),
    ("permissive, inside", "permissive", "inside"),
]


class Server:
    """One gunicorn server of bench_server_app in a variant, on a free loopback port."""

    def __init__(self, name: str, policy: str, collect: str):
        self.name, self.policy, self.collect = name, policy, collect
        self.port = free_port()
        env = {**os.environ, "BENCH_SERVER_POLICY": policy, "BENCH_SERVER_COLLECT": collect}
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "bench_server_app:application", "--pythonpath", "bench",
             "-w", "1", "-b", f"127.0.0.1:{self.port}", "--log-level", "warning",
             "--no-control-socket",
             "--timeout", "120"],
            env=env, cwd=ROOT,
        )  # fmt: skip

    def get(self, path: str, headers: dict) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def stats(self) -> dict:
        status, body = self.get("/__bench/gc", {})
        if status != 200:
            raise SystemExit(f"{self.name}: /__bench/gc answered HTTP {status}")
        return json.loads(body)

    def wait(self, timeout: float = 60) -> dict:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name}: gunicorn exited with {self.process.returncode}")
            try:
                return self.stats()
            except OSError:
                time.sleep(0.3)
        raise SystemExit(f"{self.name}: no answer on port {self.port} within {timeout} s")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def headers_for(users, client_for) -> dict:
    """Each user's web session cookie and API token, as a browser and an API client send them."""
    from django.conf import settings

    name = settings.SESSION_COOKIE_NAME
    return {
        who: {
            "web": {"Cookie": f"{name}={client_for[who]['web'].cookies[name].value}"},
            "api": {"Authorization": f"Bearer {token}"},
        }
        for who, (_, token) in users.items()
    }


def send(server: Server, headers, kind: str, pk: int, limit: int) -> tuple[float, int, bytes]:
    _, who, template = KINDS[kind]
    path = template.format(pk=pk, limit=limit)
    sent = headers[who]["api" if path.startswith("/api/") else "web"]
    started = time.perf_counter()
    status, body = server.get(path, sent)
    return (time.perf_counter() - started) * 1000, status, body


def check(server: Server, kind: str, status: int, body: bytes, limit: int) -> None:
    if status != 200:
        raise SystemExit(f"{server.name}, {kind}: HTTP {status}\n{body[:500]!r}")
    if kind.startswith("api-"):
        items = len(json.loads(body)["items"])
        if items != limit:
            raise SystemExit(f"{server.name}, {kind}: {items} items, expected {limit}")


def measure(args) -> dict:
    import django

    django.setup()
    from django.db import connection

    from turnpoint.sharing.reach import participants_visible_to
    from turnpoint.sharing.record import disclosures_index

    kinds = args.kinds.split(",")
    for kind in kinds:
        if kind not in KINDS:
            raise SystemExit(f"--kinds: unknown kind '{kind}' (use {', '.join(KINDS)})")
    users = bench_users()
    ids = list(
        participants_visible_to(users["coordinator"][0]).order_by("pk").values_list("pk", flat=True)
    )
    sample = ids[:: max(1, len(ids) // 500)][:500]
    openings = bench_openings(users, sample)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # as bench_policy.measure, for the same reasons
            cursor.execute("VACUUM ANALYZE")
    headers = headers_for(users, clients(users))
    connection.close()  # the servers have the database to themselves while they start

    servers = [Server(*variant) for variant in SERVERS]
    try:
        started_with = {s.name: s.wait() for s in servers}
        for s in servers:
            started = started_with[s.name]
            if (started["policy"], started["collect"]) != (s.policy, s.collect) or (
                s.policy == "permissive"
            ) != bool(started["patched"].get("decide")):
                raise SystemExit(f"{s.name}: the server runs {started}")
        for s in servers:  # warm-up: every view, template and query plan, not counted
            for kind in kinds:
                for pk in sample[:3]:
                    _, status, body = send(s, headers, kind, pk, args.limit)
                    check(s, kind, status, body, args.limit)
        before_run = {s.name: s.stats()["collections"] for s in servers}

        times = {k: {s.name: [] for s in servers} for k in kinds}
        written = {k: {s.name: [0, 0] for s in servers} for k in kinds}
        wanted = {k: args.list_requests if k.startswith("api-") else args.requests for k in kinds}
        blocks = -(-max(wanted.values()) // args.block)
        load_before, started = load_average(), time.perf_counter()
        for round_ in range(blocks):
            gc.disable()
            order = servers[round_ % 4 :] + servers[: round_ % 4]
            for kind in kinds:
                if round_ * args.block >= wanted[kind]:
                    continue
                for s in order:
                    before = last_ids()
                    for i in range(args.block):
                        pk = sample[(round_ * args.block + i) % len(sample)]
                        ms, status, body = send(s, headers, kind, pk, args.limit)
                        times[kind][s.name].append(ms)
                        check(s, kind, status, body, args.limit)
                    audit_rows, disclosed = written_since(before)
                    written[kind][s.name][0] += audit_rows
                    written[kind][s.name][1] += disclosed
            gc.enable()
            gc.collect()
            disclosures_index()  # as cron would, between requests
            connection.close()
            print(f"  round {round_ + 1}/{blocks}", file=sys.stderr, end="\r")
        print(file=sys.stderr)
        elapsed = time.perf_counter() - started
        after_run = {s.name: s.stats() for s in servers}
    finally:
        for s in servers:
            s.stop()

    results = {}
    for kind in kinds:
        row = {"label": KINDS[kind][0], "servers": {}}
        for s in servers:
            values = times[kind][s.name]
            row["servers"][s.name] = {
                "requests": len(values),
                "median_ms": round(percentile(values, 50), 2),
                "p95_ms": round(percentile(values, 95), 2),
                "p99_ms": round(percentile(values, 99), 2),
                "audit_rows_written": written[kind][s.name][0],
                "disclosures_written": written[kind][s.name][1],
            }
        comparisons = {}
        for label, a, b in (
            ("policy over permissive, collected after", "policy, after", "permissive, after"),
            ("policy over permissive, collected inside", "policy, inside", "permissive, inside"),
            ("after over inside, policy", "policy, after", "policy, inside"),
            ("after over inside, permissive", "permissive, after", "permissive, inside"),
        ):
            x, y = row["servers"][a], row["servers"][b]
            low, high = p95_overhead_interval(times[kind][a], times[kind][b], args.block)
            comparisons[label] = {
                "median_pct": round((x["median_ms"] - y["median_ms"]) / y["median_ms"] * 100, 1),
                "p95_pct": round((x["p95_ms"] - y["p95_ms"]) / y["p95_ms"] * 100, 1),
                "p95_interval_pct": [round(low, 1), round(high, 1)],
            }
        row["comparisons"] = comparisons
        results[kind] = row
    collections = {}
    for s in servers:
        was, now = before_run[s.name], after_run[s.name]["collections"]
        collections[s.name] = {
            where: [now[where][0] - was[where][0], round(now[where][1] - was[where][1], 1)]
            for where in ("inside", "after")
        }
    return {
        "database": "PostgreSQL" if connection.vendor == "postgresql" else "SQLite",
        "participants": len(ids),
        "limit": args.limit,
        "requests": {"pages": args.requests, "api_lists": args.list_requests},
        "block": args.block,
        "seconds": round(elapsed, 1),
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "openings": openings,
        "results": results,
        "collections": collections,
        "threshold": after_run[servers[0].name]["threshold"],
    }


def print_report(r: dict) -> None:
    n = r["requests"]
    print(f"\n{r['database']}, {r['participants']:,} participants, four gunicorn servers (one "
          f"sync worker each), {n['pages']} requests to each server for each page and "
          f"{n['api_lists']} for each API list, in blocks of {r['block']}, servers rotated each "
          f"round, list limit {r['limit']}, {r['seconds']} s, load average "
          f"{r['load_average_before']} / {r['load_average_after']}; the workers' collector "
          f"thresholds {r['threshold']}")  # fmt: skip
    o = r["openings"]
    print(f"Of the {o['sample']} participants the pages are asked about, {o['with_consent']} have "
          f"a consent to share with the court and {o['with_court_order']} a court order\n"
          )  # fmt: skip
    names = [name for name, _, _ in SERVERS]
    print("| request | " + " | ".join(f"{name}: median / p95 / p99" for name in names) + " |")
    print("| --- |" + " ---: |" * len(names))
    for row in r["results"].values():
        cells = [
            f"{s['median_ms']:.1f} / {s['p95_ms']:.1f} / {s['p99_ms']:.1f} ms"
            for s in (row["servers"][name] for name in names)
        ]
        print(f"| {row['label']} | " + " | ".join(cells) + " |")
    labels = list(next(iter(r["results"].values()))["comparisons"])
    print("\nDifference at the median; at p95 (90% interval):\n")
    print("| request | " + " | ".join(labels) + " |")
    print("| --- |" + " ---: |" * len(labels))
    for row in r["results"].values():
        cells = []
        for label in labels:
            c = row["comparisons"][label]
            low, high = c["p95_interval_pct"]
            cells.append(
                f"{c['median_pct']:+.1f}%; {c['p95_pct']:+.1f}% ({low:+.0f} to {high:+.0f})"
            )
        print(f"| {row['label']} | " + " | ".join(cells) + " |")
    print("\n| server | collections inside requests (ms) | after responses (ms) | audit rows "
          "written | disclosures written |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: |")
    for name in names:
        c = r["collections"][name]
        audit = sum(row["servers"][name]["audit_rows_written"] for row in r["results"].values())
        disclosed = sum(
            row["servers"][name]["disclosures_written"] for row in r["results"].values()
        )
        print(f"| {name} | {c['inside'][0]} ({c['inside'][1]:.0f} ms) | {c['after'][0]} "
              f"({c['after'][1]:.0f} ms) | {audit:,} | {disclosed:,} |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="an existing database with a synthetic caseload")
    parser.add_argument("--databases", default="sqlite", help="sqlite, postgres or both")
    parser.add_argument("-n", "--participants", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--requests", type=int, default=500, help="per server, each page kind")
    parser.add_argument(
        "--list-requests", type=int, default=300, help="per server, each API list kind"
    )
    parser.add_argument("--block", type=int, default=10, help="requests per block")
    parser.add_argument("--limit", type=int, default=1000, help="API list size")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--pg-name", default="turnpoint_bench_server")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:  # the child: the database is in DATABASE_URL
        print(json.dumps(measure(args)))
        return
    reports = []

    def child(database_url: str) -> None:
        argv = [sys.executable, __file__, "--measure", "--requests", str(args.requests),
                "--list-requests", str(args.list_requests), "--block", str(args.block),
                "--limit", str(args.limit), "--kinds", args.kinds]  # fmt: skip
        done = subprocess.run(argv, env=env_for(database_url), stdout=subprocess.PIPE, text=True)
        if done.returncode != 0:
            raise SystemExit(f"the measuring process failed ({done.returncode})")
        reports.append(json.loads(done.stdout))

    if args.database_url:
        child(args.database_url)
    else:
        for label in args.databases.split(","):
            if label == "sqlite":
                with SqliteDb() as db:
                    build(db.url, args.participants, args.seed)
                    child(db.url)
            elif label == "postgres":
                with PostgresDb(args.pg_name) as db:
                    build(db.url, args.participants, args.seed)
                    child(db.url)
            else:
                raise SystemExit(f"--databases: unknown database '{label}' (use sqlite, postgres)")
    if args.json:
        print(json.dumps(reports, indent=2))
        return
    for report in reports:
        print_report(report)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "turnpoint.settings")
    main()
