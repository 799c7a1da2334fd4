"""Benchmark the daily phase evaluation (`supervision.phases`) on PostgreSQL.

A fresh PostgreSQL database, migrated and loaded with the shipped programmes, filled with
`turnpoint synth --participants N` and then, in bulk (not timed), a supervision record for every
running episode: eight weeks of appointments with outcomes (two a week, one in three a treatment
session, one in ten missed), a forensic test each week with its results (one in eight positive),
and a recovery plan with one goal achieved for half of them. Then, in one child process:

- **bulk**: `episode_facts_bulk` + `advancement_due` for every running episode, and the same for
  the episodes of one programme (a smaller size): wall time and the number of queries of each;
- **baseline**, participant by participant through the ORM: for each running episode, its phase
  start, appointments, tests, results and goals fetched by their own queries, then the same
  `advancement_due`. Over a sample of episodes (`--baseline-sample`, 0 for all), extrapolated
  to all of them linearly (each episode costs the same handful of queries);
- the check that both give the same due episodes on the sample;
- `phases_evaluate()` itself (bulk evaluation plus storing the proposals): wall time, queries.

    .venv/bin/python bench/bench_daily_evaluation.py            # 100,000 participants
    .venv/bin/python bench/bench_daily_evaluation.py -n 5000 --baseline-sample 0
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import TURNPOINT, PostgresDb, env_for, load_average, prepare, run, run_measured

DB_NAME = "turnpoint_bench_daily"

FILL = r"""
import json, random, sys
from datetime import datetime, time, timedelta
import django
django.setup()
from django.db import transaction
from django.utils import timezone
from turnpoint.accounts.models import User
from turnpoint.journeys.models import Episode
from turnpoint.plans.models import Goal, PlanVersion, RecoveryPlan
from turnpoint.supervision.models import Appointment, DrugTest, DrugTestResult

rng = random.Random(int(sys.argv[1]))
user = User.objects.get(username="synth")
today = timezone.localdate()
at = lambda d, h: timezone.make_aware(datetime.combine(d, time(h)))
episodes = list(Episode.objects.filter(ended_on__isnull=True, referral__state="episode")
                .values_list("pk", "referral_id", "participant_id", "referral__referral_date"))
counts = {"episodes": len(episodes), "appointments": 0, "tests": 0, "results": 0, "goals": 0}
for start in range(0, len(episodes), 5000):
    chunk = episodes[start:start + 5000]
    appointments, tests, plans = [], [], []
    for pk, referral_id, participant_id, referred in chunk:
        for n in range(16):
            day = today - timedelta(days=1 + 3 * n + rng.randrange(2))
            appointments.append(Appointment(
                participant_id=participant_id, referral_id=referral_id,
                kind="treatment_session" if n % 3 == 0 else "supervision_meeting",
                starts_at=at(day, 10), outcome="missed" if rng.random() < 0.1 else "attended",
                created_by=user, outcome_recorded_by=user, outcome_recorded_at=at(day, 12)))
        for k in range(8):
            day = today - timedelta(days=1 + 7 * k + rng.randrange(6))
            tests.append(DrugTest(participant_id=participant_id, referral_id=referral_id,
                                  collected_at=at(day, 9), specimen="urine", purpose="forensic",
                                  category="drug_tests", recorded_by=user,
                                  results_received_at=at(day, 20)))
        if rng.random() < 0.5:
            plans.append(RecoveryPlan(participant_id=participant_id, referral_id=referral_id,
                                      created_by=user))
    with transaction.atomic():
        Appointment.objects.bulk_create(appointments, batch_size=5000)
        DrugTest.objects.bulk_create(tests, batch_size=5000)
        results = [DrugTestResult(test_id=t.pk, substance=s,
                                  result="positive" if s == "opiates" and rng.random() < 0.125
                                  else "negative")
                   for t in tests for s in ("opiates", "cocaine")]
        DrugTestResult.objects.bulk_create(results, batch_size=5000)
        RecoveryPlan.objects.bulk_create(plans, batch_size=5000)
        versions = PlanVersion.objects.bulk_create(
            [PlanVersion(plan_id=p.pk, number=1, agreed_on=today, review_on=today, created_by=user)
             for p in plans], batch_size=5000)
        Goal.objects.bulk_create(
            [Goal(plan_version_id=v.pk, key=1, domain="housing", in_their_words="A home",
                  status="achieved") for v in versions], batch_size=5000)
    counts["appointments"] += len(appointments)
    counts["tests"] += len(tests)
    counts["results"] += len(results)
    counts["goals"] += len(versions)
print(json.dumps(counts) if False else counts)
""".replace(
    "print(json.dumps(counts) if False else counts)", "import json; print(json.dumps(counts))"
)

MEASURE = r"""
import json, sys, time
from datetime import datetime, time as dtime, timedelta
import django
django.setup()
from django.db import connection, reset_queries
from django.db.models import F, Max
from contextlib import contextmanager
from django.utils import timezone
from turnpoint.journeys.models import Episode, Transition
from turnpoint.plans.models import Goal
from turnpoint.programmes.models import Programme
from turnpoint.supervision.advancement import EpisodeFacts, advancement_due
from turnpoint.supervision.models import Appointment, DrugTest, DrugTestResult
from turnpoint.supervision.phases import ProgrammeRules, episode_facts_bulk, phases_evaluate

sample = int(sys.argv[1])


class Counted(list):
    pass


@contextmanager
def CaptureQueriesContext(conn):
    # Counts every query (Django's own capture keeps only the last 9,000).
    counted = Counted()

    def wrap(execute, sql, params, many, context):
        counted.append(1)
        return execute(sql, params, many, context)

    with conn.execute_wrapper(wrap):
        yield counted
today = timezone.localdate()
rules = ProgrammeRules(Programme.objects.all())
days_windows, week_windows = rules.windows()
start = lambda d: timezone.make_aware(datetime.combine(d, dtime.min))
tomorrow = start(today + timedelta(days=1))


def bulk(episodes=None):
    with CaptureQueriesContext(connection) as q:
        t0 = time.perf_counter()
        facts = episode_facts_bulk(today, rules, episodes=episodes)
        due = {pk for pk, _, f in facts if advancement_due(f).due}
        seconds = time.perf_counter() - t0
    return {"episodes": len(facts), "due": len(due), "seconds": round(seconds, 2),
            "queries": len(q)}, due


def one(episode):
    # Participant by participant: each fact by its own query.
    phases = rules.by_programme[episode.programme_id]
    name, min_days, phase_rules = phases[episode.phase_number - 1]
    began = Transition.objects.filter(
        referral_id=episode.referral_id, to_state="episode", kind__in=["advance", "phase"]
    ).aggregate(m=Max("occurred_on"))["m"]
    attendance, sessions = {}, {}
    for n in days_windows:
        rows = list(Appointment.objects.filter(
            referral_id=episode.referral_id, starts_at__gte=start(today - timedelta(days=n - 1)),
            starts_at__lt=tomorrow).values_list("outcome", "kind"))
        attended = sum(1 for o, _ in rows if o == "attended")
        attendance[n] = (attended, sum(1 for o, _ in rows if o in ("attended", "missed")))
        sessions[n] = sum(1 for o, k in rows if o == "attended" and k == "treatment_session")
    tests = {}
    for n in week_windows:
        found = list(DrugTest.objects.filter(
            referral_id=episode.referral_id, purpose="forensic",
            collected_at__gte=start(today - timedelta(days=7 * n - 1)),
            collected_at__lt=tomorrow).values_list("pk", "collected_at"))
        weeks = {(today - timezone.localtime(c).date()).days // 7 for _, c in found}
        other = DrugTestResult.objects.filter(test_id__in=[pk for pk, _ in found]).exclude(
            result="negative").values("test_id").distinct().count()
        tests[n] = (len(weeks), other)
    goals = Goal.objects.filter(plan_version__plan__referral_id=episode.referral_id,
                                plan_version__number=F("plan_version__plan__current_version"),
                                status="achieved").count()
    return advancement_due(EpisodeFacts(
        phase_number=episode.phase_number, phase_count=len(phases), phase_name=name,
        min_days=min_days, rules=phase_rules,
        days_in_phase=(today - (began or episode.started_on)).days, attendance=attendance,
        sessions=sessions, tests=tests, goals_achieved=goals)).due


out = {}
out["bulk_all"], due_all = bulk()
programme = Programme.objects.order_by("slug").first()
out["bulk_one_programme"], _ = bulk(Episode.objects.filter(programme=programme))
out["bulk_one_programme"]["programme"] = programme.slug
running = Episode.objects.filter(ended_on__isnull=True, referral__state="episode").order_by("pk")
total = running.count()
chosen = list(running if sample == 0 else running[:sample])
with CaptureQueriesContext(connection) as q:
    t0 = time.perf_counter()
    base_due = {e.pk for e in chosen if one(e)}
    seconds = time.perf_counter() - t0
chosen_ids = {e.pk for e in chosen}
out["baseline"] = {"episodes": len(chosen), "seconds": round(seconds, 2), "queries": len(q),
                   "extrapolated_seconds": round(seconds * total / max(1, len(chosen)), 1),
                   "extrapolated_queries": round(len(q) * total / max(1, len(chosen))),
                   "same_due_as_bulk": base_due == (due_all & chosen_ids)}
with CaptureQueriesContext(connection) as q:
    t0 = time.perf_counter()
    done = phases_evaluate()
    seconds = time.perf_counter() - t0
out["phases_evaluate"] = {**done, "seconds": round(seconds, 2), "queries": len(q)}
print(json.dumps(out))
"""


def measure(url: str, args, *, synth_seconds, filled) -> None:
    env = env_for(url)
    load = load_average()
    measured = run_measured([sys.executable, "-c", MEASURE, str(args.baseline_sample)], env=env)
    result = json.loads(measured.stdout)
    result.update(
        participants=args.participants,
        synth_seconds=synth_seconds,
        filled=filled,
        load_average=load,
        peak_mb=round(measured.peak_mb),
    )
    bulk, base = result["bulk_all"], result["baseline"]
    result["speed_up"] = round(base["extrapolated_seconds"] / max(bulk["seconds"], 0.01), 1)
    print(json.dumps(result, indent=2), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--participants", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--baseline-sample", type=int, default=2000, help="episodes evaluated one by one (0: all)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="measure again on a database kept with --keep"
    )
    args = parser.parse_args()
    if args.reuse:
        measure(PostgresDb(DB_NAME).url, args, synth_seconds=None, filled=None)
        return
    with PostgresDb(DB_NAME, keep=args.keep) as db:
        prepare(db.url)
        env = env_for(db.url)
        synth = run_measured(
            [*TURNPOINT, "synth", "--participants", str(args.participants), "--seed",
             str(args.seed), "--json"],
            env=env,
        )  # fmt: skip
        filled = run([sys.executable, "-c", FILL, str(args.seed)], env=env)
        print(f"built: synth {synth.seconds:.1f} s; {filled.strip()}", flush=True)
        measure(db.url, args, synth_seconds=round(synth.seconds, 1), filled=json.loads(filled))


if __name__ == "__main__":
    main()
