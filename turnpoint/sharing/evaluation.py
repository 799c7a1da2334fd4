"""The read behind the evaluation measures: decide, fetch, record in one transaction.

`evaluation_programmes(user, slug)` decides with `rules.decide_analytics` (analysts only, for the
programmes of their team; a refusal is audited as a denial) and returns the programmes.
`evaluation_rows(user, slug)` then reads, with plain `.values_list()` queries in chunks (no ORM
object per row), what the columnar extract needs about the referrals to those programmes, and
records the read in the audit log as an export of de-identified data, in the same transaction.
Nothing read here leaves as it is: `turnpoint.analytics.extract` numbers people by keyed
pseudonyms, turns dates of birth into age bands and the measures publish only suppressed
aggregates (docs/analytics.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.apps import apps
from django.db import transaction

from turnpoint.assessments.models import Administration, ExternalAssessment, Status
from turnpoint.errors import InvalidInput, Problem
from turnpoint.journeys.effective import effective_steps
from turnpoint.journeys.models import Episode, Referral, Transition
from turnpoint.people.models import Participant
from turnpoint.programmes.models import Programme

from .audit import audit_denial, audit_write
from .categories import Category, Purpose
from .rules import PolicyDenied, decide_analytics

CHUNK = 20_000
BARC_10 = "barc-10"
# What an extract draws on (named in its audit entry): read, never shown as it is.
CATEGORIES = (
    Category.IDENTITY,
    Category.LEGAL,
    Category.PATHWAY,
    Category.RISK_NEED,
    Category.STRENGTHS,
    Category.OUTCOMES,
)
REFERRAL_FIELDS = (
    "participant_id",
    "programme__slug",
    "episode__case_manager__agency__name",
    "created_by__agency__name",
    "participant__date_of_birth",
    "offence_category",
    "drug_related_type",
    "offence_date",
    "referral_date",
    "recommended_disposal",
    "imposed_disposal",
)
EPISODE_FIELDS = (
    "referral_id",
    "participant_id",
    "programme__slug",
    "started_on",
    "phase_number",
    "ended_on",
    "exit_type",
)
EVENT_FIELDS = (
    "participant_id",
    "kind",
    "offence_date",
    "outcome_date",
    "effective_on",
    "outcome",
    "status",
)


@dataclass
class EvaluationRows:
    """Plain rows, each starting with the row's database key."""

    programmes: list
    referrals: list[tuple] = field(default_factory=list)
    participants: list[tuple] = field(default_factory=list)  # pk, sex, ethnicity
    risk_levels: list[tuple] = field(default_factory=list)  # pk, participant, referral, level, on
    steps: list[tuple] = field(default_factory=list)  # referral, from, to, on, reason code
    episodes: list[tuple] = field(default_factory=list)
    outcome_events: list[tuple] = field(default_factory=list)
    barc_10: list[tuple] = field(
        default_factory=list
    )  # pk, participant, referral, setting, on, total

    def counts(self) -> dict[str, int]:
        return {
            name: len(getattr(self, name))
            for name in (
                "referrals",
                "participants",
                "risk_levels",
                "steps",
                "episodes",
                "outcome_events",
                "barc_10",
            )
        }


def evaluation_programmes(user, slug: str | None = None, *, route: str = "analytics") -> list:
    """The programmes this user may compute measures over: `slug`'s, or all of their team's.
    Refused (`PolicyDenied`, audited as a denial) for any role but the analyst's."""
    programme = None
    if slug is not None:
        programme = Programme.objects.filter(slug=slug).first()
        if programme is None:
            raise InvalidInput(Problem("programme", f"no programme '{slug}'"))
    team = frozenset(user.programmes.values_list("pk", flat=True)) if user.is_authenticated else ()
    decision = decide_analytics(user, programme, team=team)
    if not decision:
        if getattr(user, "pk", None):
            with transaction.atomic():
                audit_denial(user, route=route, reason=decision.reason)
        raise PolicyDenied(decision.reason)
    if programme is not None:
        return [programme]
    return list(Programme.objects.filter(pk__in=team).order_by("slug"))


def _chunks(queryset, fields: Iterable[str]) -> Iterable[list[tuple]]:
    """Rows of (pk, *fields) in chunks of CHUNK, keyed on the primary key (no OFFSET scans)."""
    last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", *fields)[:CHUNK])
        if not rows:
            return
        last = rows[-1][0]
        yield rows


def _all(queryset, fields) -> list[tuple]:
    return [row for chunk in _chunks(queryset, fields) for row in chunk]


def evaluation_rows(
    user, slug: str | None = None, *, route: str = "analytics", detail: dict | None = None
) -> EvaluationRows:
    """Everything the extract needs about the referrals to the programmes `user` may analyse,
    read and audited in one transaction."""
    programmes = evaluation_programmes(user, slug, route=route)
    ids = [p.pk for p in programmes]
    out = EvaluationRows(programmes)
    with transaction.atomic():
        out.referrals = _all(Referral.objects.filter(programme_id__in=ids), REFERRAL_FIELDS)
        people = sorted({r[1] for r in out.referrals})
        out.participants = _all(Participant.objects.filter(pk__in=people), ("sex", "ethnicity"))
        out.risk_levels = _all(
            ExternalAssessment.objects.filter(participant_id__in=people).exclude(level=""),
            ("participant_id", "referral_id", "level", "assessed_on"),
        )
        out.steps = _effective_steps(ids)
        out.episodes = _all(Episode.objects.filter(programme_id__in=ids), EPISODE_FIELDS)
        out.outcome_events = _outcome_events(people)
        done = Administration.objects.filter(
            participant_id__in=people, instrument_id=BARC_10, status=Status.COMPLETE
        )
        for pk, participant, referral, setting, on, scores in _all(
            done, ("participant_id", "referral_id", "setting", "administered_on", "scores")
        ):
            total = (scores or {}).get("total")
            if isinstance(total, int | float) and not isinstance(total, bool):
                out.barc_10.append((pk, participant, referral, setting, on, float(total)))
        audit_write(
            acting_user=user,
            action="export",
            categories=[str(c) for c in CATEGORIES],
            purpose=Purpose.EVALUATION,
            detail={
                "kind": "evaluation_extract",
                "programmes": [p.slug for p in programmes],
                "rows": out.counts(),
                "de_identified": True,
                **(detail or {}),
            },
        )
    return out


def _effective_steps(programme_ids: list[int]) -> list[tuple]:
    """(referral, from, to, on, reason code) of each referral's effective steps: corrections
    applied, withdrawn steps and phase changes left out."""
    fields = (
        "referral_id",
        "kind",
        "from_state",
        "to_state",
        "occurred_on",
        "reason_code",
        "data",
        "corrects_id",
    )
    by_referral: dict[int, list] = {}
    rows = Transition.objects.filter(referral__programme_id__in=programme_ids)
    for pk, referral, kind, from_state, to_state, on, code, data, corrects in _all(rows, fields):
        by_referral.setdefault(referral, []).append(
            Transition(
                pk=pk,
                referral_id=referral,
                kind=kind,
                from_state=from_state,
                to_state=to_state,
                occurred_on=on,
                reason_code=code,
                data=data,
                corrects_id=corrects,
            )
        )
    out = []
    for referral, steps in by_referral.items():
        for t in effective_steps(steps):
            if t.kind != Transition.Kind.PHASE:
                out.append((referral, t.from_state, t.to_state, t.occurred_on, t.reason_code))
    return out


def _outcome_events(people: list[int]) -> list[tuple]:
    """Outcome events of these participants; none while the outcomes app is not installed."""
    if not apps.is_installed("turnpoint.outcomes"):
        return []
    from turnpoint.outcomes.models import OutcomeEvent

    return _all(OutcomeEvent.objects.filter(participant_id__in=people), EVENT_FIELDS)
