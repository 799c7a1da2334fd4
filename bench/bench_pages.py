"""Benchmark the caseload and participant pages under 20 concurrent users, against the Django
admin changelist of participants measured in the same run as the baseline; and check that no
page's query count grows with the size of the caseload.

1. Latency (PostgreSQL): a database with a synthetic caseload (100,000 participants by default,
   made with `turnpoint synth`, or an existing one with --database-url), served by gunicorn
   (2 sync workers, static files by WhiteNoise) on loopback; locust runs headless on loopback with
   20 users for a bounded time; each user holds its own signed-in session (made beforehand, so
   password hashing is not in the figures) of a coordinator in every programme team (also a
   superuser, so the admin page opens) and requests the three pages in random order with a
   short pause between requests. Median and p95 per page, from locust's own statistics.
2. Query counts: the same three pages through Django's test client with
   CaptureQueriesContext, on a caseload of 100 and of 10,000 participants (fresh SQLite files).

    .venv/bin/python bench/bench_pages.py                         # builds its own 100k database
    .venv/bin/python bench/bench_pages.py --database-url postgres://postgres@127.0.0.1:5432/turnpoint_bench_synth
    .venv/bin/python bench/bench_pages.py --participants 20000 --run-time 30

Target from issue 2: p95 under 150 ms; no page's query count growing with the caseload.
"""

import argparse
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    BIN,
    ROOT,
    TURNPOINT,
    PostgresDb,
    SqliteDb,
    env_for,
    prepare,
    run,
)

USER_SETUP = r"""
from turnpoint.accounts.models import Agency, AgencyKind, Role, User
from turnpoint.programmes.models import Programme
from turnpoint.sharing.reach import participants_visible_to


def bench_user():
    agency, _ = Agency.objects.get_or_create(
        name="Benchmark", defaults={"kind": AgencyKind.COORDINATION})
    user, _ = User.objects.update_or_create(username="bench", defaults={
        "role": Role.COORDINATOR, "agency": agency, "is_staff": True, "is_superuser": True,
        "first_name": "Bench", "last_name": "User"})
    user.set_unusable_password()
    user.save()
    user.programmes.set(Programme.objects.all())
    ids = list(participants_visible_to(user).order_by("pk").values_list("pk", flat=True))
    return user, ids, ids[:: max(1, len(ids) // 500)][:500]
"""

SETUP = (
    "import json, sys, django\ndjango.setup()\n"
    + USER_SETUP
    + """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from turnpoint.accounts.mfa import MFA_SESSION_KEY

user, ids, sample = bench_user()
sessions = []
for _ in range(int(sys.argv[1])):  # one signed-in session per simulated user
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[MFA_SESSION_KEY] = str(user.pk)  # past the security-code step too (SEC-25)
    store.create()
    sessions.append(store.session_key)
print(json.dumps({"participants": len(ids), "sample": sample, "sessions": sessions}))
"""
)

QUERY_COUNTS = (
    "import json, django\ndjango.setup()\n"
    + USER_SETUP
    + """
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from turnpoint.accounts.mfa import MFA_SESSION_KEY

user, ids, sample = bench_user()
client = Client()
client.force_login(user)
session = client.session
session[MFA_SESSION_KEY] = str(user.pk)  # past the security-code step too (SEC-25)
session.save()
pages = {"caseload": "/", "participant": f"/participants/{sample[len(sample) // 2]}/",
         "admin changelist": "/admin/people/participant/"}
out = {"participants": len(ids)}
for name, url in pages.items():
    client.get(url)  # warm per-process caches (content types, templates)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    out[name] = {"status": response.status_code, "queries": len(ctx)}
print(json.dumps(out))
"""
)


ANALYZE = """
import django
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("ANALYZE")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except Exception:
            time.sleep(0.5)
    raise SystemExit(f"the server at {url} did not answer within {timeout} s")


def latency(
    database_url: str,
    *,
    users: int,
    run_time: int,
    wait: tuple[float, float],
    wsgi: str,
    phases: list[str],
) -> dict:
    env = env_for(database_url)
    run([TURNPOINT, "migrate", "-v0"], env=env)  # an existing database may predate new tables
    # A freshly bulk-loaded database has no planner statistics yet; production ones do.
    run([sys.executable, "-c", ANALYZE], env=env)
    setup = json.loads(run([sys.executable, "-c", SETUP, str(users)], env=env))
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), wsgi, "-w", "2", "-b", f"127.0.0.1:{port}",
         "--log-level", "warning"],
        env=env, cwd=ROOT,
    )  # fmt: skip
    try:
        wait_for(f"{host}/sign-in/")
        alone = unloaded(host, setup["sessions"][0], setup["sample"][len(setup["sample"]) // 2])
        locust_env = {
            **env,
            "BENCH_PARTICIPANT_IDS": ",".join(map(str, setup["sample"])),
            "BENCH_SESSIONS": ",".join(setup["sessions"]),
            "BENCH_WAIT_MIN": str(wait[0]),
            "BENCH_WAIT_MAX": str(wait[1]),
        }
        pages = {}
        for phase in phases:
            rows = locust(host, {**locust_env, "BENCH_PAGES": phase}, users, run_time)
            for row in rows:
                if row["Name"] == "Aggregated":
                    continue
                label = row["Name"] if phase != "mixed" else f"{row['Name']} [mixed]"
                pages[label] = {
                    "requests": int(row["Request Count"]),
                    "failures": int(row["Failure Count"]),
                    "median_ms": float(row["Median Response Time"]),
                    "p95_ms": float(row["95%"]),
                    "rps": round(float(row["Requests/s"]), 1),
                }
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    return {"participants": setup["participants"], "users": users, "run_time_s": run_time,
            "wait_s": list(wait), "phases": phases, "pages": pages,
            "unloaded_median_ms": alone}  # fmt: skip


def locust(host: str, env: dict, users: int, run_time: int) -> list[dict]:
    """One headless locust run; its per-request-name statistics rows.

    Users start over five seconds and the statistics restart once all are running, so the
    figures describe the steady state with every user active, not the start-up burst."""
    with tempfile.TemporaryDirectory(prefix="turnpoint-locust-") as tmp:
        with open(f"{tmp}/locust.log", "w") as log:
            subprocess.run(
                [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
                 "-u", str(users), "-r", str(max(1, users // 5)), "--run-time", f"{run_time}s",
                 "--host", host, "--csv", f"{tmp}/run", "--only-summary", "--reset-stats",
                 "--stop-timeout", "5", "--loglevel", "WARNING"],
                env=env, cwd=ROOT, check=False, stdout=subprocess.DEVNULL, stderr=log,
            )  # fmt: skip
        if not Path(f"{tmp}/run_stats.csv").exists():
            raise SystemExit(Path(f"{tmp}/locust.log").read_text())
        with open(f"{tmp}/run_stats.csv", newline="") as f:
            return list(csv.DictReader(f))


def unloaded(host: str, session: str, pk: int, repeat: int = 7) -> dict:
    """Each page requested alone, one after another: its service time without queueing."""
    from statistics import median

    pages = {"caseload /": "/", "participant /participants/<pk>/": f"/participants/{pk}/",
             "admin changelist /admin/people/participant/ (baseline)":
             "/admin/people/participant/"}  # fmt: skip
    result = {}
    for name, path in pages.items():
        times = []
        for _ in range(repeat + 1):  # the first request warms the worker
            request = urllib.request.Request(
                host + path, headers={"Cookie": f"sessionid={session}"}
            )
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
            times.append((time.perf_counter() - started) * 1000)
        result[name] = round(median(times[1:]))
    return result


def query_counts(sizes: list[int], seed: int) -> list[dict]:
    results = []
    for size in sizes:
        with SqliteDb() as db:
            prepare(db.url)
            env = env_for(db.url)
            run([TURNPOINT, "synth", "--participants", str(size), "--seed", str(seed)], env=env)
            results.append(json.loads(run([sys.executable, "-c", QUERY_COUNTS], env=env)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="an existing PostgreSQL database with a caseload")
    parser.add_argument("-n", "--participants", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--run-time", type=int, default=60, help="seconds of load per phase")
    parser.add_argument(
        "--phases",
        default="caseload,participant,admin",
        help="one load phase per page (each page alone under all users); 'mixed' = all three",
    )
    parser.add_argument("--wait", type=float, nargs=2, default=(0.5, 1.5), metavar=("MIN", "MAX"))
    parser.add_argument("--pg-name", default="turnpoint_bench_pages")
    parser.add_argument("--counts", default="100,10000", help="caseload sizes for query counts")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument(
        "--wsgi", default="turnpoint.wsgi", help="WSGI module to serve (to compare a variant)"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = {}
    if not args.skip_latency:
        wait = tuple(args.wait)
        if args.database_url:
            report["latency"] = latency(
                args.database_url, users=args.users, run_time=args.run_time, wait=wait,
                wsgi=args.wsgi, phases=args.phases.split(","),
            )  # fmt: skip
        else:
            with PostgresDb(args.pg_name) as db:
                prepare(db.url)
                print(f"synth {args.participants} participants…", file=sys.stderr)
                run([TURNPOINT, "synth", "--participants", str(args.participants), "--seed",
                     str(args.seed)], env=env_for(db.url))  # fmt: skip
                report["latency"] = latency(
                    db.url, users=args.users, run_time=args.run_time, wait=wait,
                    wsgi=args.wsgi, phases=args.phases.split(","),
                )  # fmt: skip
    if args.counts:
        sizes = [int(s) for s in args.counts.split(",")]
        report["query_counts"] = query_counts(sizes, args.seed)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    if "latency" in report:
        lat = report["latency"]
        print(f"{lat['users']} users, {lat['run_time_s']} s per phase, pause {lat['wait_s']} s, "
              f"{lat['participants']:,} participants on PostgreSQL")  # fmt: skip
        print("| page | requests | failures | median | p95 | req/s | alone (median) |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for name, p in lat["pages"].items():
            alone = lat["unloaded_median_ms"].get(name.removesuffix(" [mixed]"), "?")
            print(f"| {name} | {p['requests']} | {p['failures']} | {p['median_ms']:.0f} ms "
                  f"| {p['p95_ms']:.0f} ms | {p['rps']} | {alone} ms |")  # fmt: skip
    if "query_counts" in report:
        print("\n| caseload size | caseload queries | participant queries | admin queries |")
        print("| ---: | ---: | ---: | ---: |")
        for c in report["query_counts"]:
            cells = " | ".join(
                f"{c[k]['queries']} (HTTP {c[k]['status']})"
                for k in ("caseload", "participant", "admin changelist")
            )
            print(f"| {c['participants']:,} | {cells} |")


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "turnpoint.settings")
    main()
