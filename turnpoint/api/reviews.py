"""Review hearings, dockets and the court's progress reports (docs/api.md, docs/supervision.md,
"Reviews"): the same services and selectors as the docket pages.

A docket is the hearings before one judge on one date. The coordinator and the case manager
schedule hearings (by the programme's rule, or on the court's request) and prepare progress
reports; the judge reads their own docket and records their hearings, as the coordinator may.
"""

import datetime as dt
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Status

from turnpoint.accounts.models import Role, User
from turnpoint.errors import Conflict, InvalidInput, Problem
from turnpoint.sharing.progress_reports import (
    docket_read,
    progress_report_generate,
    progress_report_read,
)
from turnpoint.supervision.models import DecisionOutcome, ReviewHearing
from turnpoint.supervision.reviews import (
    mean_minutes_per_participant,
    review_docket_schedule,
    review_hearing_reached,
    review_hearing_record,
    review_hearing_request,
)

from .common import (
    IDEMPOTENCY_KEY,
    IF_MATCH,
    MAX_ID,
    MAX_VERSION,
    OutSchema,
    PageQuery,
    WriteSchema,
    as_json,
    etag,
    expected_version,
    header_params,
    reachable_id,
    refuse_oracles,
    responses,
)
from .errors import ApiError
from .idempotency import idempotent

router = Router(tags=["reviews"])


class HearingOut(OutSchema):
    id: int
    participant_id: int
    participant: str = Field(description="The participant's name.")
    reference: str
    referral_id: int
    programme: str = Field(description="The programme's slug.")
    judge: str = Field(description="Username of the judge.")
    held_on: date
    place: str
    how_scheduled: str = Field(description="rule or request.")
    status: str
    minutes_with_judge: Decimal | None = None
    outcome: str = Field(description="The court's decision, structured; '' until recorded.")
    decision: str
    decided_by: str | None = None
    decided_at: datetime | None = None
    latest_report_id: int | None = None
    version: int


class DocketOut(OutSchema):
    date: dt.date
    judge: str | None = Field(None, description="Username; null for every judge's hearings.")
    mean_minutes_per_participant: Decimal | None = Field(
        None, description="Minutes with the judge per participant present; null when none held."
    )
    count: int
    limit: int
    offset: int
    items: list[HearingOut]


class DocketQuery(PageQuery):
    date: dt.date = Field(None, description="The docket's date; today when not given.")
    judge: str = Field(None, max_length=150, description="The judge's username.")


class ScheduleIn(WriteSchema):
    held_on: date
    judge: str = Field(max_length=150, description="The judge's username.")
    place: str = Field("", max_length=200, description="The court or place.")


class ScheduledOut(OutSchema):
    created: list[HearingOut]
    already: list[HearingOut]
    not_due: int = Field(description="Participants reviewed by rule whose review is not due.")


class HearingIn(WriteSchema):
    referral_id: int = Field(ge=1, le=MAX_ID)
    held_on: date
    judge: str = Field(max_length=150, description="The judge's username.")
    place: str = Field("", max_length=200)


class RecordIn(WriteSchema):
    status: str = Field(json_schema_extra={"enum": ["held", "adjourned", "cancelled"]})
    minutes_with_judge: Decimal = Field(None, ge=0, le=1000)
    outcome: str = Field("", json_schema_extra={"enum": ["", *DecisionOutcome.values]})
    decision: str = Field("", max_length=4000)
    version: int = Field(
        None, ge=1, le=MAX_VERSION, description="The version you read, if you send no If-Match."
    )


class SectionOut(OutSchema):
    key: str
    title: str
    category: str
    shared: bool = Field(description="False when the court may not read the category.")
    summary: str
    lines: list[str]


class ReportOut(OutSchema):
    id: int
    hearing_id: int
    generated_by: str
    generated_at: datetime
    categories: list[str]
    period_from: date | None = None
    period_to: date
    sections: list[SectionOut]


def _username(user) -> str | None:
    return user.username if user is not None else None


def dump_hearing(h) -> dict:
    report = getattr(h, "latest_report", None)
    return {
        "id": h.pk, "participant_id": h.participant_id, "participant": h.participant.display_name,
        "reference": h.participant.reference, "referral_id": h.referral_id,
        "programme": h.referral.programme.slug, "judge": h.judge.username,
        "held_on": h.held_on, "place": h.place, "how_scheduled": h.how_scheduled,
        "status": h.status, "minutes_with_judge": h.minutes_with_judge, "outcome": h.outcome,
        "decision": h.decision, "decided_by": _username(h.decided_by),
        "decided_at": h.decided_at, "latest_report_id": report.pk if report else None,
        "version": h.version,
    }  # fmt: skip


def dump_report(r) -> dict:
    period = r.content.get("period", {})
    return {
        "id": r.pk, "hearing_id": r.hearing_id, "generated_by": r.generated_by.username,
        "generated_at": r.generated_at, "categories": r.categories,
        "period_from": period.get("from"), "period_to": period.get("to"),
        "sections": [{k: s.get(k) for k in SectionOut.model_fields} for s in
                     r.content.get("sections", [])],
    }  # fmt: skip


def _judge(username: str | None, *, field: str = "judge"):
    if username is None:
        return None
    judge = User.objects.filter(username=username, role=Role.JUDGE, is_active=True).first()
    if judge is None:
        raise InvalidInput(Problem(field, "is not the username of a judge"))
    return judge


def _hearing(user, hearing_id: int) -> ReviewHearing:
    """The hearing, reached as the services reach it (404 otherwise)."""
    return review_hearing_reached(user, reachable_id(hearing_id))


@router.get(
    "/dockets",
    response=responses({200: DocketOut}, 400, 403),
    summary="List a docket: the review hearings of a date, before a judge",
)
def list_docket(request: HttpRequest, query: Query[DocketQuery]):
    """For the judge (their own docket) and the coordinator and case manager (any judge's, or
    every judge's when `judge` is not given), with the mean minutes with the judge."""
    user = request.auth
    refuse_oracles(request, query, None, on={"date": None, "judge": None})
    day = query.date or timezone.localdate()
    judge = _judge(query.judge)
    hearings = docket_read(user, judge=judge, day=day)
    rows = hearings[query.offset : query.offset + query.limit]
    return {
        "date": day, "judge": query.judge if judge is not None else _username(
            user if user.role == Role.JUDGE else None),
        "mean_minutes_per_participant": mean_minutes_per_participant(hearings).get(day),
        "count": len(hearings), "limit": query.limit, "offset": query.offset,
        "items": [dump_hearing(h) for h in rows],
    }  # fmt: skip


@router.post(
    "/dockets/schedule",
    response=responses({200: ScheduledOut}, 400, 403, 422),
    summary="Schedule a docket by the programmes' rules",
    openapi_extra=header_params(IDEMPOTENCY_KEY),
)
def schedule_docket(request: HttpRequest, payload: ScheduleIn):
    """Every participant whose programme reviews by rule and whose review is due on `held_on`,
    before `judge`. Running it again schedules nobody twice. Accepts `Idempotency-Key`."""
    user = request.auth
    values = payload.model_dump()

    def effect():
        judge = _judge(values["judge"])
        done = review_docket_schedule(acting_user=user, judge=judge, held_on=values["held_on"],
                                      place=values["place"])  # fmt: skip
        body = {"created": [dump_hearing(h) for h in done.created],
                "already": [dump_hearing(h) for h in done.already],
                "not_due": len(done.not_due)}  # fmt: skip
        return 200, as_json(ScheduledOut, body), {}

    return idempotent(request, effect)


@router.post(
    "/review-hearings",
    response=responses({201: HearingOut}, 400, 403, 404, 422),
    summary="Schedule a review hearing on the court's request",
    openapi_extra=header_params(IDEMPOTENCY_KEY),
)
def create_hearing(request: HttpRequest, payload: HearingIn):
    """One participant's review on a date before a judge. The same again is the same hearing.
    Accepts `Idempotency-Key`."""
    user = request.auth
    values = payload.model_dump()

    def effect():
        judge = _judge(values["judge"])
        hearing = review_hearing_request(
            acting_user=user, referral=reachable_id(values["referral_id"]), judge=judge,
            held_on=values["held_on"], place=values["place"],
        )  # fmt: skip
        body = as_json(HearingOut, dump_hearing(hearing))
        return 201, body, {"ETag": etag(hearing.version)}

    return idempotent(request, effect)


@router.patch(
    "/review-hearings/{hearing_id}",
    response=responses({200: HearingOut}, 400, 403, 404, 412, 428),
    summary="Record a review hearing: held, adjourned or cancelled, minutes and decision",
    openapi_extra=header_params(IF_MATCH),
)
def record_hearing(request: HttpRequest, hearing_id: int, payload: RecordIn):
    """Needs the version you read (If-Match or `version`): without it 428, stale 412. The same
    record again changes nothing."""
    user = request.auth
    values = payload.model_dump()
    version = expected_version(request, values.pop("version"), required=True)
    hearing = _hearing(user, hearing_id)
    try:
        row = review_hearing_record(hearing, acting_user=user, expected_version=version, **values)
    except Conflict as exc:
        raise ApiError(412, Problem("version", str(exc))) from exc
    row.refresh_from_db()
    return as_json(HearingOut, dump_hearing(row))


@router.post(
    "/review-hearings/{hearing_id}/progress-reports",
    response=responses({201: ReportOut}, 400, 403, 404),
    summary="Prepare the court's progress report for a hearing",
)
def create_report(request: HttpRequest, hearing_id: int):
    """Drawn only from what the judge may read; recorded as a disclosure to the judge."""
    report = progress_report_generate(acting_user=request.auth, hearing=reachable_id(hearing_id))
    return Status(201, as_json(ReportOut, dump_report(report)))


@router.get(
    "/progress-reports/{report_id}",
    response=responses({200: ReportOut}, 400, 404),
    summary="Get a progress report",
)
def get_report(request: HttpRequest, report_id: int):
    """For the hearing's judge and the team's coordinator and case manager; 404 otherwise."""
    return as_json(
        ReportOut, dump_report(progress_report_read(request.auth, reachable_id(report_id)))
    )
