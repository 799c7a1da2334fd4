"""Benchmark what the sharing policy and its audit cost: the participant page and 1,000-row API
lists with the real policy, against the same requests with a permissive policy in the same run.

- Database: a synthetic caseload made with `turnpoint synth` (10,000 participants by default) in a
  fresh SQLite file and/or a fresh PostgreSQL database, or an existing one (--database-url),
  migrated, and on PostgreSQL vacuumed and analysed first. Two users in every programme team: a
  programme coordinator of a coordination agency (the same kind of agency that holds the records:
  no disclosure) and a judge of a court (another agency: every read of identity, legal and
  pathway records is a disclosure, SEC-13). Sessions and API tokens are made beforehand, so
  sign-in is not in the figures.
- Requests, sequential and in-process (Django's test client through the whole middleware stack;
  no network, no server, no other users): the participant page `/participants/<pk>/` (500
  participants spread over the caseload) for each user, and `/api/participants?limit=1000` and
  `/api/referrals?limit=1000` for each user's bearer token.
- Two modes measured in the same process, interleaved: blocks of --block requests of one kind,
  policy then permissive, then permissive then policy (ABBA), until each mode has --requests
  of each page and --list-requests of each 1,000-row list, so a change in the machine's load
  moves both alike. Wall time and this process's CPU time are taken per request.
- The permissive mode swaps, in every loaded `turnpoint` module that imported them (patched where
  used), the policy's functions for stand-ins: `decide` allows every read with no consent lookup
  (writes are still decided by the role table, so both modes offer the same action forms),
  `readable_categories` returns every category, `participants_visible_to` returns every
  participant (`caseload_count` counts them all, and `_reaches`, its test for one participant,
  is always true),
  `active_consents` and `active_court_orders` return none without a query (and
  `active_consents_column`, the consents read with the participant on the page, is NULL), and
  `audit_read`, `read_recorded` and `disclosures_for_read` write nothing (`participants_read`
  only reads). Everything else
  (routing, sessions, the queries for the records, templates, serialisation) is the same code.
  The audit and disclosure rows written in each mode are counted to show the bypass is real.
- The p95 overhead comes with a 90% bootstrap interval (`p95_overhead_interval`: rounds
  resampled, each keeping its pair of blocks). A p95 of a few hundred requests moves by ten
  points and more between runs of the same code, so one figure alone says little; the defaults
  (1,000 requests a mode for each page, 300 for each list) keep the interval a few points
  wide. The upper end is a 95% upper bound of the overhead.
- Consents and court orders, so the policy's lookups find what a treatment court's would
  (`bench_openings`): of the 500 participants the pages ask about, three in four have consented
  to the court seeing their attendance, drug test results and treatment progress, for court
  review, and one in fifty has a court order for the treatment provider's views, both recorded
  through the services staff use (`share_consent_create`, `court_order_record`), by
  `turnpoint.sharing.synth.synth_openings`, which `turnpoint demo` uses too. The rates are
  illustrative; `turnpoint synth` makes neither.
- Query counts per request in each mode (CaptureQueriesContext) at two list sizes.
- The disclosures' backlog is indexed between rounds (`disclosures_index`, as cron would run
  it), outside any request's time; its cost is reported on its own.
- After the warm-up the process is settled as `turnpoint.wsgi` settles a server's
  (`turnpoint.runtime.settle`: every view imported, start-up's objects frozen out of the
  cyclic collector's full collections, thresholds raised so a request's objects die young).
  The collections that still run inside the measured requests are counted in each mode, with
  their time, apart from those the settled process runs after a response
  (`turnpoint.runtime.collect_after_response`), which the test client runs inside its call, so
  their time is in the figures (a server runs them once the response is written).

    .venv/bin/python bench/bench_policy.py                        # SQLite, 10,000 participants
    .venv/bin/python bench/bench_policy.py --databases sqlite,postgres
    .venv/bin/python bench/bench_policy.py --database-url postgres://postgres@127.0.0.1:5432/db
    .venv/bin/python bench/bench_policy.py --profile api-referrals-other   # where the time goes

Target from issue 3: overhead under 15% at p95, with no extra query per row.
"""

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    TURNPOINT,
    PostgresDb,
    SqliteDb,
    env_for,
    load_average,
    prepare,
    run,
)

POLICY, PERMISSIVE = "policy", "permissive"
# name -> (label, user, path template); {pk} is a participant, {limit} the list size.
KINDS = {
    "page-same": ("participant page, same agency (coordinator)", "coordinator",
                  "/participants/{pk}/"),
    "page-other": ("participant page, other agency (judge)", "judge", "/participants/{pk}/"),
    "api-participants-same": ("API participants, same agency (coordinator)", "coordinator",
                              "/api/participants?limit={limit}"),
    "api-participants-other": ("API participants, other agency (judge)", "judge",
                               "/api/participants?limit={limit}"),
    "api-referrals-same": ("API referrals, same agency (coordinator)", "coordinator",
                           "/api/referrals?limit={limit}"),
    "api-referrals-other": ("API referrals, other agency (judge)", "judge",
                            "/api/referrals?limit={limit}"),
}  # fmt: skip


# The permissive policy -------------------------------------------------------------------------


class Permissive:
    """Swaps the policy's functions for permissive stand-ins wherever a `turnpoint` module holds
    them (a view that did `from ...policy import decide` holds its own reference, so patching
    only the policy module would change nothing there). `enter()`/`exit()` switch modes cheaply
    between blocks; `patched` says how many modules held each name."""

    def __init__(self):
        from django.db.models import Q, TextField, Value

        from turnpoint.journeys.models import Referral
        from turnpoint.people.models import Participant
        from turnpoint.sharing import consents, court_orders, disclosures, policy
        from turnpoint.sharing.categories import Category

        real_decide = policy.decide
        every = frozenset(Category)

        def decide(user, category, *, action="read", **kwargs):
            if action == "read":
                return policy.Decision(True, "permissive benchmark policy", "role")
            return real_decide(user, category, action=action, **kwargs)

        self.originals = {
            "decide": real_decide,
            "readable_categories": policy.readable_categories,
            "participants_visible_to": policy.participants_visible_to,
            "referrals_visible_to": policy.referrals_visible_to,
            "caseload_count": policy.caseload_count,
            "_reaches": policy._reaches,
            "active_consents": consents.active_consents,
            "active_consents_column": consents.active_consents_column,
            "active_court_orders": court_orders.active_court_orders,
            "audit_read": policy.audit_read,
            "read_recorded": disclosures.read_recorded,
            "participants_read": disclosures.participants_read,
            "disclosures_for_read": disclosures.disclosures_for_read,
            "with_programme_shown": disclosures.with_programme_shown,
        }
        self.stand_ins = {
            "decide": decide,
            "readable_categories": lambda user, **kwargs: every,
            "participants_visible_to": lambda user: Participant.objects.all(),
            "referrals_visible_to": lambda user: Referral.objects.all(),
            "caseload_count": lambda user, programme=None: (
                Participant.objects.filter(referrals__programme=programme).distinct()
                if programme is not None
                else Participant.objects
            ).count(),
            "_reaches": lambda user, participant_id: Q(),
            "active_consents": lambda ids, **kwargs: {i: [] for i in ids},
            "active_consents_column": lambda pk: Value(None, output_field=TextField()),
            "active_court_orders": lambda ids, **kwargs: {i: [] for i in ids},
            "audit_read": lambda *args, **kwargs: None,
            "read_recorded": lambda *args, **kwargs: [],
            "participants_read": lambda user, rows, categories: list(rows),
            "disclosures_for_read": lambda *args, **kwargs: [],
            "with_programme_shown": lambda user, participants, categories: participants,
        }
        self.sites = []  # (module, name) holding an original
        for module in list(sys.modules.values()):
            if not getattr(module, "__name__", "").startswith("turnpoint"):
                continue
            for name, original in self.originals.items():
                if getattr(module, name, None) is original:
                    self.sites.append((module, name))
        self.patched = {
            name: sorted(m.__name__ for m, n in self.sites if n == name) for name in self.originals
        }

    def enter(self):
        for module, name in self.sites:
            setattr(module, name, self.stand_ins[name])

    def exit(self):
        for module, name in self.sites:
            setattr(module, name, self.originals[name])

    @contextmanager
    def mode(self, mode: str):
        """The permissive stand-ins inside the block when `mode` is PERMISSIVE."""
        if mode == PERMISSIVE:
            self.enter()
        try:
            yield
        finally:
            if mode == PERMISSIVE:
                self.exit()


# Measurement (in a child process per database, so Django is set up for that database) ---------


def bench_users():
    from turnpoint.accounts.models import Agency, AgencyKind, Role, User, api_token_create
    from turnpoint.programmes.models import Programme

    users = {}
    for key, role, agency, kind in (
        ("coordinator", Role.COORDINATOR, "Benchmark coordination", AgencyKind.COORDINATION),
        ("judge", Role.JUDGE, "Benchmark court", AgencyKind.COURT),
        # Records the consents to share what the treatment provider holds (SEC-39).
        ("clinician", Role.CLINICIAN, "Benchmark treatment", AgencyKind.TREATMENT),
    ):
        agency, _ = Agency.objects.get_or_create(name=agency, defaults={"kind": kind})
        user, _ = User.objects.update_or_create(
            username=f"bench-policy-{key}",
            defaults={"role": role, "agency": agency, "first_name": "Bench", "last_name": key},
        )
        user.set_unusable_password()
        user.save()
        user.programmes.set(Programme.objects.all())
        users[key] = (user, api_token_create(user=user, label="bench_policy"))
    return users


def bench_openings(users, sample) -> dict:
    """What the policy finds open for the judge, recorded as staff would record it
    (`turnpoint.sharing.synth.synth_openings`, which the demo uses too): a consent to share with
    the court for three participants in four (their attendance, drug test results and the
    treatment provider's views, for court review, for a year) and a court order for one in
    fifty (the treatment provider's views, for court review). Without them every consent and
    court order lookup of the benchmark found nothing. Participants who already have one (an
    existing database) keep it."""
    from turnpoint.accounts.models import Role
    from turnpoint.people.models import Participant
    from turnpoint.sharing.consents import ShareConsent
    from turnpoint.sharing.court_orders import CourtOrder
    from turnpoint.sharing.synth import Court, synth_openings

    coordinator, judge = users["coordinator"][0], users["judge"][0]
    people = Participant.objects.in_bulk(sample)
    court = Court(programme_team=coordinator, treatment_provider=users["clinician"][0],
                  recipient_agency=judge.agency, recipient_role=Role.JUDGE,
                  name="Benchmark court")  # fmt: skip
    made = synth_openings([people[pk] for pk in sample], court)
    made = {"consents_made": made["consents"], "court_orders_made": made["court_orders"]}
    return {
        **made,
        "sample": len(sample),
        "with_consent": ShareConsent.objects.filter(
            participant_id__in=sample, recipient_agency=judge.agency
        )
        .values("participant")
        .distinct()
        .count(),
        "with_court_order": CourtOrder.objects.filter(participant_id__in=sample)
        .values("participant")
        .distinct()
        .count(),
    }


def clients(users):
    from django.test import Client

    from turnpoint.accounts.mfa import MFA_SESSION_KEY

    out = {}
    for key, (user, token) in users.items():
        web = Client()
        web.force_login(user)
        session = web.session
        session[MFA_SESSION_KEY] = str(user.pk)  # past the security-code step too (SEC-25)
        session.save()
        out[key] = {"web": web, "api": Client(headers={"Authorization": f"Bearer {token}"})}
    return out


def request(client_for, kind: str, pk: int, limit: int):
    _, who, template = KINDS[kind]
    path = template.format(pk=pk, limit=limit)
    client = client_for[who]["api" if path.startswith("/api/") else "web"]
    return client.get(path)


def check(response, kind: str, limit: int) -> int:
    if response.status_code != 200:
        raise SystemExit(f"{kind}: HTTP {response.status_code}\n{response.content[:500]!r}")
    if kind.startswith("api-"):
        items = len(json.loads(response.content)["items"])
        if items != limit:
            raise SystemExit(f"{kind}: {items} items, expected {limit}")
    return len(response.content)


def last_ids() -> tuple[int, int]:
    """The newest audit entry's id and the newest disclosure act's id."""
    from django.db.models import Max

    from turnpoint.sharing.disclosures import DisclosureAct
    from turnpoint.sharing.models import AuditEntry

    return (
        AuditEntry.objects.aggregate(m=Max("pk"))["m"] or 0,
        DisclosureAct.objects.aggregate(m=Max("pk"))["m"] or 0,
    )


def written_since(ids: tuple[int, int]) -> tuple[int, int]:
    """Audit rows and disclosures (participants of acts) written after `last_ids()` gave
    `ids`: ranges of two primary keys, where counting whole tables took seconds a block once
    the runs had written a few hundred thousand disclosures."""
    from turnpoint.sharing.disclosures import Disclosure
    from turnpoint.sharing.models import AuditEntry

    return (
        AuditEntry.objects.filter(pk__gt=ids[0]).count(),
        Disclosure.objects.filter(act_id__gt=ids[1]).count(),
    )


class Collections:
    """Counts the cyclic collector's young (the two younger generations') and full
    (oldest-generation) collections and their time, as a `gc.callbacks` entry: those that ran
    while a request was served, and those a settled process runs after a response
    (`turnpoint.runtime.collect_after_response`, from `request_finished`, which the test client
    sends inside its call as a server does once the response is written, so their time is in
    the request's). A full collection costs a 1,000-row list several milliseconds and a young
    one inside a list about 11 ms, so where they land can decide a list's p95."""

    def __init__(self) -> None:
        self.counts = [0, 0.0, 0, 0.0, 0, 0.0, 0, 0.0]  # inside: young, ms, full, ms; then after
        self.after_response = False
        self._started = None

    def closing(self, **kwargs) -> None:
        """A `request_finished` receiver connected before the runtime's: what follows runs
        after the response."""
        self.after_response = True

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        ms = (time.perf_counter() - self._started) * 1000 if self._started else 0.0
        at = (4 if self.after_response else 0) + (2 if info["generation"] == 2 else 0)
        self.counts[at] += 1
        self.counts[at + 1] += ms

    def seen(self) -> tuple:
        return tuple(self.counts)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def p95_overhead_interval(
    policy: list[float],
    permissive: list[float],
    block: int,
    *,
    confidence: float = 0.90,
    resamples: int = 2000,
) -> tuple[float, float]:
    """A `confidence` bootstrap interval (percentile method, scipy.stats.bootstrap) of the p95
    overhead in percent. The rounds are resampled, not the requests: a round holds one block of
    each mode, run back to back, so what the machine was doing then moves both, and a resample
    keeps each round's pair together (and the requests of a block together, since neighbouring
    requests are not independent). The upper end of a 90% interval is a 95% upper bound: the
    target is met with that confidence when it is under 15%."""
    import numpy as np
    from scipy.stats import bootstrap

    by_round = [
        (policy[i : i + block], permissive[i : i + block]) for i in range(0, len(policy), block)
    ]

    def overhead(rounds):
        a = [t for r in rounds for t in by_round[r][0]]
        b = [t for r in rounds for t in by_round[r][1]]
        base = percentile(b, 95)
        return (percentile(a, 95) - base) / base * 100

    found = bootstrap(
        (np.arange(len(by_round)),), overhead, vectorized=False, n_resamples=resamples,
        confidence_level=confidence, method="percentile", rng=np.random.default_rng(2026),
    )  # fmt: skip
    return found.confidence_interval.low, found.confidence_interval.high


def measure(args) -> dict:
    import django

    django.setup()
    from django.core.signals import request_finished
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from turnpoint.runtime import settle
    from turnpoint.sharing.disclosures import disclosures_index
    from turnpoint.sharing.policy import participants_visible_to

    users = bench_users()
    coordinator = users["coordinator"][0]
    ids = list(participants_visible_to(coordinator).order_by("pk").values_list("pk", flat=True))
    sample = ids[:: max(1, len(ids) // 500)][:500]
    openings = bench_openings(users, sample)
    if connection.vendor == "postgresql":
        # After the benchmark's users join their teams: with statistics that had not seen their
        # programme memberships, the planner expected one programme where there are five and
        # chose a hash semi-join and a sort over every participant for each list page. VACUUM
        # too, as autovacuum would within a minute of the synthetic load: until then the
        # visibility map is empty and every index-only probe of a reach test also reads the
        # table (whenever autovacuum ran during a run, the figures moved with it).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    client_for = clients(users)
    kinds = args.kinds.split(",")
    for kind in kinds:
        if kind not in KINDS:
            raise SystemExit(f"--kinds: unknown kind '{kind}' (use {', '.join(KINDS)})")
    limit = args.limit
    for kind in KINDS:  # imports every view, template tag and API module before patching
        check(request(client_for, kind, sample[0], 10), kind, 10)
    permissive = Permissive()
    collections = Collections()
    request_finished.connect(collections.closing, weak=False)  # before settle() connects its own
    settle()  # as turnpoint.wsgi settles a server process: start-up's heap frozen

    if args.profile:
        return profile(args.profile, client_for, sample, limit, args.requests, permissive)

    # Query counts per request, each mode, at two list sizes (after one warm-up request).
    sizes = [int(s) for s in args.sizes.split(",")]
    queries = {kind: {} for kind in kinds}
    for kind in kinds:
        for mode in (POLICY, PERMISSIVE):
            for size in sizes if kind.startswith("api-") else sizes[-1:]:
                with permissive.mode(mode):
                    request(client_for, kind, sample[0], size)
                    with CaptureQueriesContext(connection) as ctx:
                        check(request(client_for, kind, sample[1], size), kind, size)
                queries[kind][f"{mode} {size}"] = len(ctx)

    # Latency, interleaved ABBA blocks.
    times = {k: {POLICY: [], PERMISSIVE: []} for k in kinds}
    cpu = {k: {POLICY: [], PERMISSIVE: []} for k in kinds}  # this process's CPU time
    sizes_seen = {k: {POLICY: [], PERMISSIVE: []} for k in kinds}
    written = {k: {m: [0, 0] for m in (POLICY, PERMISSIVE)} for k in kinds}
    indexed = []  # (acts, participants, ms) of each `disclosures_index` between rounds
    collected = {k: {m: [0, 0.0] * 4 for m in (POLICY, PERMISSIVE)} for k in kinds}
    gc.callbacks.append(collections)
    load_before = load_average()
    started = time.perf_counter()
    for kind in kinds:
        for mode in (POLICY, PERMISSIVE):  # warm-up, not counted
            with permissive.mode(mode):
                for pk in sample[:3]:
                    request(client_for, kind, pk, limit)
    wanted = {k: args.list_requests if k.startswith("api-") else args.requests for k in kinds}
    blocks = -(-max(wanted.values()) // args.block)
    for round_ in range(blocks):
        order = (POLICY, PERMISSIVE) if round_ % 2 == 0 else (PERMISSIVE, POLICY)
        for kind in kinds:
            if round_ * args.block >= wanted[kind]:
                continue  # this kind has its requests; the others go on
            for mode in order:
                before = last_ids()
                with permissive.mode(mode):
                    for i in range(args.block):
                        pk = sample[(round_ * args.block + i) % len(sample)]
                        seen, collections.after_response = collections.seen(), False
                        t0, c0 = time.perf_counter(), time.process_time()
                        response = request(client_for, kind, pk, limit)
                        times[kind][mode].append((time.perf_counter() - t0) * 1000)
                        cpu[kind][mode].append((time.process_time() - c0) * 1000)
                        collected[kind][mode] = [
                            total + now - was
                            for total, was, now in zip(
                                collected[kind][mode], seen, collections.seen(), strict=True
                            )
                        ]
                        sizes_seen[kind][mode].append(check(response, kind, limit))
                audit_rows, disclosed = written_since(before)
                written[kind][mode][0] += audit_rows
                written[kind][mode][1] += disclosed
        # Between rounds, as cron would between requests: index the round's disclosures.
        t0 = time.perf_counter()
        acts, rows = disclosures_index()
        indexed.append((acts, rows, (time.perf_counter() - t0) * 1000))
        print(f"  round {round_ + 1}/{blocks}", file=sys.stderr, end="\r")
    print(file=sys.stderr)
    elapsed = time.perf_counter() - started

    results = {}
    for kind in kinds:
        row = {"label": KINDS[kind][0]}
        for mode in (POLICY, PERMISSIVE):
            values = times[kind][mode]
            row[mode] = {
                "requests": len(values),
                "median_ms": round(percentile(values, 50), 2),
                "p95_ms": round(percentile(values, 95), 2),
                "p99_ms": round(percentile(values, 99), 2),
                "cpu_median_ms": round(percentile(cpu[kind][mode], 50), 2),
                "cpu_p95_ms": round(percentile(cpu[kind][mode], 95), 2),
                "mean_bytes": round(sum(sizes_seen[kind][mode]) / len(values)),
                "audit_rows_written": written[kind][mode][0],
                "disclosures_written": written[kind][mode][1],
                "young_collections": collected[kind][mode][0],
                "young_collections_ms": round(collected[kind][mode][1], 1),
                "full_collections": collected[kind][mode][2],
                "full_collections_ms": round(collected[kind][mode][3], 1),
                "after_response_collections": collected[kind][mode][4] + collected[kind][mode][6],
                "after_response_collections_ms": round(
                    collected[kind][mode][5] + collected[kind][mode][7], 1
                ),
            }
        for stat in ("median_ms", "p95_ms", "cpu_median_ms", "cpu_p95_ms"):
            base = row[PERMISSIVE][stat]
            row[f"overhead_{stat.removesuffix('_ms')}_pct"] = round(
                (row[POLICY][stat] - base) / base * 100, 1
            )
        low, high = p95_overhead_interval(times[kind][POLICY], times[kind][PERMISSIVE], args.block)
        row["overhead_p95_interval_pct"] = [round(low, 1), round(high, 1)]
        row["queries"] = queries[kind]
        results[kind] = row
    return {
        "database": "PostgreSQL" if connection.vendor == "postgresql" else "SQLite",
        "participants": len(ids),
        "limit": limit,
        "requests_per_mode": {"pages": args.requests, "api_lists": args.list_requests},
        "block": args.block,
        "seconds": round(elapsed, 1),
        "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "openings": openings,
        "patched": permissive.patched,
        "results": results,
        "indexing": {
            "runs": len(indexed),
            "acts": sum(a for a, _, _ in indexed),
            "participants": sum(p for _, p, _ in indexed),
            "ms": round(sum(ms for _, _, ms in indexed), 1),
        },
    }


def profile(kind: str, client_for, sample, limit: int, requests: int, permissive) -> dict:
    """cProfile of one kind of request in each mode, printed to stderr: the policy mode's top
    functions by cumulative and by own time, then the project's own functions in each mode
    (what the policy adds is the difference between the two)."""
    import cProfile
    import io
    import pstats

    if kind not in KINDS:
        raise SystemExit(f"--profile: unknown kind '{kind}' (use {', '.join(KINDS)})")
    out = io.StringIO()
    for mode in (POLICY, PERMISSIVE):
        with permissive.mode(mode):
            for pk in sample[:3]:
                request(client_for, kind, pk, limit)
            profiler = cProfile.Profile()
            profiler.enable()
            for i in range(requests):
                request(client_for, kind, sample[i % len(sample)], limit)
            profiler.disable()
        stats = pstats.Stats(profiler, stream=out)
        print(f"\n=== {mode} mode, {requests} requests of {kind} ===", file=out)
        if mode == POLICY:
            stats.sort_stats("cumulative").print_stats(45)
            stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(r"turnpoint[/\\]", 40)  # the project's own
    print(out.getvalue(), file=sys.stderr)
    return {"profiled": kind, "requests": requests}


# Orchestration ----------------------------------------------------------------------------------


def child(database_url: str, args) -> dict:
    argv = [sys.executable, __file__, "--measure", "--requests", str(args.requests),
            "--list-requests", str(args.list_requests),
            "--block", str(args.block), "--limit", str(args.limit), "--sizes", args.sizes,
            "--kinds", args.kinds]  # fmt: skip
    if args.profile:
        argv += ["--profile", args.profile]
    done = subprocess.run(argv, env=env_for(database_url), stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the measuring process failed ({done.returncode})")
    return json.loads(done.stdout)


def build(database_url: str, participants: int, seed: int) -> None:
    prepare(database_url)
    print(f"synth {participants} participants…", file=sys.stderr)
    run([TURNPOINT, "synth", "--participants", str(participants), "--seed", str(seed)],
        env=env_for(database_url))  # fmt: skip


def collections_cell(mode: dict) -> str:
    return (f"{mode['young_collections']} ({mode['young_collections_ms']:.0f} ms) + "
            f"{mode['full_collections']} ({mode['full_collections_ms']:.0f} ms); "
            f"{mode['after_response_collections']} "
            f"({mode['after_response_collections_ms']:.0f} ms)")  # fmt: skip


def print_report(report: dict) -> None:
    r = report
    n = r["requests_per_mode"]
    print(f"\n{r['database']}, {r['participants']:,} participants, {n['pages']} requests per mode "
          f"for each page and {n['api_lists']} for each API list, in blocks of {r['block']} "
          f"(ABBA), list limit {r['limit']}, "
          f"{r['seconds']} s, load average {r['load_average_before']} / "
          f"{r['load_average_after']}, peak memory {r['peak_memory_mb']} MB")  # fmt: skip
    o = r["openings"]
    print(f"Of the {o['sample']} participants the pages are asked about, {o['with_consent']} have "
          f"a consent to share with the court and {o['with_court_order']} a court order "
          "(`bench_openings`)\n")  # fmt: skip
    print("| request | policy median / p95 / p99 | permissive median / p95 / p99 "
          "| overhead median | overhead p95 (90% interval) | CPU policy / permissive median "
          "| CPU overhead median / p95 |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in r["results"].values():
        a, b = row[POLICY], row[PERMISSIVE]
        low, high = row["overhead_p95_interval_pct"]
        print(f"| {row['label']} | {a['median_ms']:.1f} / {a['p95_ms']:.1f} / {a['p99_ms']:.1f} ms "
              f"| {b['median_ms']:.1f} / {b['p95_ms']:.1f} / {b['p99_ms']:.1f} ms "
              f"| {row['overhead_median_pct']:+.1f}% "
              f"| {row['overhead_p95_pct']:+.1f}% ({low:+.0f} to {high:+.0f}) "
              f"| {a['cpu_median_ms']:.1f} / {b['cpu_median_ms']:.1f} ms "
              f"| {row['overhead_cpu_median_pct']:+.1f}% / {row['overhead_cpu_p95_pct']:+.1f}% |"
              )  # fmt: skip
    sizes = sorted({k.split()[1] for row in r["results"].values() for k in row["queries"]}, key=int)
    print("\n| request | " + " | ".join(f"queries policy / permissive, {s} rows" for s in sizes)
          + " | audit rows policy / permissive | disclosures policy / permissive "
          "| bytes policy / permissive "
          "| collections inside requests, young (ms) + full (ms); after responses (ms), "
          "policy / permissive |")  # fmt: skip
    print("| --- |" + " ---: |" * (len(sizes) + 4))
    for row in r["results"].values():
        q = row["queries"]
        cells = [
            f"{q[f'{POLICY} {s}']} / {q[f'{PERMISSIVE} {s}']}" if f"{POLICY} {s}" in q else "n/a"
            for s in sizes
        ]
        a, b = row[POLICY], row[PERMISSIVE]
        print(f"| {row['label']} | " + " | ".join(cells)
              + f" | {a['audit_rows_written']} / {b['audit_rows_written']} "
              f"| {a['disclosures_written']} / {b['disclosures_written']} "
              f"| {a['mean_bytes']:,} / {b['mean_bytes']:,} "
              f"| {collections_cell(a)} / {collections_cell(b)} |")  # fmt: skip
    ix = r["indexing"]
    if ix["participants"]:
        print(f"\nIndexing between rounds (`disclosures_index`, not in any request's time): "
              f"{ix['participants']:,} participants of {ix['acts']:,} acts in {ix['runs']} runs, "
              f"{ix['ms']:.0f} ms in all, {ix['ms'] / ix['participants'] * 1000:.1f} ms per "
              f"1,000 participants")  # fmt: skip
    print("\nPermissive stand-ins installed in: " + "; ".join(
        f"{name}: {', '.join(mods)}" for name, mods in r["patched"].items()))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="an existing database with a synthetic caseload")
    parser.add_argument("--databases", default="sqlite", help="sqlite, postgres or both")
    parser.add_argument("-n", "--participants", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--requests", type=int, default=1000, help="per mode, each page kind")
    parser.add_argument(
        "--list-requests", type=int, default=300, help="per mode, each API list kind"
    )
    parser.add_argument("--block", type=int, default=10, help="requests per block")
    parser.add_argument("--limit", type=int, default=1000, help="API list size")
    parser.add_argument("--sizes", default="100,1000", help="list sizes for query counts")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--pg-name", default="turnpoint_bench_policy")
    parser.add_argument("--profile", help="profile the policy mode of one kind instead")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:  # the child: the database is in DATABASE_URL
        print(json.dumps(measure(args)))
        return
    reports = []
    if args.database_url:
        reports.append(child(args.database_url, args))
    else:
        for label in args.databases.split(","):
            if label == "sqlite":
                with SqliteDb() as db:
                    build(db.url, args.participants, args.seed)
                    reports.append(child(db.url, args))
            elif label == "postgres":
                with PostgresDb(args.pg_name) as db:
                    build(db.url, args.participants, args.seed)
                    reports.append(child(db.url, args))
            else:
                raise SystemExit(f"--databases: unknown database '{label}' (use sqlite, postgres)")
    if args.profile:
        return
    if args.json:
        print(json.dumps(reports, indent=2))
        return
    for report in reports:
        print_report(report)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "turnpoint.settings")
    main()
