"""Appointments and drug tests for the demo's running episodes, recorded through the services
staff use (checked and audited), deterministic for a seed and quick: a few dozen episodes."""

import random
from datetime import datetime, time, timedelta

from django.utils import timezone

from turnpoint.journeys.models import Episode

from .models import AppointmentKind
from .services import (
    appointment_book,
    appointment_outcome_record,
    drug_test_interpret,
    drug_test_record,
    drug_test_schedule_draw,
)

SESSIONS = 4  # over the last eight weeks
OUTCOMES = ("attended", "attended", "attended", "missed", "excused")
SUBSTANCES = ("opiates", "cocaine", "benzodiazepines", "cannabis")


def _at(day, hour):
    return timezone.make_aware(datetime.combine(day, time(hour)))


def synth_supervision(*, coordinator, probation, seed: int = 0, episodes: int = 30) -> dict:
    """For the first `episodes` running synthetic episodes (by id): past sessions with the key
    worker (or, one in four, someone else) and their outcomes, one coming session, a forensic
    test with results (its interpretation where one was positive), and the random test schedule
    where the phase tests weekly or more. Returns counts."""
    rng = random.Random(seed)
    today = timezone.localdate()
    counts = {"appointments": 0, "tests": 0, "scheduled": 0}
    running = (
        Episode.objects.filter(participant__synthetic=True, ended_on__isnull=True)
        .select_related("referral__programme", "key_worker")
        .order_by("pk")[:episodes]
    )
    for episode in running:
        referral, key_worker = episode.referral, episode.key_worker
        if key_worker is None or referral.referral_date > today - timedelta(days=56):
            continue
        for n in range(SESSIONS):
            seen = key_worker if rng.random() > 0.25 else coordinator
            day = today - timedelta(days=7 + 12 * n + rng.randrange(3))
            kind = (
                AppointmentKind.TREATMENT_SESSION if n % 2 else AppointmentKind.SUPERVISION_MEETING
            )
            booked = appointment_book(
                acting_user=coordinator,
                referral=referral,
                kind=kind,
                starts_at=_at(day, 10 + n),
                with_user=seen,
                place="Programme office",
            )
            appointment_outcome_record(
                booked, acting_user=coordinator, outcome=rng.choice(OUTCOMES), expected_version=1
            )
            counts["appointments"] += 1
        appointment_book(
            acting_user=coordinator,
            referral=referral,
            kind=AppointmentKind.SUPERVISION_MEETING,
            starts_at=_at(today + timedelta(days=1 + rng.randrange(6)), 11),
            with_user=key_worker,
            place="Programme office",
        )
        counts["appointments"] += 1
        collected = _at(today - timedelta(days=3 + rng.randrange(10)), 9)
        results = [
            {"substance": s, "result": "positive" if rng.random() < 0.15 else "negative"}
            for s in SUBSTANCES
        ]
        test = drug_test_record(
            acting_user=probation,
            referral=referral,
            collected_at=collected,
            specimen="urine",
            purpose="forensic",
            witnessed=True,
            results_received_at=collected + timedelta(hours=rng.choice((20, 30, 44, 60))),
            results=results,
        )
        counts["tests"] += 1
        if any(r["result"] == "positive" for r in results):
            drug_test_interpret(
                test,
                acting_user=probation,
                expected_version=1,
                note="Read alongside steady attendance and an honest account at the last "
                "session: a treatment adjustment is proposed first.",
            )
        plan = drug_test_schedule_draw(
            acting_user=coordinator, referral=referral, seed=seed + episode.pk
        )
        counts["scheduled"] += plan.created
    return counts


MINUTES = ("2.5", "3", "3.5", "4", "5")
DECISIONS = (
    ("continue", "Keep going as you are; the team reports steady attendance."),
    ("incentive", "Praised in court for a month of sessions attended."),
    ("service_adjustment", "More frequent treatment contact agreed, not a sanction."),
)


def synth_reviews(*, coordinator, judge, seed: int = 0, hearings: int = 6) -> dict:
    """Two dockets before the demo's judge for the first `hearings` running synthetic episodes
    (by id) in programmes with court reviews in the judge's team: last week's, held, with the
    minutes and the decision, and today's, scheduled, each with its progress report. Through
    the services staff use; deterministic for a seed. Returns counts."""
    from turnpoint.programmes.models import ReviewMode
    from turnpoint.sharing.progress_reports import progress_report_generate

    from .reviews import review_hearing_record, review_hearing_request

    rng = random.Random(seed)
    today = timezone.localdate()
    last_week = today - timedelta(days=7)
    counts = {"hearings": 0, "reports": 0}
    running = (
        Episode.objects.filter(
            participant__synthetic=True, ended_on__isnull=True,
            programme__in=judge.programmes.exclude(review_mode=ReviewMode.NONE),
            referral__referral_date__lte=last_week,
        )
        .select_related("referral")
        .order_by("pk")[:hearings]
    )  # fmt: skip
    for episode in running:
        referral = episode.referral
        held = review_hearing_request(acting_user=coordinator, referral=referral, judge=judge,
                                      held_on=last_week, place="Court 1")  # fmt: skip
        outcome, decision = rng.choice(DECISIONS)
        review_hearing_record(held, acting_user=judge, status="held",
                              minutes_with_judge=rng.choice(MINUTES), outcome=outcome,
                              decision=decision, expected_version=held.version)  # fmt: skip
        coming = review_hearing_request(acting_user=coordinator, referral=referral, judge=judge,
                                        held_on=today, place="Court 1")  # fmt: skip
        progress_report_generate(acting_user=coordinator, hearing=coming)
        counts["hearings"] += 2
        counts["reports"] += 1
    return counts
