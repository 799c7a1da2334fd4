"""Portal access from the staff side (docs/portal.md): closing a participant's portal account
goes through the same service as the portal-access page (`portal.services.portal_access_close`),
for the roles that record identity. Issuing a set-up code is not in the API: the code is a
participant's sign-in secret, shown once to a person who hands it over in person, and an API
answer would keep it (an idempotent POST stores its response)."""

from django.http import HttpRequest
from ninja import Field, Router

from turnpoint.errors import InvalidInput
from turnpoint.portal.services import portal_access_close
from turnpoint.sharing.categories import Category
from turnpoint.sharing.reach import participant_for_user
from turnpoint.sharing.rules import require

from .common import (
    IDEMPOTENCY_KEY,
    OutSchema,
    WriteSchema,
    as_json,
    header_params,
    reachable_id,
    responses,
)
from .errors import ApiError
from .idempotency import idempotent

router = Router(tags=["portal access"])


class PortalAccessOut(OutSchema):
    participant_id: int
    open: bool = Field(description="Whether the participant can sign in to the portal.")


class CloseIn(WriteSchema):
    """An empty object, `{}`: closing needs no facts, and takes none."""


@router.post(
    "/{participant_id}/portal-access/close",
    response=responses({200: PortalAccessOut}, 400, 403, 404, 409, 422),
    summary="Close a participant's portal access",
    openapi_extra=header_params(IDEMPOTENCY_KEY),
)
def close_portal_access(request: HttpRequest, participant_id: int, payload: CloseIn):
    """At once: the participant's portal sessions stop working on their next request and a
    waiting set-up code is spent. For roles that record identity (403 otherwise, audited); an
    account that is not open is 409. Accepts `Idempotency-Key`."""
    user = request.auth

    def effect():
        person = participant_for_user(user, reachable_id(participant_id))
        require(user, Category.IDENTITY, action="write")
        try:
            portal_access_close(acting_user=user, participant=person)
        except InvalidInput as exc:  # not open: the state, not the request, is wrong
            raise ApiError(409, exc.problems) from exc
        return 200, as_json(PortalAccessOut, {"participant_id": person.pk, "open": False}), {}

    return idempotent(request, effect)
