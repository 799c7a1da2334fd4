"""One person, one record: a participant's identifiers and contact details, and merging two
records of the same person (docs/api.md, "One person, one record")."""

from datetime import datetime

from django.http import Http404, HttpRequest
from ninja import Field, Router, Status

from turnpoint.people.identifiers import (
    contact_add,
    contact_withdraw,
    identifier_add,
    identifier_withdraw,
)
from turnpoint.people.merge import participant_merge, participant_unmerge, unmerge_until
from turnpoint.people.models import ContactKind, IdentifierKind
from turnpoint.sharing.reach import participant_for_user, participants_visible_to
from turnpoint.sharing.reads import merges_kept, participant_detail_read

from .common import IDEMPOTENCY_KEY, OutSchema, WriteSchema, header_params, reachable_id, responses
from .idempotency import idempotent
from .participants import (
    ContactOut,
    IdentifierOut,
    WithdrawnContactOut,
    WithdrawnIdentifierOut,
    dump_detail,
)

router = Router(tags=["participants"])


class IdentifierAdd(WriteSchema):
    kind: str = Field(json_schema_extra={"enum": IdentifierKind.values})
    value: str = Field(max_length=100)


class ContactAdd(WriteSchema):
    kind: str = Field(json_schema_extra={"enum": ContactKind.values})
    value: str = Field(max_length=400)


class MergeIn(WriteSchema):
    duplicate: int = Field(ge=1, description="The id of the other record of the same person.")


class UnmergeIn(WriteSchema):
    merge: int = Field(ge=1, description="The id of the merge to undo.")


class MergeOut(OutSchema):
    id: int
    kept: int
    merged: int
    merged_at: datetime
    unmerge_until: datetime = Field(description="Until when a coordinator can undo the merge.")
    unmerged_at: datetime | None = None
    moved: dict[str, int] = Field(description="How many rows of each kind moved.")


def _merge_out(merge) -> dict:
    return {
        "id": merge.pk, "kept": merge.kept_id, "merged": merge.merged_id,
        "merged_at": merge.merged_at, "unmerge_until": unmerge_until(merge),
        "unmerged_at": merge.unmerged_at,
        "moved": {label: len(ids) for label, ids in merge.moved.items()},
    }  # fmt: skip


@router.post(
    "/{participant_id}/identifiers",
    response=responses({201: IdentifierOut}, 400, 403, 404),
    summary="Record an external identifier",
)
def add_identifier(request: HttpRequest, participant_id: int, payload: IdentifierAdd):
    """Police, court case and prison numbers are legal facts; a health number (NHS, CHI or
    another country's) is clinical: each needs the right to write its category. NHS and CHI
    numbers are checked with their check digit."""
    participant = participant_for_user(request.auth, reachable_id(participant_id))
    row = identifier_add(acting_user=request.auth, participant=participant, **payload.dict())
    return Status(201, dump_detail(row))


@router.post(
    "/{participant_id}/contact-details",
    response=responses({201: ContactOut}, 400, 403, 404),
    summary="Record a contact detail",
)
def add_contact(request: HttpRequest, participant_id: int, payload: ContactAdd):
    participant = participant_for_user(request.auth, reachable_id(participant_id))
    row = contact_add(acting_user=request.auth, participant=participant, **payload.dict())
    return Status(201, dump_detail(row))


class WithdrawIn(WriteSchema):
    reason: str = Field(max_length=2000, description="Why it was recorded in error.")


def _withdraw(request, participant_id: int, kind: str, pk: int, reason: str):
    user = request.auth

    def effect():
        participant = participant_for_user(user, reachable_id(participant_id))
        row = participant_detail_read(user, participant, kind, reachable_id(pk))
        if kind == "identifier":
            row = identifier_withdraw(acting_user=user, identifier=row, reason=reason)
        else:
            row = contact_withdraw(acting_user=user, contact=row, reason=reason)
        return 200, dump_detail(row), {}

    return idempotent(request, effect)


@router.post(
    "/{participant_id}/identifiers/{identifier_id}/withdraw",
    response=responses({200: WithdrawnIdentifierOut}, 400, 403, 404, 422),
    summary="Withdraw an identifier recorded in error",
    openapi_extra=header_params(IDEMPOTENCY_KEY),
)
def withdraw_identifier(
    request: HttpRequest, participant_id: int, identifier_id: int, payload: WithdrawIn
):
    """Kept with who withdrew it, when and why, and no longer the participant's (nor compared by
    the duplicate check). Needs the right to write its category, as recording it does; one
    already withdrawn is 400. To correct one, withdraw it and record the right one. Accepts
    `Idempotency-Key`."""
    return _withdraw(request, participant_id, "identifier", identifier_id, payload.reason)


@router.post(
    "/{participant_id}/contact-details/{contact_id}/withdraw",
    response=responses({200: WithdrawnContactOut}, 400, 403, 404, 422),
    summary="Withdraw a contact detail recorded in error",
    openapi_extra=header_params(IDEMPOTENCY_KEY),
)
def withdraw_contact(
    request: HttpRequest, participant_id: int, contact_id: int, payload: WithdrawIn
):
    """As for an identifier; contact details are identity. Accepts `Idempotency-Key`."""
    return _withdraw(request, participant_id, "contact", contact_id, payload.reason)


@router.post(
    "/{participant_id}/merge",
    response=responses({201: MergeOut}, 400, 403, 404, 409),
    summary="Merge another record of the same person into this one",
)
def merge(request: HttpRequest, participant_id: int, payload: MergeIn):
    """Coordinators only, and only with both records in reach. Everything of the duplicate's
    moves to this record and the duplicate is no longer found (404); undo with
    POST /api/participants/{id}/unmerge within 30 days."""
    user = request.auth
    kept = participant_for_user(user, reachable_id(participant_id))
    duplicate = participant_for_user(user, reachable_id(payload.duplicate))
    done = participant_merge(
        acting_user=user, kept=kept, duplicate=duplicate, reached=participants_visible_to(user)
    )
    return Status(201, _merge_out(done))


@router.post(
    "/{participant_id}/unmerge",
    response=responses({200: MergeOut}, 400, 403, 404, 409),
    summary="Undo a merge into this record",
)
def unmerge(request: HttpRequest, participant_id: int, payload: UnmergeIn):
    """Coordinators only, within 30 days of the merge: exactly the rows that moved go back and
    the other record is found again."""
    user = request.auth
    kept = participant_for_user(user, reachable_id(participant_id))
    found = next((m for m in merges_kept(kept) if m.pk == payload.merge), None)
    if found is None:
        raise Http404("No such merge")
    participant_unmerge(acting_user=user, merge=found)
    found.refresh_from_db()
    return _merge_out(found)
