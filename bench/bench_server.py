"""Benchmark pages and lists through gunicorn under 20 concurrent users, against targets, with
the sharing policy's overhead over a permissive core measured in the same run.

- Database: a fresh database per `--databases` entry (PostgreSQL by default; SQLite too with
  `--databases postgres,sqlite`), migrated, the shipped programmes loaded and
  `turnpoint synth --participants N --seed S` run; or an existing one with `--database-url`.
  Two users, members of every programme's team: a coordinator of the agency that holds the
  records, and a judge of a court, whose reads cross agencies and so write disclosures. For 500
  participants spread over the caseload (the pages asked about), a clinician of the treatment
  provider records consents to share progress with the court and the odd court order, as
  `turnpoint demo` does (`sharing.synth.synth_openings`). Each user thread has its own session
  (past the security-code step); each user has an API token. PostgreSQL is vacuumed and analysed.
- Servers: two `gunicorn` servers on loopback, `--workers` sync workers each: `turnpoint.wsgi`
  (the real policy) and `bench_server_app` (the same application with a permissive core that
  allows every read and records nothing; see bench/bench_server_app.py).
- Load: `--users` threads (half as the coordinator, half as the judge), each sending requests
  back to back, no pause, a new connection each. For each kind of request, blocks of
  `--block-seconds` go to one server then the other (the order swapped each round), so the
  machine's other load falls on both alike; `--rounds` rounds. The kinds: the participant page
  (`/participants/<id>/`, the 500 in turn), the team caseload page (`/?view=team`, 50 rows) and
  the API list of 1,000 participants (`/api/participants?limit=1000`, the API's largest page).
  Each response is checked (HTTP 200; 1,000 items in a list). The disclosure index is brought up
  to date between rounds, as the scheduler would.
- Reported: p50, p95 and p99 per kind and server, against the targets (p95: pages 150 ms, the
  list 300 ms); the policy's p95 over the permissive server's, with a 90% bootstrap interval
  over rounds; audit entries and disclosures each server wrote (the permissive server must
  write none); and the queries each request makes (Django's test client in-process, after one
  warm-up request), for each user, at N and at each of `--count-sizes` participants (fresh
  databases of the same kind).

    python bench/bench_server.py                          # PostgreSQL, 100,000 participants
    python bench/bench_server.py -n 10000 --rounds 4 --databases sqlite
    python bench/bench_server.py --database-url postgres://postgres@127.0.0.1:5432/bench_pg
    python bench/bench_server.py --database-url ... --profile participant   # cProfile, no load

Figures go to stdout as a table and, in full, to
bench/out/bench_server-<database>-<users>users.json.
"""

import argparse
import http.client
import itertools
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BIN, ROOT, PostgresDb, SqliteDb, env_for, load_average, prepare, run

KINDS = {  # kind: (label, path, credentials, p95 target in ms)
    "participant": ("participant page", "/participants/{pk}/", "web", 150),
    "caseload": ("caseload page", "/?view=team", "web", 150),
    "api-list": ("API list, 1,000 rows", "/api/participants?limit=1000", "api", 300),
}
WHO = ("coordinator", "judge")
SERVERS = ("policy", "permissive")
OUT = ROOT / "bench" / "out"


# Set-up, in the measuring process ---------------------------------------------------------------


def bench_users() -> dict:
    """The coordinator, the judge and the clinician who records the judge's consents; members of
    every programme's team. Made again on an existing database."""
    from turnpoint.accounts.models import Agency, AgencyKind, Role, User
    from turnpoint.programmes.models import Programme

    users = {}
    for key, role, agency, kind in (
        ("coordinator", Role.COORDINATOR, "Benchmark programme team", AgencyKind.COORDINATION),
        ("judge", Role.JUDGE, "Benchmark court", AgencyKind.COURT),
        ("clinician", Role.CLINICIAN, "Benchmark drug service", AgencyKind.TREATMENT),
    ):
        agency, _ = Agency.objects.get_or_create(name=agency, defaults={"kind": kind})
        user, _ = User.objects.update_or_create(
            username=f"bench-{key}",
            defaults={"role": role, "agency": agency, "first_name": "Bench", "last_name": key},
        )
        user.set_unusable_password()
        user.save()
        user.programmes.set(Programme.objects.all())
        users[key] = user
    return users


def set_up(users_per_kind: int) -> dict:
    """Users, openings, sessions and tokens; returns what the client threads need."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from turnpoint.accounts.mfa import MFA_SESSION_KEY
    from turnpoint.accounts.models import api_token_create
    from turnpoint.people.models import Participant
    from turnpoint.sharing.reach import participants_visible_to
    from turnpoint.sharing.synth import Court, synth_openings

    users = bench_users()
    judge = users["judge"]
    ids = list(participants_visible_to(users["coordinator"]).values_list("pk", flat=True))
    ids.sort()
    sample = ids[:: max(1, len(ids) // 500)][:500]
    court = Court(programme_team=users["coordinator"], treatment_provider=users["clinician"],
                  recipient_agency=judge.agency, recipient_role=judge.role,
                  name=str(judge.agency))  # fmt: skip
    people = Participant.objects.in_bulk(sample)
    made = synth_openings([people[pk] for pk in sample], court)

    def session(user) -> str:
        client = Client()
        client.force_login(user)
        s = client.session
        s[MFA_SESSION_KEY] = str(user.pk)  # past the security-code step (SEC-25)
        s.save()
        return client.cookies[settings.SESSION_COOKIE_NAME].value

    sessions = {who: [session(users[who]) for _ in range(users_per_kind)] for who in WHO}
    tokens = {who: api_token_create(user=users[who], label="bench_server") for who in WHO}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return {
        "participants": len(ids),
        "sample": sample,
        "openings": made,
        "cookie": settings.SESSION_COOKIE_NAME,
        "sessions": sessions,
        "tokens": tokens,
    }


def headers_for(setup: dict, who: str, credentials: str, n: int) -> dict:
    if credentials == "api":
        return {"Authorization": f"Bearer {setup['tokens'][who]}"}
    return {"Cookie": f"{setup['cookie']}={setup['sessions'][who][n]}"}


def path_for(kind: str, pk: int) -> str:
    return KINDS[kind][1].format(pk=pk)


def query_counts(setup: dict) -> dict:
    """Queries per request, in-process through the test client, for each kind and user: with
    the real policy, then with the permissive core installed in this process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for core in SERVERS:
        if core == "permissive":
            import bench_server_app  # noqa: F401 - installs the permissive core here too
        for kind, (_, _, credentials, _) in KINDS.items():
            for who in WHO:
                client = Client()
                headers = headers_for(setup, who, credentials, 0)
                if "Cookie" in headers:
                    client.cookies[setup["cookie"]] = setup["sessions"][who][0]
                    headers = {}
                for pk in setup["sample"][:2]:
                    with CaptureQueriesContext(connection) as ctx:
                        response = client.get(path_for(kind, pk), headers=headers)
                    if response.status_code != 200:
                        raise SystemExit(f"{kind} as {who}: HTTP {response.status_code}")
                counts[f"{kind} {who} {core}"] = len(ctx)  # the second request's
    return counts


def last_ids() -> tuple[int, int]:
    from django.db.models import Max

    from turnpoint.sharing.models import AuditEntry, DisclosureAct

    return (
        AuditEntry.objects.aggregate(m=Max("pk"))["m"] or 0,
        DisclosureAct.objects.aggregate(m=Max("pk"))["m"] or 0,
    )


def written_since(ids: tuple[int, int]) -> tuple[int, int]:
    """Audit entries, and participants disclosed, written after `last_ids()` gave `ids`."""
    from turnpoint.sharing.models import AuditEntry, Disclosure

    return (
        AuditEntry.objects.filter(pk__gt=ids[0]).count(),
        Disclosure.objects.filter(act_id__gt=ids[1]).count(),
    )


# Servers and load -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, core: str, workers: int):
        self.core, self.port = core, free_port()
        app = "turnpoint.wsgi:application" if core == "policy" else "bench_server_app:application"
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), app, "--pythonpath", f"{ROOT},{ROOT / 'bench'}",
             "-w", str(workers), "-b", f"127.0.0.1:{self.port}", "--no-control-socket",
             "--log-level", "warning", "--timeout", "120"],
            env={**os.environ, "PYTHONPATH": str(ROOT),
                 "PYTHONWARNINGS": "ignore:No directory at"},  # no collected static files
            cwd=ROOT,
        )  # fmt: skip

    def get(self, path: str, headers: dict) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def wait(self, path: str, headers: dict, timeout: float = 120) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.core}: gunicorn exited with {self.process.returncode}")
            try:
                status, body = self.get(path, headers)
            except OSError:
                time.sleep(0.5)
                continue
            if status != 200:
                raise SystemExit(f"{self.core}: {path} answered HTTP {status}\n{body[:300]!r}")
            return
        raise SystemExit(f"{self.core}: no answer on port {self.port} within {timeout} s")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def block(server: Server, kind: str, setup: dict, users: int, seconds: float, ids) -> list:
    """`users` threads sending `kind` requests back to back to `server` for `seconds`: each
    request started before the end, as (user, milliseconds)."""
    _, _, credentials, _ = KINDS[kind]
    timings, failures = [], []
    deadline = time.perf_counter() + seconds

    def user(n: int) -> None:
        who = WHO[n % 2]
        headers = headers_for(setup, who, credentials, n // 2)
        checked = False
        while time.perf_counter() < deadline and not failures:
            path = path_for(kind, next(ids))
            started = time.perf_counter()
            try:
                status, body = server.get(path, headers)
            except OSError as exc:
                failures.append(f"{server.core} {path}: {exc}")
                return
            timings.append((who, (time.perf_counter() - started) * 1000))
            if status != 200:
                failures.append(f"{server.core} {path} as {who}: HTTP {status} {body[:300]!r}")
            elif credentials == "api" and not checked:
                items, wanted = len(json.loads(body)["items"]), min(1000, setup["participants"])
                if items != wanted:
                    failures.append(f"{server.core} {path}: {items} items, not {wanted}")
                checked = True

    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise SystemExit(failures[0])
    return timings


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def ratio_interval(policy: list[list], permissive: list[list], resamples: int = 1000):
    """90% bootstrap interval of the ratio of p95s, resampling rounds (each round's two blocks
    stay together, as the machine's load at the time moved both)."""
    rng = random.Random(2026)
    rounds = range(len(policy))
    ratios = []
    for _ in range(resamples):
        pick = [rng.choice(rounds) for _ in rounds]
        a = [t for r in pick for t in policy[r]]
        b = [t for r in pick for t in permissive[r]]
        ratios.append(percentile(a, 95) / percentile(b, 95))
    return percentile(ratios, 5), percentile(ratios, 95)


def measure(args) -> dict:
    import django

    django.setup()
    from django.db import connection

    from turnpoint.sharing.record import disclosures_index

    setup = set_up(args.users // 2 + 1)
    if args.profile:
        return profile(args.profile, setup, args.profile_requests)
    servers = {core: Server(core, args.workers) for core in SERVERS}
    ids = itertools.cycle(setup["sample"])
    times = {k: {s: [] for s in SERVERS} for k in KINDS}  # per round: [(who, ms)]
    written = {k: {s: [0, 0] for s in SERVERS} for k in KINDS}
    try:
        for server in servers.values():
            server.wait(path_for("participant", setup["sample"][0]),
                        headers_for(setup, "judge", "web", 0))  # fmt: skip
        for kind in KINDS:  # warm-up: every worker of each server, not counted
            for server in servers.values():
                block(server, kind, setup, args.users, 2, ids)
        disclosures_index()
        load_before, started = load_average(), time.perf_counter()
        for round_ in range(args.rounds):
            for kind in KINDS:
                order = SERVERS if round_ % 2 == 0 else SERVERS[::-1]
                for core in order:
                    before = last_ids()
                    times[kind][core].append(
                        block(servers[core], kind, setup, args.users, args.block_seconds, ids)
                    )
                    audit, disclosed = written_since(before)
                    written[kind][core][0] += audit
                    written[kind][core][1] += disclosed
            disclosures_index()  # as the scheduler would, between rounds
            print(f"  round {round_ + 1}/{args.rounds}", file=sys.stderr, end="\r")
        print(file=sys.stderr)
        elapsed, load_after = time.perf_counter() - started, load_average()
    finally:
        for server in servers.values():
            server.stop()

    results = {}
    for kind, (label, _, _, target) in KINDS.items():
        row = {"label": label, "target_p95_ms": target}
        for core in SERVERS:
            rounds = times[kind][core]
            ms = [t for r in rounds for _, t in r]
            row[core] = {
                "requests": len(ms),
                "per_second": round(len(ms) / (args.rounds * args.block_seconds), 1),
                "p50_ms": round(percentile(ms, 50), 1),
                "p95_ms": round(percentile(ms, 95), 1),
                "p99_ms": round(percentile(ms, 99), 1),
                "p95_ms_by_user": {
                    who: round(percentile([t for r in rounds for w, t in r if w == who], 95), 1)
                    for who in WHO
                },
                "audit_entries_written": written[kind][core][0],
                "participants_disclosed": written[kind][core][1],
            }
        row["met"] = row["policy"]["p95_ms"] < target
        row["p95_ratio"] = round(row["policy"]["p95_ms"] / row["permissive"]["p95_ms"], 2)
        low, high = ratio_interval(
            [[t for _, t in r] for r in times[kind]["policy"]],
            [[t for _, t in r] for r in times[kind]["permissive"]],
        )
        row["p95_ratio_interval"] = [round(low, 2), round(high, 2)]
        results[kind] = row
    return {
        "database": "PostgreSQL" if connection.vendor == "postgresql" else "SQLite",
        "participants": setup["participants"],
        "users": args.users,
        "workers": args.workers,
        "rounds": args.rounds,
        "block_seconds": args.block_seconds,
        "seconds": round(elapsed, 1),
        "load_average": [load_before, load_after],
        "openings": setup["openings"],
        "results": results,
        "queries": query_counts(setup),
    }


def counts_only(args) -> dict:
    import django

    django.setup()
    setup = set_up(1)
    return {"participants": setup["participants"], "queries": query_counts(setup)}


def profile(kind: str, setup: dict, requests: int) -> dict:
    """cProfile of `requests` requests of one kind as each user, in-process (test client),
    printed to stderr: the top functions by cumulative time, then the project's own."""
    import cProfile
    import io
    import pstats

    from django.test import Client

    out = io.StringIO()
    for who in WHO:
        client = Client()
        client.cookies[setup["cookie"]] = setup["sessions"][who][0]
        headers = headers_for(setup, who, KINDS[kind][2], 0)
        headers.pop("Cookie", None)
        paths = [path_for(kind, pk) for pk in setup["sample"][:requests]]
        for path in paths[:3]:
            client.get(path, headers=headers)
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for i in range(requests):
            client.get(paths[i % len(paths)], headers=headers)
        profiler.disable()
        mean = (time.perf_counter() - started) * 1000 / requests
        print(f"\n=== {kind} as the {who}: {requests} requests, {mean:.1f} ms each (profiled) ===",
              file=out)  # fmt: skip
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(15)
    print(out.getvalue(), file=sys.stderr)
    return {"profiled": kind, "requests": requests}


# Orchestration ----------------------------------------------------------------------------------


def child(database_url: str, args, mode: str) -> dict:
    argv = [sys.executable, __file__, mode, "--users", str(args.users),
            "--workers", str(args.workers), "--rounds", str(args.rounds),
            "--block-seconds", str(args.block_seconds)]  # fmt: skip
    if args.profile:
        argv += ["--profile", args.profile, "--profile-requests", str(args.profile_requests)]
    env = {**env_for(database_url), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the measuring process failed ({done.returncode})")
    return json.loads(done.stdout)


def build(database_url: str, participants: int, seed: int) -> None:
    prepare(database_url)
    print(f"synth {participants:,} participants…", file=sys.stderr)
    started = time.perf_counter()
    run([sys.executable, "-m", "turnpoint", "synth", "--participants", str(participants),
         "--seed", str(seed)], env={**env_for(database_url), "PYTHONPATH": str(ROOT)})  # fmt: skip
    print(f"  {time.perf_counter() - started:.0f} s", file=sys.stderr)


def fresh(label: str, name: str):
    if label == "postgres":
        return PostgresDb(name)
    if label == "sqlite":
        return SqliteDb()
    raise SystemExit(f"--databases: unknown database '{label}' (use postgres, sqlite)")


def print_report(r: dict) -> None:
    print(f"\n{r['database']}, {r['participants']:,} participants; {r['users']} users back to "
          f"back; two gunicorn servers of {r['workers']} sync workers; {r['rounds']} rounds of "
          f"{r['block_seconds']} s blocks per kind and server; {r['seconds']} s; load average "
          f"{r['load_average'][0]} / {r['load_average'][1]}\n")  # fmt: skip
    print("| request | policy p50 / p95 / p99 (req/s) | permissive p50 / p95 / p99 (req/s) "
          "| p95 ratio (90% interval) | target p95 | met |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for row in r["results"].values():
        a, b = row["policy"], row["permissive"]
        low, high = row["p95_ratio_interval"]
        print(f"| {row['label']} | {a['p50_ms']:.0f} / {a['p95_ms']:.0f} / {a['p99_ms']:.0f} ms "
              f"({a['per_second']}) | {b['p50_ms']:.0f} / {b['p95_ms']:.0f} / {b['p99_ms']:.0f} ms "
              f"({b['per_second']}) | {row['p95_ratio']:.2f} ({low:.2f} to {high:.2f}) "
              f"| {row['target_p95_ms']} ms | {'yes' if row['met'] else 'NO'} |")  # fmt: skip
    print("\n| request | policy p95 coordinator / judge | audit entries / participants "
          "disclosed: policy | permissive |")  # fmt: skip
    print("| --- | ---: | ---: | ---: |")
    for row in r["results"].values():
        a, b = row["policy"], row["permissive"]
        by = a["p95_ms_by_user"]
        print(
            f"| {row['label']} | {by['coordinator']:.0f} / {by['judge']:.0f} ms "
            f"| {a['audit_entries_written']:,} / {a['participants_disclosed']:,} "
            f"| {b['audit_entries_written']:,} / {b['participants_disclosed']:,} |"
        )
    sizes = r["query_sizes"]
    print("\nQueries per request (policy; permissive) at " +
          ", ".join(f"{n:,}" for n in sizes) + " participants:\n")  # fmt: skip
    print("| request | user | " + " | ".join(f"{n:,}" for n in sizes) + " |")
    print("| --- | --- |" + " ---: |" * len(sizes))
    for kind, row in r["results"].items():
        for who in WHO:
            cells = [
                f"{q[f'{kind} {who} policy']}; {q[f'{kind} {who} permissive']}"
                for q in r["queries_by_size"]
            ]
            print(f"| {row['label']} | {who} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--databases", default="postgres", help="postgres, sqlite or both")
    parser.add_argument("--database-url", help="an existing migrated database with a caseload")
    parser.add_argument("-n", "--participants", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--count-sizes", default="100,10000",
                        help="also count queries at these sizes (fresh databases)")  # fmt: skip
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4, help="sync workers per server")
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--block-seconds", type=float, default=4)
    parser.add_argument("--pg-name", default="turnpoint_bench_server")
    parser.add_argument("--profile", choices=list(KINDS), help="profile one kind in-process")
    parser.add_argument("--profile-requests", type=int, default=30)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--counts", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure or args.counts:  # a child: the database is in DATABASE_URL
        print(json.dumps(measure(args) if args.measure else counts_only(args)))
        return

    labels = ["postgres" if args.database_url.startswith("postgres") else "sqlite"] \
        if args.database_url else args.databases.split(",")  # fmt: skip
    sizes = [int(n) for n in args.count_sizes.split(",") if n]
    for label in labels:
        if args.database_url:
            report = child(args.database_url, args, "--measure")
        else:
            with fresh(label, args.pg_name) as db:
                build(db.url, args.participants, args.seed)
                report = child(db.url, args, "--measure")
        if args.profile:
            continue
        counted = []
        for n in sizes:
            with fresh(label, f"{args.pg_name}_{n}") as db:
                build(db.url, n, args.seed)
                counted.append(child(db.url, args, "--counts"))
        counted.append({"participants": report["participants"], "queries": report["queries"]})
        report["query_sizes"] = [c["participants"] for c in counted]
        report["queries_by_size"] = [c["queries"] for c in counted]
        report["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        report["cores"] = os.cpu_count()
        OUT.mkdir(exist_ok=True)
        (OUT / f"bench_server-{label}-{args.users}users.json").write_text(
            json.dumps(report, indent=2)
        )
        print_report(report)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "turnpoint.settings")
    main()
