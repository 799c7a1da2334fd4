"""Recovery plans (docs/plans.md): read through the selectors `plan_read` and
`plan_versions_read` (decided for the plan's category with the participant's consents and court
orders, and audited), made and changed through `turnpoint.plans.services`, by the roles that
write plans (coordinator, case manager, the treatment provider's key worker).

A plan is never edited: each change is a new version from the full description (goals and
services as they now stand, each carried on naming its `key`). Staff-written text goes through
the language check: findings come back as `warnings` beside the errors (400) until the request
says `keep_wording: true`."""

from datetime import date, datetime
from decimal import Decimal

from django.http import Http404, HttpRequest
from ninja import Field, Router

from turnpoint.assessments.domains import LifeDomain
from turnpoint.errors import InvalidInput, Problem
from turnpoint.language import WordingToCheck
from turnpoint.plans.models import GoalStatus, Modality
from turnpoint.plans.services import (
    GOAL_MAX,
    PROVIDER_MAX,
    SERVICE_NOTE_MAX,
    STAFF_NOTE_MAX,
    SUMMARY_MAX,
    WHO_HELPS_MAX,
    GoalIn,
    ServiceIn,
    plan_create,
    plan_revise,
)
from turnpoint.sharing.reach import participant_for_user, referrals_visible_to
from turnpoint.sharing.reads import plan_read, plan_versions_read

from .common import (
    IDEMPOTENCY_KEY,
    MAX_ID,
    MAX_VERSION,
    OutSchema,
    WriteSchema,
    as_json,
    header_params,
    reachable_id,
    responses,
)
from .errors import ApiError
from .idempotency import idempotent

router = Router(tags=["recovery plans"])


class GoalOut(OutSchema):
    key: int = Field(description="The same goal across versions has the same key.")
    domain: str
    in_their_words: str
    harm_reduction: bool
    who_helps: str
    by_when: date | None
    status: str


class ServiceOut(OutSchema):
    key: int
    modality: str
    provider: str
    intensity_hours_per_week: Decimal
    starts_on: date
    ends_on: date | None
    note: str


class VersionSummaryOut(OutSchema):
    number: int
    agreed_on: date
    agreed_with_participant: bool
    review_on: date
    created_by: str
    created_at: datetime


class VersionOut(VersionSummaryOut):
    summary: str = Field(description="In the participant's own words.")
    staff_note: str
    wording_kept: bool = Field(
        description="The author kept wording the language check flagged in staff text."
    )
    goals: list[GoalOut]
    services: list[ServiceOut]


class PlanOut(OutSchema):
    participant_id: int
    plan_id: int | None = Field(description="Null when the participant has no plan yet.")
    referral_id: int | None = None
    version: int | None = Field(None, description="Send as `expected_version` to change it.")
    current: VersionOut | None = None
    versions: list[VersionSummaryOut] = []


class GoalBody(WriteSchema):
    key: int | None = Field(
        None, ge=1, le=MAX_VERSION, description="Carry on this goal (from `current`)."
    )
    domain: str = Field(json_schema_extra={"enum": LifeDomain.values})
    in_their_words: str = Field(max_length=GOAL_MAX)
    harm_reduction: bool = False
    who_helps: str = Field("", max_length=WHO_HELPS_MAX)
    by_when: date | None = None
    status: str = Field(GoalStatus.OPEN.value, json_schema_extra={"enum": GoalStatus.values})


class ServiceBody(WriteSchema):
    key: int | None = Field(None, ge=1, le=MAX_VERSION)
    modality: str = Field(json_schema_extra={"enum": Modality.values})
    provider: str = Field(max_length=PROVIDER_MAX)
    intensity_hours_per_week: Decimal = Field(gt=0, le=60, decimal_places=1)
    starts_on: date
    ends_on: date | None = None
    note: str = Field("", max_length=SERVICE_NOTE_MAX)


class PlanBody(WriteSchema):
    agreed_on: date
    review_on: date
    agreed_with_participant: bool = False
    summary: str = Field("", max_length=SUMMARY_MAX, description="In the participant's words.")
    staff_note: str = Field("", max_length=STAFF_NOTE_MAX)
    goals: list[GoalBody] = Field([], max_length=30)
    services: list[ServiceBody] = Field([], max_length=30)
    keep_wording: bool = Field(
        False, description="Save staff text the language check flagged, as typed."
    )


class PlanCreateIn(PlanBody):
    referral_id: int = Field(
        None, ge=1, le=MAX_ID,
        description="The referral it is for; the participant's newest to your team when left out.",
    )  # fmt: skip


class PlanReviseIn(PlanBody):
    expected_version: int = Field(ge=1, le=MAX_VERSION, description="The plan's `version`.")


def _summary(v) -> dict:
    return {
        "number": v.number, "agreed_on": v.agreed_on,
        "agreed_with_participant": v.agreed_with_participant, "review_on": v.review_on,
        "created_by": v.created_by.username, "created_at": v.created_at,
    }  # fmt: skip


def _version(v) -> dict:
    return {
        **_summary(v), "summary": v.summary, "staff_note": v.staff_note,
        "wording_kept": v.wording_kept,
        "goals": [{"key": g.key, "domain": g.domain, "in_their_words": g.in_their_words,
                   "harm_reduction": g.harm_reduction, "who_helps": g.who_helps,
                   "by_when": g.by_when, "status": g.status} for g in v.goals.all()],
        "services": [{"key": s.key, "modality": s.modality, "provider": s.provider,
                      "intensity_hours_per_week": s.intensity_hours_per_week,
                      "starts_on": s.starts_on, "ends_on": s.ends_on, "note": s.note}
                     for s in v.services.all()],
    }  # fmt: skip


def _plan(person, found) -> dict:
    plan, current = found.plan, found.current
    return {
        "participant_id": person.pk,
        "plan_id": plan.pk if plan else None,
        "referral_id": plan.referral_id if plan else None,
        "version": plan.version if plan else None,
        "current": _version(current) if current is not None else None,
        "versions": [_summary(v) for v in found.versions],
    }


def _values(payload: PlanBody) -> dict:
    data = payload.model_dump()
    return {
        "agreed_on": data["agreed_on"], "review_on": data["review_on"],
        "agreed_with_participant": data["agreed_with_participant"],
        "summary": data["summary"], "staff_note": data["staff_note"],
        "keep_wording": data["keep_wording"],
        "goals": [GoalIn(g["domain"], g["in_their_words"], g["harm_reduction"], g["who_helps"],
                         g["by_when"], g["status"], g["key"]) for g in data["goals"]],
        "services": [ServiceIn(s["modality"], s["provider"], s["intensity_hours_per_week"],
                               s["starts_on"], s["ends_on"], s["note"], s["key"])
                     for s in data["services"]],
    }  # fmt: skip


def _wording(exc: WordingToCheck) -> ApiError:
    return ApiError(400, exc.problems, {"warnings": [f.as_json() for f in exc.findings]})


@router.get(
    "/{participant_id}/plan",
    response=responses({200: PlanOut}, 400, 403, 404),
    summary="Read a participant's recovery plan",
)
def read_plan(request: HttpRequest, participant_id: int):
    """The current version in full and the list of every version, for the roles that may see
    the plan in its programme (or whom a consent or court order opens it to; 403 otherwise).
    The read is audited."""
    user = request.auth
    person = participant_for_user(user, reachable_id(participant_id))
    return _plan(person, plan_read(user, person))


@router.get(
    "/{participant_id}/plan/versions/{number}",
    response=responses({200: VersionOut}, 400, 403, 404),
    summary="Read one version of a participant's recovery plan",
)
def read_plan_version(request: HttpRequest, participant_id: int, number: int):
    """Any version, as it was agreed (versions are never edited). The read is audited."""
    user = request.auth
    person = participant_for_user(user, reachable_id(participant_id))
    if not 1 <= number <= MAX_VERSION:
        raise Http404("No such version of the recovery plan")
    found = plan_versions_read(user, person, [number])
    return _version(found.versions[0])


@router.post(
    "/{participant_id}/plan",
    response=responses({201: PlanOut}, 400, 403, 404, 409, 422),
    summary="Make a participant's recovery plan",
    openapi_extra=header_params(IDEMPOTENCY_KEY),
)
def create_plan(request: HttpRequest, participant_id: int, payload: PlanCreateIn):
    """Its first version. One plan per referral (409 when it has one). Stigmatising labels in
    staff text are refused (400, with `warnings`) unless `keep_wording` is true. Accepts
    `Idempotency-Key`."""
    user = request.auth
    values = _values(payload)
    referral_id = payload.referral_id

    def effect():
        person = participant_for_user(user, reachable_id(participant_id))
        referrals = (
            referrals_visible_to(user)
            .filter(participant=person)
            .select_related("programme", "participant")
        )
        if referral_id is not None:
            referral = referrals.filter(pk=referral_id).first()
            if referral is None:
                raise InvalidInput(Problem("referral_id", "is not a referral of this participant "
                                           "to your team"))  # fmt: skip
        else:
            referral = referrals.order_by("-referral_date", "-id").first()
        try:
            plan_create(acting_user=user, referral=referral, **values)
        except WordingToCheck as exc:
            raise _wording(exc) from exc
        return 201, as_json(PlanOut, _plan(person, plan_read(user, person))), {}

    return idempotent(request, effect)


@router.post(
    "/{participant_id}/plan/versions",
    response=responses({201: VersionOut}, 400, 403, 404, 409, 422),
    summary="Change a participant's recovery plan",
    openapi_extra=header_params(IDEMPOTENCY_KEY),
)
def revise_plan(request: HttpRequest, participant_id: int, payload: PlanReviseIn):
    """The next version, from the full description: goals and services as they now stand, each
    one carried on naming its `key`. `expected_version` is the plan's `version` as read (409
    when someone changed it since). A description identical to the current version saves
    nothing (400). Accepts `Idempotency-Key`."""
    user = request.auth
    values = _values(payload)
    expected = payload.expected_version

    def effect():
        person = participant_for_user(user, reachable_id(participant_id))
        found = plan_read(user, person)
        if found.plan is None:
            raise Http404("No recovery plan yet: make one first")
        try:
            version = plan_revise(found.plan, acting_user=user, expected_version=expected,
                                  **values)  # fmt: skip
        except WordingToCheck as exc:
            raise _wording(exc) from exc
        return 201, as_json(VersionOut, _version(version)), {}

    return idempotent(request, effect)
