"""The children in a participant's household, recorded so that safeguarding can act (R19): the
same service as the household page (`people.services.household_child_add`), which only the roles
that write household information may call; reading them is a household read, recorded."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Query, Router

from turnpoint.people.services import household_child_add
from turnpoint.sharing.categories import Category
from turnpoint.sharing.reach import decide_for, participant_for_user
from turnpoint.sharing.reads import household_read
from turnpoint.sharing.rules import PolicyDenied

from .common import (
    IDEMPOTENCY_KEY,
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
from .idempotency import idempotent

router = Router(tags=["household"])

CHILD = Shape(
    always=("id", "participant_id"),
    by_category={
        Category.HOUSEHOLD: ("first_name", "year_of_birth", "lives_with_participant",
                             "relationship", "recorded_at"),
    },
)  # fmt: skip


class ChildOut(OutSchema):
    id: int
    participant_id: int
    # household
    first_name: str | None = None
    year_of_birth: int | None = None
    lives_with_participant: bool | None = None
    relationship: str | None = None
    recorded_at: datetime | None = None


class ChildPage(OutSchema):
    count: int
    limit: int
    offset: int
    items: list[ChildOut]


class ChildIn(WriteSchema):
    first_name: str = Field(max_length=100, description="The child's first name only.")
    year_of_birth: int = Field(ge=1, le=32767, description="A child under 18.")
    lives_with_participant: bool = True
    relationship: str = Field("", max_length=100, description="e.g. daughter, partner's child.")


@router.get(
    "/{participant_id}/household",
    response=responses({200: ChildPage}, 400, 403, 404),
    exclude_unset=True,
    summary="List the children in a participant's household",
)
def list_household(request: HttpRequest, participant_id: int, query: Query[PageQuery]):
    """For roles that may read household information about this participant (403 otherwise,
    audited); the read is recorded."""
    user = request.auth
    refuse_oracles(request, query, None, on={})
    person = participant_for_user(user, reachable_id(participant_id))
    decision = decide_for(user, Category.HOUSEHOLD, person)
    if not decision:
        raise PolicyDenied(decision.reason)
    children = household_read(user, person)
    categories = frozenset({Category.HOUSEHOLD})
    rows = children[query.offset : query.offset + query.limit]
    return {"count": len(children), "limit": query.limit, "offset": query.offset,
            "items": [CHILD.dump(c, categories) for c in rows]}  # fmt: skip


@router.post(
    "/{participant_id}/household",
    response=responses({201: ChildOut}, 400, 403, 404, 409, 422),
    summary="Add a child to a participant's household",
    openapi_extra=header_params(IDEMPOTENCY_KEY),
)
def add_household_child(request: HttpRequest, participant_id: int, payload: ChildIn):
    """For roles that write household information (403 otherwise, audited). Accepts
    `Idempotency-Key`."""
    user = request.auth
    values = payload.model_dump()

    def effect():
        person = participant_for_user(user, reachable_id(participant_id))
        child = household_child_add(acting_user=user, participant=person, **values)
        body = CHILD.dump(child, Readable(user)(None))
        return 201, as_json(ChildOut, body), {}

    return idempotent(request, effect)
