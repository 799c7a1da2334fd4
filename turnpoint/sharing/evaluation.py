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

from django.db import transaction

from turnpoint.assessments.models import Administration, ExternalAssessment, Setting, Status
from turnpoint.errors import InvalidInput, Problem
from turnpoint.journeys.effective import effective_steps
from turnpoint.journeys.models import Episode, Referral, Transition
from turnpoint.outcomes.models import FollowUp, FollowUpStatus, OutcomeEvent
from turnpoint.people.models import Participant
from turnpoint.programmes.models import Programme

from .audit import audit_denial, audit_write
from .categories import Category, Purpose
from .rules import PolicyDenied, decide_analytics

CHUNK = 20_000
NOT_RECORDED = "not recorded"
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
FOLLOW_UP_FIELDS = (
    "participant_id",
    "referral_id",
    "months",
    "due_on",
    "status",
    "done_on",
    "administration_id",
)
# Instruments whose items are themselves outcomes: each answered item is published as a measure
# beside the scales (tp-substance-days: days of use of each substance in the past 28 days).
ITEM_MEASURES = frozenset({"tp-substance-days"})
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
    follow_ups: list[tuple] = field(default_factory=list)  # pk, *FOLLOW_UP_FIELDS
    # administration pk, participant, referral, instrument, setting, on, measure, score
    client_reported: list[tuple] = field(default_factory=list)
    client_categories: set = field(default_factory=set)

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
                "follow_ups",
                "client_reported",
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


def site_of(case_manager_agency: str | None, recorder_agency: str | None) -> str:
    """A referral's site: the agency of its episode's case manager, else the agency of whoever
    recorded the referral, else "not recorded"."""
    return case_manager_agency or recorder_agency or NOT_RECORDED


def evaluation_sites(programmes: list) -> list[str]:
    """The sites of the referrals to `programmes` (as `evaluation_programmes` decided them), for
    choosing one: agency names only, nothing about any participant."""
    pairs = (
        Referral.objects.filter(programme__in=programmes)
        .values_list("episode__case_manager__agency__name", "created_by__agency__name")
        .distinct()
    )
    return sorted({site_of(a, b) for a, b in pairs})


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
            total = scale_scores(scores).get("total")
            if total is not None:
                out.barc_10.append((pk, participant, referral, setting, on, total))
        out.follow_ups = _all(FollowUp.objects.filter(referral__programme_id__in=ids),
                              FOLLOW_UP_FIELDS)  # fmt: skip
        out.client_reported, out.client_categories = _client_reported(out.follow_ups)
        categories = [*CATEGORIES, *sorted(out.client_categories - set(CATEGORIES))]
        audit_write(
            acting_user=user,
            action="export",
            categories=[str(c) for c in categories],
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


def _client_reported(follow_ups: list[tuple]) -> tuple[list[tuple], set]:
    """The scores of the administrations that answered done follow-ups, and of the intake
    administrations of the same instruments for the same participants (to measure change
    from intake): one row per administration and measure (each scale; for `ITEM_MEASURES`
    each answered item too). Returns the rows and the data categories they came from."""
    answered = sorted({f[7] for f in follow_ups if f[5] == FollowUpStatus.DONE and f[7]})
    if not answered:
        return [], set()
    linked = Administration.objects.filter(pk__in=answered, status=Status.COMPLETE)
    instruments = sorted(set(linked.values_list("instrument_id", flat=True)))
    people = sorted({f[1] for f in follow_ups})
    intake = Administration.objects.filter(
        participant_id__in=people,
        instrument_id__in=instruments,
        setting=Setting.INTAKE,
        status=Status.COMPLETE,
    )
    fields = ("participant_id", "referral_id", "instrument_id", "category", "setting",
              "administered_on", "scores", "answers")  # fmt: skip
    rows, categories, seen = [], set(), set()
    for queryset in (linked, intake):
        for pk, participant, referral, instrument, category, setting, on, scores, answers in _all(
            queryset, fields
        ):
            if pk in seen:
                continue
            seen.add(pk)
            categories.add(category)
            measures = scale_scores(scores)
            if instrument in ITEM_MEASURES:
                for item, value in (answers or {}).items():
                    if isinstance(value, int | float) and not isinstance(value, bool):
                        measures.setdefault(str(item), float(value))
            for name, value in sorted(measures.items()):
                rows.append((pk, participant, referral, instrument, setting, on, name, value))
    return rows, categories


def scale_scores(scores) -> dict[str, float]:
    """{scale id: score} of a complete administration's stored scores (`Scored.as_json`:
    `{"scales": [{"id", "score", ...}], ...}`); scales without a number are left out."""
    out = {}
    for scale in (scores or {}).get("scales") or []:
        value = scale.get("score") if isinstance(scale, dict) else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[str(scale.get("id"))] = float(value)
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
    """Outcome events of these participants (every kind, whoever recorded or imported them)."""
    return _all(OutcomeEvent.objects.filter(participant_id__in=people), EVENT_FIELDS)
