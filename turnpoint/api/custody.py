"""Custody and release (docs/supervision.md, "Custody and release"): a participant's custody
episodes, recording custody and release, and the release plan's checklist. The same services
as the pages (`supervision.custody`) and the same rules: custody episodes are legal facts (the
roles that write them record them); a release plan and the release day it prepares for are
pathway; the plan's treatment tasks are clinical (set and seen by the treatment provider only),
its other tasks pathway (set by the programme team)."""

from datetime import date, datetime

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router

from turnpoint import dates
from turnpoint.errors import InvalidInput, Problem
from turnpoint.sharing.categories import Category
from turnpoint.sharing.reach import participant_for_user
from turnpoint.sharing.reads import custody_read
from turnpoint.sharing.rules import decide, require
from turnpoint.supervision.custody import (
    ITEM_BY_CODE,
    NOTE_MAX,
    custody_record,
    release_plan_start,
    release_record,
    release_task_set,
)
from turnpoint.supervision.models import CustodyKind, ItemStatus, ReleaseItem

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

router = Router(tags=["custody and release"])
C = Category


class WindowOut(OutSchema):
    day: int = Field(description="Days since release: 0 on the day of release, up to 14.")
    ends_on: date


class CustodyOut(OutSchema):
    id: int
    participant_id: int
    # legal: the episode's own facts
    kind: str | None = None
    establishment: str | None = None
    started_on: date | None = None
    referral_id: int | None = None
    recorded_by: str | None = Field(None, description="Username of who recorded it.")
    recorded_at: datetime | None = None
    version: int | None = None
    # legal or pathway: the release day the plan prepares for
    expected_release_on: date | None = None
    released_on: date | None = None
    release_window: WindowOut | None = Field(
        None, description="Set while in the 14 days after release (a high overdose risk)."
    )
    release_plan_id: int | None = None


class CustodyPage(OutSchema):
    count: int
    limit: int
    offset: int
    items: list[CustodyOut]


class ItemOut(OutSchema):
    item: str
    label: str
    category: str
    status: str
    appointment_on: date | None = None
    note: str
    changed_by: str | None = None
    changed_at: datetime | None = None


class PlanOut(OutSchema):
    id: int
    custody_episode_id: int
    started_on: date
    version: int
    release_on: date | None = Field(None, description="The release day, actual or expected.")
    release_window: WindowOut | None = None
    items: list[ItemOut] = Field(description="Only the tasks of categories you may read.")
    open_items: list[str]


class CustodyIn(WriteSchema):
    """Every field may be sent empty so that the service names everything missing at once."""

    kind: str = Field("", json_schema_extra={"enum": CustodyKind.values})
    establishment: str = Field("", max_length=200)
    started_on: date = None
    expected_release_on: date = None
    released_on: date = Field(None, description="Only when the participant has left custody.")
    referral_id: int = Field(None, ge=1, le=MAX_ID, description="One of the participant's "
                             "referrals to your team.")  # fmt: skip


class ReleaseIn(WriteSchema):
    released_on: date
    expected_version: int = Field(ge=1, le=MAX_VERSION)


class ItemIn(WriteSchema):
    status: str = Field(json_schema_extra={"enum": ItemStatus.values})
    appointment_on: date = None
    note: str = Field("", max_length=NOTE_MAX)
    expected_version: int = Field(ge=1, le=MAX_VERSION)


def _window(window) -> dict | None:
    return {"day": window.day, "ends_on": window.ends_on} if window else None


def _custody_body(row) -> dict:
    e = row.episode
    body = {"id": e.pk, "participant_id": e.participant_id,
            "expected_release_on": e.expected_release_on, "released_on": e.released_on,
            "release_window": _window(row.window),
            "release_plan_id": row.plan.pk if row.plan else None}  # fmt: skip
    if row.legal:
        body.update(kind=e.kind, establishment=e.establishment, started_on=e.started_on,
                    referral_id=e.referral_id, recorded_by=e.recorded_by.username,
                    recorded_at=e.recorded_at, version=e.version)  # fmt: skip
    return body


def _plan_body(row) -> dict:
    plan = row.plan
    return {
        "id": plan.pk, "custody_episode_id": row.episode.pk, "started_on": plan.started_on,
        "version": plan.version, "release_on": row.release_day,
        "release_window": _window(row.window),
        "items": [
            {"item": i.item, "label": i.get_item_display(), "category": i.category,
             "status": i.status, "appointment_on": i.appointment_on, "note": i.note,
             "changed_by": i.changed_by.username if i.changed_by else None,
             "changed_at": i.changed_at}
            for i in row.items
        ],
        "open_items": [i.item for i in row.open_items],
    }  # fmt: skip


def _reader(user, participant_id: int):
    """The participant, reached (404 otherwise), for a reader of legal facts or the pathway
    (403 otherwise, audited)."""
    person = participant_for_user(user, reachable_id(participant_id))
    if not (decide(user, C.LEGAL) or decide(user, C.PATHWAY)):
        require(user, C.LEGAL)
    return person


def _row(user, person, custody_id: int):
    for row in custody_read(user, person):
        if row.episode.pk == reachable_id(custody_id):
            return row
    raise Http404("No such custody episode")


@router.get(
    "/{participant_id}/custody-episodes",
    response=responses({200: CustodyPage}, 400, 403, 404),
    exclude_unset=True,
    summary="List a participant's custody episodes",
)
def list_custody(request: HttpRequest, participant_id: int, query: Query[PageQuery]):
    """Newest first. The episode's own facts (kind, establishment, dates of custody) for
    readers of legal facts; the release day, its 14-day window and the plan's id for readers of
    the pathway too. The read is audited."""
    user = request.auth
    refuse_oracles(request, query, None, on={})
    person = _reader(user, participant_id)
    rows = custody_read(user, person)
    page = rows[query.offset : query.offset + query.limit]
    return {"count": len(rows), "limit": query.limit, "offset": query.offset,
            "items": [_custody_body(r) for r in page]}  # fmt: skip


@router.post(
    "/{participant_id}/custody-episodes",
    response=responses({201: CustodyOut}, 400, 403, 404, 409, 422),
    summary="Record a custody episode",
    openapi_extra=header_params(IDEMPOTENCY_KEY),
)
def create_custody(request: HttpRequest, participant_id: int, payload: CustodyIn):
    """Refused with every problem named (400): release before the start, an expected release
    not after it, a start or release in the future, a second episode while one is open.
    Accepts `Idempotency-Key`."""
    user = request.auth
    values = payload.model_dump()

    def effect():
        person = participant_for_user(user, reachable_id(participant_id))
        require(user, C.LEGAL, action="write")
        referral_id = values.pop("referral_id")
        referral = None
        if referral_id is not None:
            referral = person.referrals.filter(pk=referral_id).select_related("programme").first()
            if referral is None:
                raise InvalidInput(Problem("referral_id", "is not one of this participant's "
                                           "referrals"))  # fmt: skip
        episode = custody_record(acting_user=user, participant=person, referral=referral, **values)
        row = _row(user, person, episode.pk)
        return 201, as_json(CustodyOut, _custody_body(row)), {}

    return idempotent(request, effect)


@router.post(
    "/{participant_id}/custody-episodes/{custody_id}/release",
    response=responses({200: CustodyOut}, 400, 403, 404, 409, 422),
    summary="Record the release from a custody episode",
    openapi_extra=header_params(IDEMPOTENCY_KEY),
)
def record_release(request: HttpRequest, participant_id: int, custody_id: int,
                   payload: ReleaseIn):  # fmt: skip
    """A release already recorded is refused (409, naming `released_on`), as is a stale
    `expected_version`. Accepts `Idempotency-Key`."""
    user = request.auth

    def effect():
        person = participant_for_user(user, reachable_id(participant_id))
        require(user, C.LEGAL, action="write")
        row = _row(user, person, custody_id)
        if row.episode.released_on is not None:
            when = dates.spoken(row.episode.released_on)
            raise ApiError(409, Problem("released_on", f"is already recorded ({when}). Nothing "
                                        "was saved."))  # fmt: skip
        release_record(row.episode, acting_user=user, released_on=payload.released_on,
                       expected_version=payload.expected_version)  # fmt: skip
        return 200, as_json(CustodyOut, _custody_body(_row(user, person, custody_id))), {}

    return idempotent(request, effect)


def _plan_row(user, participant_id: int, custody_id: int):
    person = participant_for_user(user, reachable_id(participant_id))
    require(user, C.PATHWAY)
    return person, _row(user, person, custody_id)


@router.get(
    "/{participant_id}/custody-episodes/{custody_id}/release-plan",
    response=responses({200: PlanOut}, 403, 404),
    summary="Read the release plan of a custody episode",
)
def read_release_plan(request: HttpRequest, participant_id: int, custody_id: int):
    """For readers of the pathway: the plan, its release day, the 14-day window when in it, and
    only the tasks of categories the reader may read (the treatment tasks are clinical). 404
    when no plan is started. The read is audited."""
    _, row = _plan_row(request.auth, participant_id, custody_id)
    if row.plan is None:
        raise Http404("No release plan started")
    return as_json(PlanOut, _plan_body(row))


@router.post(
    "/{participant_id}/custody-episodes/{custody_id}/release-plan",
    response=responses({201: PlanOut}, 400, 403, 404, 409, 422),
    summary="Start the release plan of a custody episode",
    openapi_extra=header_params(IDEMPOTENCY_KEY),
)
def start_release_plan(request: HttpRequest, participant_id: int, custody_id: int):
    """The programme team (who write the pathway) starts it before the expected release; it is
    also started automatically 12 weeks before. Starting one already started returns it."""
    user = request.auth

    def effect():
        person, row = _plan_row(user, participant_id, custody_id)
        release_plan_start(row.episode, acting_user=user)
        return 201, as_json(PlanOut, _plan_body(_row(user, person, custody_id))), {}

    return idempotent(request, effect)


@router.put(
    "/{participant_id}/custody-episodes/{custody_id}/release-plan/items/{item}",
    response=responses({200: PlanOut}, 400, 403, 404, 409, 422),
    summary="Set one task of a release plan",
    openapi_extra=header_params(IDEMPOTENCY_KEY),
)
def set_release_task(request: HttpRequest, participant_id: int, custody_id: int, item: str,
                     payload: ItemIn):  # fmt: skip
    """Open, done or not needed, with the appointment date (for the first community
    appointment and the prescriber's) and a note (required for not needed). Only the roles that
    write the task's category (403 otherwise). Sending what the task already is changes nothing;
    a stale `expected_version` is 409."""
    user = request.auth

    def effect():
        person = participant_for_user(user, reachable_id(participant_id))
        spec = ITEM_BY_CODE.get(item)
        if spec is None:
            raise InvalidInput(Problem("item", f"must be one of {', '.join(ReleaseItem.values)}"))
        require(user, spec.category, action="write")
        row = _row(user, person, custody_id)
        if row.plan is None:
            raise Http404("No release plan started")
        release_task_set(row.plan, item, acting_user=user, status=payload.status,
                         appointment_on=payload.appointment_on, note=payload.note,
                         expected_version=payload.expected_version)  # fmt: skip
        return 200, as_json(PlanOut, _plan_body(_row(user, person, custody_id))), {}

    return idempotent(request, effect)
