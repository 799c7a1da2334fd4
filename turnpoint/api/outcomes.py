"""Outcome events and follow-ups of a participant (docs/outcomes.md): the same services and
selectors as the pages. Each event is read in its own category (legal facts for arrests,
charges, convictions and custody; outcomes for the rest) and written by a role that writes it;
follow-ups are outcomes."""

from datetime import date, datetime

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router

from turnpoint.errors import InvalidInput, Problem
from turnpoint.outcomes.models import EventKind, OutcomeEvent
from turnpoint.outcomes.services import (
    NOTE_MAX,
    REASON_MAX,
    REFERENCE_MAX,
    follow_up_mark,
    outcome_event_record,
)
from turnpoint.sharing.categories import Category
from turnpoint.sharing.reach import participant_for_user, referrals_visible_to
from turnpoint.sharing.reads import follow_up_read, participant_outcomes_read
from turnpoint.sharing.rules import PolicyDenied, decide

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
from .idempotency import idempotent

router = Router(tags=["outcomes"])
C = Category


class OutcomeEventOut(OutSchema):
    id: int
    participant_id: int
    referral_id: int | None = None
    kind: str
    category: str = Field(description="legal (justice events) or outcomes.")
    offence_date: date | None = None
    outcome_date: date | None = None
    offence_category: str = ""
    outcome: str = ""
    effective_on: date | None = None
    status: str = ""
    note: str = ""
    source: str
    source_file: str = ""
    source_row: int | None = None
    source_reference: str = ""
    recorded_by: str | None = Field(None, description="Username; null for an import.")
    recorded_at: datetime


class OutcomeEventPage(OutSchema):
    count: int
    limit: int
    offset: int
    items: list[OutcomeEventOut]


class FollowUpOut(OutSchema):
    id: int
    participant_id: int
    referral_id: int
    episode_id: int
    months: int
    due_on: date
    status: str
    done_on: date | None = None
    administration_id: int | None = None
    reason: str = ""
    version: int


class FollowUpPage(OutSchema):
    count: int
    limit: int
    offset: int
    items: list[FollowUpOut]


class OutcomeEventIn(WriteSchema):
    """Every field but the kind may be left out, so that the service names everything missing
    for the kind at once."""

    kind: str = Field(json_schema_extra={"enum": EventKind.values})
    referral_id: int = Field(None, ge=1, le=MAX_ID, description="A referral of the participant.")
    offence_date: date = None
    outcome_date: date = Field(None, description="Justice events: the day of the outcome.")
    offence_category: str = Field("", max_length=30)
    outcome: str = Field("", max_length=30)
    effective_on: date = Field(None, description="Other events: the day it happened.")
    status: str = Field("", max_length=30, description="Housing or employment status.")
    note: str = Field("", max_length=NOTE_MAX)
    source: str = Field("staff", json_schema_extra={"enum": ["staff", "participant"]})
    source_reference: str = Field("", max_length=REFERENCE_MAX)


class FollowUpMarkIn(WriteSchema):
    status: str = Field(json_schema_extra={"enum": ["done", "missed", "declined"]})
    done_on: date = Field(None, description="When it was done.")
    administration_id: int = Field(
        None, ge=1, le=MAX_ID, description="The assessment that answered it, if one did."
    )
    reason: str = Field("", max_length=REASON_MAX, description="Why it was missed or declined.")
    version: int = Field(None, ge=1, le=MAX_VERSION, description="The version you read.")


def event_out(e: OutcomeEvent) -> dict:
    return {
        "id": e.pk, "participant_id": e.participant_id, "referral_id": e.referral_id,
        "kind": e.kind, "category": e.category, "offence_date": e.offence_date,
        "outcome_date": e.outcome_date, "offence_category": e.offence_category,
        "outcome": e.outcome, "effective_on": e.effective_on, "status": e.status,
        "note": e.note, "source": e.source, "source_file": e.source_file,
        "source_row": e.source_row, "source_reference": e.source_reference,
        "recorded_by": e.recorded_by.username if e.recorded_by_id else None,
        "recorded_at": e.recorded_at,
    }  # fmt: skip


def follow_up_out(f) -> dict:
    return {
        "id": f.pk, "participant_id": f.participant_id, "referral_id": f.referral_id,
        "episode_id": f.episode_id, "months": f.months, "due_on": f.due_on, "status": f.status,
        "done_on": f.done_on, "administration_id": f.administration_id, "reason": f.reason,
        "version": f.version,
    }  # fmt: skip


def _reads(user, *categories: str) -> None:
    """403 (audited) unless the role reads one of `categories`."""
    if not any(decide(user, c) for c in categories):
        raise PolicyDenied(decide(user, categories[-1]).reason)


@router.get(
    "/{participant_id}/outcome-events",
    response=responses({200: OutcomeEventPage}, 400, 403, 404),
    summary="List a participant's outcome events",
)
def list_outcome_events(request: HttpRequest, participant_id: int, query: Query[PageQuery]):
    """Newest first: those of the categories the role reads (a court role sees arrests, charges,
    convictions and custody, never housing or overdoses); 403 for a role that reads neither.
    The read is recorded."""
    user = request.auth
    refuse_oracles(request, query, None, on={})
    person = participant_for_user(user, reachable_id(participant_id))
    _reads(user, C.LEGAL, C.OUTCOMES)
    events = participant_outcomes_read(user, person).events
    rows = events[query.offset : query.offset + query.limit]
    return {"count": len(events), "limit": query.limit, "offset": query.offset,
            "items": [event_out(e) for e in rows]}  # fmt: skip


@router.post(
    "/{participant_id}/outcome-events",
    response=responses({201: OutcomeEventOut}, 400, 403, 404, 409, 422),
    summary="Record an outcome event",
    openapi_extra=header_params(IDEMPOTENCY_KEY),
)
def create_outcome_event(request: HttpRequest, participant_id: int, payload: OutcomeEventIn):
    """Refused with every problem named (400); 403 for a role that does not write the kind's
    category. Accepts `Idempotency-Key`."""
    user = request.auth
    values = payload.model_dump()

    def effect():
        person = participant_for_user(user, reachable_id(participant_id))
        referral_id = values.pop("referral_id")
        referral = None
        if referral_id is not None:
            referral = referrals_visible_to(user).filter(pk=referral_id, participant=person).first()
            if referral is None:
                reason = "is not a referral of this participant that you reach"
                raise InvalidInput(Problem("referral_id", reason))
        event = outcome_event_record(acting_user=user, participant=person, referral=referral,
                                     **values)  # fmt: skip
        return 201, as_json(OutcomeEventOut, event_out(event)), {}

    return idempotent(request, effect)


@router.get(
    "/{participant_id}/follow-ups",
    response=responses({200: FollowUpPage}, 400, 403, 404),
    summary="List a participant's follow-ups",
)
def list_follow_ups(request: HttpRequest, participant_id: int, query: Query[PageQuery]):
    """Due date first, of the participant's referrals to the user's team, for the roles that
    read outcomes (403 otherwise). The read is recorded."""
    user = request.auth
    refuse_oracles(request, query, None, on={})
    person = participant_for_user(user, reachable_id(participant_id))
    _reads(user, C.OUTCOMES)
    rows = participant_outcomes_read(user, person).follow_ups
    page = rows[query.offset : query.offset + query.limit]
    return {"count": len(rows), "limit": query.limit, "offset": query.offset,
            "items": [follow_up_out(f) for f in page]}  # fmt: skip


@router.post(
    "/{participant_id}/follow-ups/{follow_up_id}/mark",
    response=responses({200: FollowUpOut}, 400, 403, 404, 409, 422),
    summary="Mark a follow-up done, missed or declined",
    openapi_extra=header_params(IDEMPOTENCY_KEY),
)
def mark_follow_up(request: HttpRequest, participant_id: int, follow_up_id: int,
                   payload: FollowUpMarkIn):  # fmt: skip
    """Done on a day (with the assessment that answered it, if one did), or missed or declined
    with a reason. One already marked is 400; a stale `version` 409. Accepts
    `Idempotency-Key`."""
    user = request.auth

    def effect():
        person = participant_for_user(user, reachable_id(participant_id))
        follow_up = follow_up_read(user, reachable_id(follow_up_id))
        if follow_up.participant_id != person.pk:
            raise Http404("No such follow-up")
        administration = None
        if payload.administration_id is not None:
            administration = person.administrations.filter(pk=payload.administration_id).first()
            if administration is None:
                raise InvalidInput(Problem("administration_id",
                                           "is not an assessment of this participant"))  # fmt: skip
        marked = follow_up_mark(
            follow_up, acting_user=user, status=payload.status, done_on=payload.done_on,
            administration=administration, reason=payload.reason,
            expected_version=payload.version,
        )  # fmt: skip
        return 200, as_json(FollowUpOut, follow_up_out(marked)), {}

    return idempotent(request, effect)
