"""Assessments for a synthetic caseload, so the demo's profiles have something to draw
(docs/synth.md, docs/assessments.md): for each running synthetic episode, BARC-10 and the
readiness rulers at intake and at a review, the life-domains needs checklist at intake and an
LS/CMI level recorded as an external assessment.

The answers are drawn from one `numpy.random.Generator` built from the seed, in episode order, so
the same seed and the same episodes give the same rows. Each answer is scored by the engine
(`instruments.score`) exactly as a finished administration is, and each row has the audit entry
the services write; rows are written in bulk in one transaction. The values are illustrative:
recovery capital and confidence tend to rise between intake and review, as a programme hopes.
"""

from datetime import date, datetime, time, timedelta

import numpy as np
from django.db import transaction
from django.utils import timezone

from turnpoint.journeys.models import Episode
from turnpoint.sharing.audit import audit_entry
from turnpoint.sharing.models import AuditEntry

from . import instruments
from .domains import LifeDomain, RiskLevel
from .models import Administration, ExternalAssessment, Mode, Setting, Status

REVIEW_AFTER = timedelta(weeks=8)
LEVELS = (RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH, RiskLevel.VERY_HIGH)
LEVEL_WEIGHTS = (0.15, 0.4, 0.35, 0.1)


def _administration(instrument, answers, *, episode, on: date, setting, user) -> Administration:
    scored = instruments.score(instrument, answers)
    at = timezone.make_aware(datetime.combine(on, time(10)))
    return Administration(
        participant_id=episode.participant_id, referral_id=episode.referral_id,
        instrument_id=instrument.id, instrument_version=instrument.version,
        category=instrument.category, setting=setting, mode=Mode.STAFF, status=Status.COMPLETE,
        administered_on=on, administered_by=user, answers=answers, scores=scored.as_json(),
        created_at=at, updated_at=at, completed_at=at,
    )  # fmt: skip


def _barc(rng, instrument, base: int) -> dict:
    return {i.id: int(min(6, max(1, base + rng.integers(-1, 2)))) for i in instrument.items}


def synth_assessments(*, acting_user, probation_officer, seed: int, today: date | None = None
                      ) -> dict:  # fmt: skip
    """Record assessments for every running synthetic episode that has none yet; returns how
    many administrations and external assessments were written."""
    today = today or timezone.localdate()
    catalogue = instruments.catalogue(include_off=True)
    barc, readiness = catalogue.get("barc-10"), catalogue.get("tp-readiness")
    needs = catalogue.get("tp-life-domains")
    rng = np.random.default_rng(seed)
    running = (
        Episode.objects.filter(participant__synthetic=True, ended_on__isnull=True)
        .exclude(participant__administrations__isnull=False)
        .select_related("referral")
        .order_by("pk")
    )
    given: list[Administration] = []
    external: list[ExternalAssessment] = []
    for episode in running:
        intake = episode.started_on
        review = intake + REVIEW_AFTER
        sittings = [(intake, Setting.INTAKE, 0)]
        if review <= today:
            sittings.append((review, Setting.REVIEW, 1))
        capital = int(rng.integers(2, 5))  # 2 to 4 of 6 at intake, a step up at review
        confidence = int(rng.integers(2, 8))
        for on, setting, lift in sittings:
            if barc is not None:
                given.append(_administration(barc, _barc(rng, barc, capital + lift),
                                             episode=episode, on=on, setting=setting,
                                             user=acting_user))  # fmt: skip
            if readiness is not None:
                answers = {"importance": int(rng.integers(5, 11)),
                           "confidence": min(10, confidence + 2 * lift)}  # fmt: skip
                given.append(_administration(readiness, answers, episode=episode, on=on,
                                             setting=setting, user=acting_user))  # fmt: skip
        if needs is not None:
            answers = {f"need_{d}": int(rng.choice(3, p=(0.4, 0.4, 0.2))) for d in LifeDomain}
            given.append(_administration(needs, answers, episode=episode, on=intake,
                                         setting=Setting.INTAKE, user=acting_user))  # fmt: skip
        level = LEVELS[int(rng.choice(len(LEVELS), p=LEVEL_WEIGHTS))]
        external.append(
            ExternalAssessment(
                participant_id=episode.participant_id, referral_id=episode.referral_id,
                tool="LS/CMI", level=level, total=int(rng.integers(5, 35)),
                assessed_on=episode.referral.referral_date, assessed_by="Probation service",
                recorded_by=probation_officer,
            )
        )  # fmt: skip
    with transaction.atomic():
        Administration.objects.bulk_create(given)
        ExternalAssessment.objects.bulk_create(external)
        entries = [
            audit_entry(acting_user=acting_user, action="create", obj=a,
                        participant_ids=[a.participant_id], categories=[a.category],
                        detail={"instrument": a.instrument_id, "synthetic": True})
            for a in given
        ] + [
            audit_entry(acting_user=probation_officer, action="create", obj=e,
                        participant_ids=[e.participant_id], categories=[e.category],
                        detail={"tool": e.tool, "synthetic": True})
            for e in external
        ]  # fmt: skip
        AuditEntry.objects.bulk_create(entries)
    return {"administrations": len(given), "external_assessments": len(external)}
