"""Responses to a participant's behaviour and the daily evaluation's phase proposals (docs/api.md,
docs/supervision.md): the same services and selectors as the response pages.

A response to substance use or to a test is drug test information, any other pathway
information: each listed only where the reader may read its category. Recording one needs the
right to write that category in the programme; the option must be one the programme's guide
offers for the behaviour in the episode's phase. Phase proposals are pathway information, their
criteria shown by category; a decision needs the right to write the pathway.
"""

from datetime import date, datetime

from django.http import HttpRequest
from ninja import Field, Query, Router

from turnpoint.errors import Conflict, InvalidInput, Problem
from turnpoint.programmes.responses import BEHAVIOURS
from turnpoint.sharing.categories import Category
from turnpoint.sharing.reach import participant_for_user, referrals_visible_to
from turnpoint.sharing.reads import phase_proposals_read, responses_read
from turnpoint.sharing.rules import PolicyDenied, decide
from turnpoint.supervision.phases import phase_proposal_decide
from turnpoint.supervision.response_services import response_record
from turnpoint.supervision.responses import incentive_sanction_ratio

from .common import (
    IDEMPOTENCY_KEY,
    MAX_ID,
    MAX_VERSION,
    OutSchema,
    PageQuery,
    WriteSchema,
    as_json,
    header_params,
    reachable_id,
    refuse_oracles,
    responses,
)
from .errors import ApiError
from .idempotency import idempotent

router = Router(tags=["responses"])
proposals_router = Router(tags=["responses"])
C = Category


class ResponseOut(OutSchema):
    id: int
    participant_id: int
    referral_id: int
    programme: str = Field(description="The programme's slug.")
    category: str
    behaviour: str
    behaviour_label: str
    behaviour_on: date
    appointment_id: int | None
    drug_test_id: int | None
    phase: str
    days_in_programme: int
    goal: str
    early_substance_use: bool
    kind: str
    grade: str
    option: str
    option_position: int = Field(description="Its place in the order the guide proposed (0 first).")
    responded_on: date
    days_between: int = Field(description="Days from the behaviour to the response.")
    note: str
    recorded_by: str
    recorded_at: datetime


class RatioOut(OutSchema):
    incentives: int
    sanctions: int
    service_adjustments: int
    ratio: float | None = Field(description="Incentives for each sanction; null with no sanction.")
    target: float
    target_status: str
    meets_target: bool | None


class ResponsePage(OutSchema):
    count: int
    limit: int
    offset: int
    ratio: RatioOut = Field(description="Over every response you may read, not only this page.")
    items: list[ResponseOut]


class ResponseIn(WriteSchema):
    referral_id: int = Field(ge=1, le=MAX_ID)
    behaviour: str = Field(json_schema_extra={"enum": list(BEHAVIOURS)})
    behaviour_on: date
    option: str = Field(max_length=300, description="The option's text in the response guide.")
    responded_on: date = Field(None, description="Today when not given.")
    note: str = Field("", max_length=2000)
    appointment_id: int = Field(None, ge=1, le=MAX_ID)
    drug_test_id: int = Field(None, ge=1, le=MAX_ID)


class CriterionOut(OutSchema):
    criterion: str
    met: bool
    text: str
    category: str


class ProposalOut(OutSchema):
    id: int
    participant_id: int
    referral_id: int
    programme: str
    phase_number: int
    to_phase_number: int
    proposed_on: date
    criteria: list[CriterionOut] = Field(description="Only those whose category you may read.")
    status: str
    decided_by: str | None
    decided_at: datetime | None
    reason: str
    version: int


class ProposalPage(OutSchema):
    count: int
    limit: int
    offset: int
    items: list[ProposalOut]


class DecisionIn(WriteSchema):
    decision: str = Field(json_schema_extra={"enum": ["accept", "decline"]})
    reason: str = Field("", max_length=2000, description="Required to decline.")
    version: int = Field(ge=1, le=MAX_VERSION)


def dump_response(x) -> dict:
    return {
        "id": x.pk,
        "participant_id": x.participant_id,
        "referral_id": x.referral_id,
        "programme": x.referral.programme.slug,
        "category": x.category,
        "behaviour": x.behaviour,
        "behaviour_label": x.behaviour_label,
        "behaviour_on": x.behaviour_on,
        "appointment_id": x.appointment_id,
        "drug_test_id": x.drug_test_id,
        "phase": x.phase,
        "days_in_programme": x.days_in_programme,
        "goal": x.goal,
        "early_substance_use": x.early_substance_use,
        "kind": x.kind,
        "grade": x.grade,
        "option": x.option,
        "option_position": x.option_position,
        "responded_on": x.responded_on,
        "days_between": x.days_between,
        "note": x.note,
        "recorded_by": x.recorded_by.username,
        "recorded_at": x.recorded_at,
    }


def dump_proposal(p) -> dict:
    return {
        "id": p.pk,
        "participant_id": p.participant_id,
        "referral_id": p.referral_id,
        "programme": p.referral.programme.slug,
        "phase_number": p.phase_number,
        "to_phase_number": p.to_phase_number,
        "proposed_on": p.proposed_on,
        "criteria": p.shown_criteria,
        "status": p.status,
        "decided_by": p.decided_by.username if p.decided_by_id else None,
        "decided_at": p.decided_at,
        "reason": p.reason,
        "version": p.version,
    }


def _participant(user, participant_id: int):
    return participant_for_user(user, reachable_id(participant_id))


def _responses(user, person) -> list:
    read = responses_read(user, person)
    if not read.readable:
        raise PolicyDenied(decide(user, C.PATHWAY).reason)
    return read.responses


@router.get(
    "/{participant_id}/responses",
    response=responses({200: ResponsePage}, 400, 403, 404),
    summary="List a participant's responses with their ratio of incentives to sanctions",
)
def list_responses(request: HttpRequest, participant_id: int, query: Query[PageQuery]):
    """Newest first: the responses whose category you may read (403 when you may read none),
    with the ratio over all of them. The read is recorded."""
    user = request.auth
    refuse_oracles(request, query, None, on={})
    rows = _responses(user, _participant(user, participant_id))
    page = rows[query.offset : query.offset + query.limit]
    return {
        "count": len(rows),
        "limit": query.limit,
        "offset": query.offset,
        "ratio": incentive_sanction_ratio(rows).__dict__,
        "items": [dump_response(x) for x in page],
    }


@router.post(
    "/{participant_id}/responses",
    response=responses({201: ResponseOut}, 400, 403, 404, 409, 422),
    summary="Record a response to a behaviour from the programme's response guide",
    openapi_extra=header_params(IDEMPOTENCY_KEY),
)
def create_response(request: HttpRequest, participant_id: int, payload: ResponseIn):
    """The option must be one the guide offers for the behaviour in the episode's phase; the
    response not before the behaviour, neither in the future. The same response again returns
    the first. Accepts `Idempotency-Key`."""
    user = request.auth
    values = payload.model_dump()

    def effect():
        person = _participant(user, participant_id)
        referral = (
            referrals_visible_to(user)
            .filter(pk=values.pop("referral_id"), participant=person)
            .first()
        )
        if referral is None:
            raise InvalidInput(
                Problem(
                    "referral_id", "is not a referral of this participant that your team reaches"
                )
            )
        created = response_record(
            acting_user=user,
            referral=referral,
            appointment=values.pop("appointment_id"),
            drug_test=values.pop("drug_test_id"),
            **values,
        )
        found = next(x for x in responses_read(user, person).responses if x.pk == created.pk)
        return 201, as_json(ResponseOut, dump_response(found)), {}

    return idempotent(request, effect)


@proposals_router.get(
    "",
    response=responses({200: ProposalPage}, 400, 403),
    summary="List the open phase proposals of the participants you reach",
)
def list_proposals(request: HttpRequest, query: Query[PageQuery]):
    """Newest first: the open proposals of the daily evaluation in your team's programmes whose
    pathway you read (403 when you read none). The read is recorded."""
    user = request.auth
    refuse_oracles(request, query, None, on={})
    if not decide(user, C.PATHWAY):
        raise PolicyDenied(decide(user, C.PATHWAY).reason)
    rows = phase_proposals_read(user)
    page = rows[query.offset : query.offset + query.limit]
    return {
        "count": len(rows),
        "limit": query.limit,
        "offset": query.offset,
        "items": [dump_proposal(p) for p in page],
    }


@proposals_router.post(
    "/{proposal_id}/decision",
    response=responses({200: ProposalOut}, 400, 403, 404, 409, 412, 422),
    summary="Accept or decline a phase proposal",
    openapi_extra=header_params(IDEMPOTENCY_KEY),
)
def decide_proposal(request: HttpRequest, proposal_id: int, payload: DecisionIn):
    """Accepting moves the episode to the next phase (a milestone on its timeline); declining
    needs a reason. Needs the version you read (stale: 412). Accepts `Idempotency-Key`."""
    user = request.auth
    values = payload.model_dump()

    def effect():
        pk = reachable_id(proposal_id)
        found = next((p for p in phase_proposals_read(user, status=None) if p.pk == pk), None)
        if found is None:
            raise ApiError(404, Problem("", "not found"))
        try:
            phase_proposal_decide(
                found,
                acting_user=user,
                accept=values["decision"] == "accept",
                reason=values["reason"],
                expected_version=values["version"],
            )
        except Conflict as exc:
            raise ApiError(412, Problem("version", str(exc))) from exc
        found = next(p for p in phase_proposals_read(user, status=None) if p.pk == pk)
        return 200, as_json(ProposalOut, dump_proposal(found)), {}

    return idempotent(request, effect)
