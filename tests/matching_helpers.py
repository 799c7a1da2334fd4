"""Assessment records for matching tests: an external risk level, a needs checklist, days of
substance use and a mental-health instrument, written directly as the assessments app stores them
(its scoring is its own; here the scores are given)."""

from datetime import date, timedelta

from django.utils import timezone

from turnpoint.assessments.domains import LifeDomain
from turnpoint.assessments.models import Administration, ExternalAssessment

ON = date.today() - timedelta(days=3)


def administration(referral, user, instrument_id, category, answers, scores=None, on=ON,
                   status="complete"):  # fmt: skip
    return Administration.objects.create(
        participant=referral.participant, referral=referral, instrument_id=instrument_id,
        instrument_version="1", category=category, setting="intake", administered_on=on,
        administered_by=user, answers=answers, scores=scores or {"scales": []}, status=status,
        completed_at=timezone.now() if status == "complete" else None,
    )  # fmt: skip


def assess(referral, user, *, level=None, needs=None, days=None, phq_band=None, on=ON):
    """Record what is given: `level` a risk level (an external LSI-R), `needs` the domains with a
    need, `days` substance -> days of use in the past 28, `phq_band` a PHQ-9 band."""
    if level is not None:
        ExternalAssessment.objects.create(
            participant=referral.participant, referral=referral, tool="LSI-R", level=level,
            assessed_on=on, recorded_by=user,
        )  # fmt: skip
    if needs is not None:
        answers = {f"need_{d}": (2 if d in needs else 0) for d in LifeDomain.values}
        administration(referral, user, "tp-life-domains", "risk_need", answers, on=on)
    if days is not None:
        answers = {f"days_{s}": n for s, n in days.items()}
        administration(referral, user, "tp-substance-days", "clinical", answers, on=on)
    if phq_band is not None:
        scores = {"scales": [{"id": "total", "name": "Total score", "score": 12,
                              "band": phq_band, "cutoffs": []}], "flags": []}  # fmt: skip
        administration(referral, user, "phq-9", "mental_health", {"q1": 2}, scores, on=on)
