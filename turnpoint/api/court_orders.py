"""Court orders and subpoenas served on the programme team (security.md SEC-16; 42 CFR 2.61,
2.64): the same service as the court-order pages (`sharing.court_orders`) and the same keepers,
the roles that record legal facts. An order opens what it names to whom it names; a subpoena
opens nothing. Orders are never edited: one discharged or varied is ended (and recorded again)."""

from datetime import date, datetime, time

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router

from turnpoint.accounts.models import STAFF_ROLE_VALUES, Agency
from turnpoint.errors import InvalidInput, Problem
from turnpoint.sharing.categories import Category, Purpose
from turnpoint.sharing.court_orders import CourtOrderKind, court_order_end, court_order_record
from turnpoint.sharing.models import CourtOrder
from turnpoint.sharing.reach import not_found, participant_for_user
from turnpoint.sharing.reads import court_orders_read
from turnpoint.sharing.rules import require

from .common import (
    IDEMPOTENCY_KEY,
    MAX_ID,
    OutSchema,
    PageQuery,
    Readable,
    Shape,
    WriteSchema,
    as_json,
    header_params,
    reachable_id,
    refuse_oracles,
    responses,
)
from .errors import ApiError
from .idempotency import idempotent

router = Router(tags=["court orders"])

COURT_ORDER = Shape(
    always=("id", "participant_id"),
    by_category={
        Category.LEGAL: ("kind", "court", "reference", "made_on", "categories", "covers_from",
                         "covers_to", "recipient_role", "recipient_agency_id", "purposes",
                         "expires_at", "created_by", "created_at", "ended_at", "end_reason"),
    },
    getters={"created_by": lambda o: o.created_by.username},
)  # fmt: skip


class CourtOrderOut(OutSchema):
    id: int
    participant_id: int
    # legal
    kind: str | None = None
    court: str | None = None
    reference: str | None = None
    made_on: date | None = None
    categories: list[str] | None = None
    covers_from: date | None = None
    covers_to: date | None = None
    recipient_role: str | None = None
    recipient_agency_id: int | None = None
    purposes: list[str] | None = None
    expires_at: datetime | None = None
    created_by: str | None = Field(None, description="Username of who recorded it.")
    created_at: datetime | None = None
    ended_at: datetime | None = Field(None, description="Null while it stands.")
    end_reason: str | None = None


class CourtOrderPage(OutSchema):
    count: int
    limit: int
    offset: int
    items: list[CourtOrderOut]


class CourtOrderIn(WriteSchema):
    """Every field may be sent empty so that the service names everything missing at once: an
    order needs its whole scope, a subpoena only the court, its reference and its date."""

    kind: str = Field("", json_schema_extra={"enum": CourtOrderKind.values})
    court: str = Field("", max_length=200, description="The issuing court.")
    reference: str = Field("", max_length=100, description="The court's reference.")
    made_on: date = None
    categories: list[str] = Field(
        [], json_schema_extra={"items": {"type": "string", "enum": Category.values}}
    )
    covers_from: date = Field(None, description="The first day of the information it covers.")
    covers_to: date = Field(None, description="The last day of the information it covers.")
    recipient_role: str = Field("", json_schema_extra={"enum": ["", *STAFF_ROLE_VALUES]})
    recipient_agency: int = Field(None, ge=1, le=MAX_ID, description="An agency's id.")
    purposes: list[str] = Field(
        [], json_schema_extra={"items": {"type": "string", "enum": Purpose.values}}
    )
    expires_at: date = Field(None, description="The day its authority ends.")


class EndIn(WriteSchema):
    reason: str = Field(max_length=2000, description="e.g. 'Discharged on appeal on 3 March'.")


def agency_by_id(pk: int | None, *, field: str) -> Agency | None:
    """The agency a body names by id, or None when it names none."""
    if pk is None:
        return None
    agency = Agency.objects.filter(pk=pk).first()
    if agency is None:
        raise InvalidInput(Problem(field, "there is no agency with this id"))
    return agency


def start_of(day: date | None) -> datetime | None:
    return timezone.make_aware(datetime.combine(day, time.min)) if day else None


def keepers_participant(user, participant_id: int):
    """The participant, reached (404 otherwise), for a keeper of court orders (403 otherwise,
    audited): the page's rule, the roles that write legal facts."""
    person = participant_for_user(user, reachable_id(participant_id))
    require(user, Category.LEGAL, action="write")
    return person


@router.get(
    "/{participant_id}/court-orders",
    response=responses({200: CourtOrderPage}, 400, 403, 404),
    exclude_unset=True,
    summary="List a participant's court orders and subpoenas",
)
def list_court_orders(request: HttpRequest, participant_id: int, query: Query[PageQuery]):
    """Newest first, for the roles that keep them (403 otherwise); the read is audited."""
    user = request.auth
    refuse_oracles(request, query, None, on={})
    person = keepers_participant(user, participant_id)
    orders = court_orders_read(user, person)
    categories = Readable(user)(None)
    rows = orders[query.offset : query.offset + query.limit]
    return {"count": len(orders), "limit": query.limit, "offset": query.offset,
            "items": [COURT_ORDER.dump(o, categories) for o in rows]}  # fmt: skip


@router.post(
    "/{participant_id}/court-orders",
    response=responses({201: CourtOrderOut}, 400, 403, 404, 409, 422),
    summary="Record a court order or a subpoena",
    openapi_extra=header_params(IDEMPOTENCY_KEY),
)
def create_court_order(request: HttpRequest, participant_id: int, payload: CourtOrderIn):
    """Refused with every missing element named (400). Accepts `Idempotency-Key`."""
    user = request.auth
    values = payload.model_dump()

    def effect():
        person = keepers_participant(user, participant_id)
        facts = dict(values)
        facts["recipient_agency"] = agency_by_id(
            facts["recipient_agency"], field="recipient_agency"
        )
        facts["expires_at"] = start_of(facts["expires_at"])
        order = court_order_record(acting_user=user, participant=person, **facts)
        body = COURT_ORDER.dump(order, Readable(user)(None))
        return 201, as_json(CourtOrderOut, body), {}

    return idempotent(request, effect)


@router.post(
    "/{participant_id}/court-orders/{order_id}/end",
    response=responses({200: CourtOrderOut}, 400, 403, 404, 409, 422),
    summary="End a court order or a subpoena",
    openapi_extra=header_params(IDEMPOTENCY_KEY),
)
def end_court_order(request: HttpRequest, participant_id: int, order_id: int, payload: EndIn):
    """Nothing more opens under it from the next request. One already ended is 409. Accepts
    `Idempotency-Key`."""
    user = request.auth

    def effect():
        person = keepers_participant(user, participant_id)
        order = person.court_orders.filter(pk=reachable_id(order_id)).first()
        if order is None:
            raise not_found(CourtOrder, order_id, "court order")
        if order.ended_at is not None:
            raise ApiError(409, Problem("", "This court order has already ended. Nothing was "
                                        "saved."))  # fmt: skip
        order = court_order_end(order, acting_user=user, reason=payload.reason)
        body = COURT_ORDER.dump(order, Readable(user)(None))
        return 200, as_json(CourtOrderOut, body), {}

    return idempotent(request, effect)
