"""Fidelity to the programme's practice standards (docs/supervision.md, "Fidelity").

The provisions a programme is checked against are data in its file (`fidelity:`, checked by
turnpoint/programmes/fidelity_rules.py). Here:

- `programme_facts(programme, today=)` gathers, in five queries whatever the number of
  participants, the counts each provision needs for every participant on a running episode of the
  programme (tests and results in the last 28 days, random tests and reviews and responses in
  the last 90, the last review held);
- the evaluators (`EVALUATORS`) are pure: each takes summed `Facts` and a provision and says met,
  not met or not enough data, with the value, the target and the numbers in words;
- `programme_fidelity(programme, today=)` evaluates them per participant, per caseload (a key
  worker's participants) and for the programme;
- `fidelity_evaluate(today=)` is the daily task: one `FidelitySnapshot` per programme and day,
  counts only.
"""

import math
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q, Sum
from django.utils import timezone

from turnpoint.journeys.models import Episode, State
from turnpoint.programmes.fidelity_rules import Provision, programme_provisions
from turnpoint.programmes.models import Programme

from .models import DrugTest, FidelitySnapshot, HearingStatus, Response, ResponseKind, ReviewHearing

TEST_WINDOW_DAYS = 28  # tests and their results
LONG_WINDOW_DAYS = 90  # random tests, hearings' minutes, responses
MIN_RANDOM_TESTS = 20  # fewer random tests say nothing about the days they fall on
WEEKEND_SHARE = 2 / 7

MET, NOT_MET, NOT_ENOUGH = "met", "not_met", "not_enough_data"
OUTCOME_LABELS = {MET: "Met", NOT_MET: "Not met", NOT_ENOUGH: "Not enough data"}

# Which provisions are evaluated at which level.
PARTICIPANT = ("testing-frequency", "result-turnaround", "review-frequency")
CASELOAD = ("testing-frequency", "testing-randomness", "result-turnaround", "review-frequency",
            "judge-time", "incentive-sanction-ratio", "caseload-size")  # fmt: skip
PROGRAMME = ("testing-frequency", "testing-randomness", "result-turnaround", "review-frequency",
             "judge-time", "incentive-sanction-ratio", "census")  # fmt: skip


@dataclass
class Facts:
    """Counts for one participant, or summed over a caseload or a programme. The `*_required`,
    `*_met` and `*_evaluated` counts are per participant (0 or 1) before summing."""

    participants: int = 0
    tests: int = 0  # collected in the last 28 days
    tests_required: int = 0  # by the phase's frequency over the days observed
    testing_evaluated: int = 0  # participants in a phase that tests, observed 7 days or more
    testing_met: int = 0
    results_due: int = 0  # tests of the last 28 days whose results are in or past due
    results_late: int = 0  # came back after the turnaround
    results_overdue: int = 0  # not back, past the turnaround
    random_tests: int = 0  # random tests in the last 90 days
    random_weekend: int = 0  # of which on a Saturday or Sunday
    days_since_review: int = 0  # since the last review held, or the start if none
    review_interval: int = 0  # days the phase allows between reviews (with grace)
    reviews_evaluated: int = 0  # participants in a phase that reviews
    reviews_met: int = 0
    judge_minutes: float = 0.0  # minutes with the judge over hearings held in the last 90 days
    hearings_timed: int = 0
    incentives: int = 0  # in the last 90 days
    sanctions: int = 0

    def add(self, other: "Facts") -> None:
        for f in fields(self):
            if f.name not in ("days_since_review", "review_interval"):
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass(frozen=True)
class Finding:
    provision: str
    label: str
    outcome: str
    value: float | None
    target: float | None
    numbers: str  # the numbers in words

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS[self.outcome]


def _finding(p: Provision, outcome, value, target, numbers) -> Finding:
    value = None if value is None else round(float(value), 2)
    target = None if target is None else round(float(target), 2)
    return Finding(p.id, p.label, outcome, value, target, numbers)


# Evaluators: pure, over Facts ---------------------------------------------------------------


def testing_frequency(f: Facts, p: Provision) -> Finding:
    if not f.testing_evaluated:
        return _finding(
            p, NOT_ENOUGH, None, None, "no participant in a phase that tests for a week yet"
        )
    if f.participants <= 1:
        outcome = MET if f.tests >= f.tests_required else NOT_MET
        return _finding(p, outcome, f.tests, f.tests_required,
                        f"{f.tests} tests in the last {TEST_WINDOW_DAYS} days, "
                        f"{f.tests_required} needed")  # fmt: skip
    outcome = MET if f.testing_met == f.testing_evaluated else NOT_MET
    return _finding(p, outcome, f.testing_met, f.testing_evaluated,
                    f"{f.testing_met} of {f.testing_evaluated} participants tested as often as "
                    f"their phase sets")  # fmt: skip


def testing_randomness(f: Facts, p: Provision) -> Finding:
    if f.random_tests < MIN_RANDOM_TESTS:
        return _finding(p, NOT_ENOUGH, None, WEEKEND_SHARE,
                        f"{f.random_tests} random tests in the last {LONG_WINDOW_DAYS} days, "
                        f"{MIN_RANDOM_TESTS} needed to judge")  # fmt: skip
    share = f.random_weekend / f.random_tests
    outcome = MET if abs(share - WEEKEND_SHARE) <= p.number + 1e-9 else NOT_MET
    return _finding(p, outcome, share, WEEKEND_SHARE,
                    f"{f.random_weekend} of {f.random_tests} random tests on a weekend "
                    f"({share:.0%}; about {WEEKEND_SHARE:.0%} expected, "
                    f"± {p.number:.0%})")  # fmt: skip


def result_turnaround(f: Facts, p: Provision) -> Finding:
    if not f.results_due:
        return _finding(p, NOT_ENOUGH, None, p.number,
                        f"no results due in the last {TEST_WINDOW_DAYS} days")  # fmt: skip
    late = f.results_late + f.results_overdue
    outcome = MET if late == 0 else NOT_MET
    return _finding(p, outcome, f.results_due - late, f.results_due,
                    f"{f.results_due - late} of {f.results_due} results back within "
                    f"{p.number:g} hours; {f.results_overdue} overdue now")  # fmt: skip


def review_frequency(f: Facts, p: Provision) -> Finding:
    if not f.reviews_evaluated:
        return _finding(p, NOT_ENOUGH, None, None, "no participant in a phase that reviews")
    if f.participants <= 1:
        outcome = MET if f.days_since_review <= f.review_interval else NOT_MET
        return _finding(p, outcome, f.days_since_review, f.review_interval,
                        f"{f.days_since_review} days since the last review, "
                        f"{f.review_interval} allowed")  # fmt: skip
    outcome = MET if f.reviews_met == f.reviews_evaluated else NOT_MET
    return _finding(p, outcome, f.reviews_met, f.reviews_evaluated,
                    f"{f.reviews_met} of {f.reviews_evaluated} participants reviewed as often "
                    f"as their phase sets")  # fmt: skip


def judge_time(f: Facts, p: Provision) -> Finding:
    if not f.hearings_timed:
        return _finding(
            p,
            NOT_ENOUGH,
            None,
            p.number,
            f"no hearing with minutes recorded in the last {LONG_WINDOW_DAYS} days",
        )
    mean = f.judge_minutes / f.hearings_timed
    outcome = MET if mean >= p.number else NOT_MET
    return _finding(p, outcome, mean, p.number,
                    f"{mean:.1f} minutes on average over {f.hearings_timed} hearings, "
                    f"{p.number:g} wanted")  # fmt: skip


def incentive_sanction_ratio(f: Facts, p: Provision) -> Finding:
    if not f.sanctions:
        if not f.incentives:
            return _finding(
                p,
                NOT_ENOUGH,
                None,
                p.number,
                f"no incentives or sanctions in the last {LONG_WINDOW_DAYS} days",
            )
        return _finding(p, MET, None, p.number, f"{f.incentives} incentives and no sanctions")
    ratio = f.incentives / f.sanctions
    outcome = MET if ratio >= p.number else NOT_MET
    return _finding(
        p,
        outcome,
        ratio,
        p.number,
        f"{f.incentives} incentives and {f.sanctions} sanctions in the last "
        f"{LONG_WINDOW_DAYS} days ({ratio:.1f} to 1; {p.number:g} to 1 wanted)",
    )


def caseload_size(f: Facts, p: Provision) -> Finding:
    outcome = MET if f.participants <= p.number else NOT_MET
    return _finding(
        p,
        outcome,
        f.participants,
        p.number,
        f"{f.participants} active participants, at most {p.number:g}",
    )


census = caseload_size

EVALUATORS = {
    "testing-frequency": testing_frequency,
    "testing-randomness": testing_randomness,
    "result-turnaround": result_turnaround,
    "review-frequency": review_frequency,
    "judge-time": judge_time,
    "incentive-sanction-ratio": incentive_sanction_ratio,
    "caseload-size": caseload_size,
    "census": census,
}


# Facts ----------------------------------------------------------------------------------------


def _start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _moment(today: date) -> datetime:
    """The time of the evaluation: now, or the end of `today` when it is another day."""
    return timezone.now() if today == timezone.localdate() else _start(today + timedelta(days=1))


@dataclass
class ParticipantRow:
    referral_id: int
    participant_id: int
    key_worker_id: int | None
    phase_name: str
    facts: Facts = field(default_factory=Facts)


def _turnaround_hours(provisions: dict[str, Provision]) -> float:
    p = provisions.get("result-turnaround")
    return float(p.number) if p else 48.0


def _phase_facts(facts: Facts, phase: dict, started_on: date, today: date, provisions) -> None:
    """Fill in the phase-derived counts (required tests, review interval) for one participant."""
    days_observed = min(TEST_WINDOW_DAYS, (today - started_on).days + 1)
    freq = provisions.get("testing-frequency")
    per_week = float(phase.get("tests_per_week") or 0)
    if freq and freq.number is not None and per_week > 0:
        per_week = float(freq.number)
    if per_week > 0 and days_observed >= 7:
        facts.testing_evaluated = 1
        facts.tests_required = max(1, math.floor(per_week * days_observed / 7 + 1e-9))
        facts.testing_met = int(facts.tests >= facts.tests_required)
    reviews = float(phase.get("reviews_per_month") or 0)
    rev = provisions.get("review-frequency")
    if reviews > 0:
        grace = int(rev.number) if rev and rev.number is not None else 0
        facts.review_interval = math.ceil(30 / reviews) + grace
        facts.reviews_evaluated = 1
        facts.reviews_met = int(facts.days_since_review <= facts.review_interval)


def programme_facts(programme: Programme, *, today: date | None = None) -> list[ParticipantRow]:
    """The facts of every participant on a running episode of `programme`, in five queries."""
    today = today or timezone.localdate()
    provisions = {p.id: p for p in programme_provisions(programme.definition)}
    phases = programme.definition.get("phases", [])
    hours = _turnaround_hours(provisions)
    moment = _moment(today)
    since_short, since_long = (
        _start(today - timedelta(days=TEST_WINDOW_DAYS - 1)),
        _start(today - timedelta(days=LONG_WINDOW_DAYS - 1)),
    )
    running = Episode.objects.filter(
        programme=programme, ended_on__isnull=True, referral__state=State.EPISODE,
        started_on__lte=today,
    )  # fmt: skip
    episodes = list(running.values_list(
        "referral_id", "participant_id", "key_worker_id", "phase_number", "started_on"
    ))  # fmt: skip
    referrals = running.values("referral_id")
    short = Q(collected_at__gte=since_short, collected_at__lt=moment)
    past_due = Q(collected_at__lt=moment - timedelta(hours=hours))
    back = Q(results_received_at__isnull=False)
    late = Q(results_received_at__gt=F("collected_at") + timedelta(hours=hours))
    tests = {
        row.pop("referral_id"): row
        for row in DrugTest.objects.filter(
            referral__in=referrals, collected_at__gte=since_long, collected_at__lt=moment
        )
        .values("referral_id")
        .annotate(
            tests=Count("id", filter=short),
            results_due=Count("id", filter=short & (back | past_due)),
            results_late=Count("id", filter=short & late),
            results_overdue=Count("id", filter=short & past_due & ~back),
            random_tests=Count("id", filter=Q(random=True)),
            random_weekend=Count("id", filter=Q(random=True, collected_at__week_day__in=[1, 7])),
        )
    }  # fmt: skip
    held = Q(status=HearingStatus.HELD, held_on__lte=today)
    timed = held & Q(held_on__gte=today - timedelta(days=LONG_WINDOW_DAYS - 1),
                     minutes_with_judge__isnull=False)  # fmt: skip
    hearings = {
        row.pop("referral_id"): row
        for row in ReviewHearing.objects.filter(referral__in=referrals)
        .values("referral_id")
        .annotate(last=Max("held_on", filter=held), minutes=Sum("minutes_with_judge", filter=timed),
                  timed=Count("id", filter=timed))
    }  # fmt: skip
    responses = {
        row.pop("referral_id"): row
        for row in Response.objects.filter(
            referral__in=referrals, responded_on__gte=today - timedelta(days=LONG_WINDOW_DAYS - 1),
            responded_on__lte=today,
        )
        .values("referral_id")
        .annotate(incentives=Count("id", filter=Q(kind=ResponseKind.INCENTIVE)),
                  sanctions=Count("id", filter=Q(kind=ResponseKind.SANCTION)))
    }  # fmt: skip
    out = []
    for referral_id, participant_id, key_worker_id, phase_number, started_on in episodes:
        phase = phases[phase_number - 1] if 0 < phase_number <= len(phases) else {}
        t = tests.get(referral_id, {})
        h = hearings.get(referral_id, {})
        r = responses.get(referral_id, {})
        facts = Facts(
            participants=1,
            tests=t.get("tests", 0),
            results_due=t.get("results_due", 0),
            results_late=t.get("results_late", 0),
            results_overdue=t.get("results_overdue", 0),
            random_tests=t.get("random_tests", 0),
            random_weekend=t.get("random_weekend", 0),
            days_since_review=(today - (h.get("last") or started_on)).days,
            judge_minutes=float(h.get("minutes") or 0),
            hearings_timed=h.get("timed", 0),
            incentives=r.get("incentives", 0),
            sanctions=r.get("sanctions", 0),
        )
        _phase_facts(facts, phase, started_on, today, provisions)
        out.append(ParticipantRow(referral_id, participant_id, key_worker_id,
                                  phase.get("name", ""), facts))  # fmt: skip
    return out


def participant_facts(episode: Episode, *, today: date | None = None) -> Facts:
    """The same facts for one episode, from its own rows one by one: the baseline the bulk
    gathering is checked against (and measured against in bench/)."""
    today = today or timezone.localdate()
    programme = episode.programme
    provisions = {p.id: p for p in programme_provisions(programme.definition)}
    phases = programme.definition.get("phases", [])
    hours = timedelta(hours=_turnaround_hours(provisions))
    moment = _moment(today)
    since_short = _start(today - timedelta(days=TEST_WINDOW_DAYS - 1))
    since_long = _start(today - timedelta(days=LONG_WINDOW_DAYS - 1))
    facts = Facts(participants=1)
    for test in DrugTest.objects.filter(referral_id=episode.referral_id):
        at, back = test.collected_at, test.results_received_at
        if not since_long <= at < moment:
            continue
        if test.random:
            facts.random_tests += 1
            facts.random_weekend += timezone.localtime(at).weekday() >= 5
        if at >= since_short:
            facts.tests += 1
            due = back is not None or at < moment - hours
            facts.results_due += due
            facts.results_late += back is not None and back > at + hours
            facts.results_overdue += back is None and at < moment - hours
    last = None
    for hearing in ReviewHearing.objects.filter(referral_id=episode.referral_id):
        if hearing.status != HearingStatus.HELD or hearing.held_on > today:
            continue
        last = max(last or hearing.held_on, hearing.held_on)
        recent = hearing.held_on >= today - timedelta(days=LONG_WINDOW_DAYS - 1)
        if recent and hearing.minutes_with_judge is not None:
            facts.judge_minutes += float(hearing.minutes_with_judge)
            facts.hearings_timed += 1
    facts.days_since_review = (today - (last or episode.started_on)).days
    for response in Response.objects.filter(referral_id=episode.referral_id):
        if today - timedelta(days=LONG_WINDOW_DAYS - 1) <= response.responded_on <= today:
            facts.incentives += response.kind == ResponseKind.INCENTIVE
            facts.sanctions += response.kind == ResponseKind.SANCTION
    n = episode.phase_number
    _phase_facts(facts, phases[n - 1] if 0 < n <= len(phases) else {}, episode.started_on, today,
                 provisions)  # fmt: skip
    return facts


# Evaluation -----------------------------------------------------------------------------------


def evaluate(facts: Facts, provisions: list[Provision], level: tuple) -> list[Finding]:
    return [EVALUATORS[p.id](facts, p) for p in provisions if p.id in level]


@dataclass
class ProgrammeFidelity:
    programme: Programme
    day: date
    provisions: list[Provision]
    findings: list[Finding]  # the programme's
    caseloads: list[tuple[int | None, int, list[Finding]]]  # (key worker id, participants, ...)
    participants: list[tuple[ParticipantRow, list[Finding]]]


def programme_fidelity(programme: Programme, *, today: date | None = None) -> ProgrammeFidelity:
    today = today or timezone.localdate()
    provisions = programme_provisions(programme.definition)
    rows = programme_facts(programme, today=today)
    total, by_worker = Facts(), {}
    for row in rows:
        total.add(row.facts)
        by_worker.setdefault(row.key_worker_id, Facts()).add(row.facts)
    caseloads = [
        (worker, facts.participants, evaluate(facts, provisions, CASELOAD))
        for worker, facts in sorted(by_worker.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
    ]
    return ProgrammeFidelity(
        programme, today, provisions, evaluate(total, provisions, PROGRAMME), caseloads,
        [(row, evaluate(row.facts, provisions, PARTICIPANT)) for row in rows],
    )  # fmt: skip


def fidelity_results(result: ProgrammeFidelity) -> dict:
    """The programme's and caseloads' findings as JSON can carry them: counts only."""
    return {
        "programme": [asdict(f) for f in result.findings],
        "caseloads": [
            {"key_worker": worker, "participants": n, "findings": [asdict(f) for f in found]}
            for worker, n, found in result.caseloads
        ],
        "participants_not_meeting": sum(
            any(f.outcome == NOT_MET for f in found) for _, found in result.participants
        ),
    }


def fidelity_evaluate(*, today: date | None = None) -> dict:
    """The daily task (turnpoint/tasks/jobs.py): a snapshot per programme for the day, once."""
    today = today or timezone.localdate()
    done = set(FidelitySnapshot.objects.filter(day=today).values_list("programme_id", flat=True))
    stored = 0
    for programme in Programme.objects.exclude(pk__in=done).order_by("pk"):
        results = fidelity_results(programme_fidelity(programme, today=today))
        try:
            with transaction.atomic():
                FidelitySnapshot.objects.create(programme=programme, day=today, results=results)
        except IntegrityError:  # stored by another run meanwhile
            continue
        stored += 1
    return {"day": today.isoformat(), "stored": stored, "already": len(done)}
