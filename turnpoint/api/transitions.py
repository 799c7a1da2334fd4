"""Transitions: the recorded steps of a referral along the pathway (R3). Reading them lists the
journey; posting one moves the referral through `referral_transition`, the same service the
pages and the command line call."""

from datetime import date, datetime

from django.http import HttpRequest
from ninja import Field, Query, Router

from turnpoint.errors import Conflict, InvalidInput, Problem
from turnpoint.journeys import machine
from turnpoint.journeys.models import Disposal, State
from turnpoint.journeys.services import referral_transition
from turnpoint.sharing.categories import Category
from turnpoint.sharing.reads import transitions_read

from .access import referral_for_user, transitions_of
from .common import (
    IDEMPOTENCY_KEY,
    IF_MATCH,
    MAX_VERSION,
    OutSchema,
    PageQuery,
    Readable,
    Shape,
    WriteSchema,
    as_json,
    etag,
    expected_version,
    header_params,
    may_order_by,
    page,
    refuse_oracles,
    responses,
)
from .errors import ApiError
from .idempotency import idempotent
from .referrals import ReferralOut, dump_referrals

router = Router(tags=["transitions"])

TRANSITION = Shape(
    always=("id", "referral_id"),
    by_category={
        Category.PATHWAY: ("kind", "from_state", "to_state", "occurred_on", "recorded_at",
                           "acting_user", "reason_code", "reason", "data", "corrects",
                           "correction_reason"),
    },
    getters={"acting_user": lambda t: t.acting_user.username if t.acting_user else None,
             "corrects": lambda t: t.corrects_id},
)  # fmt: skip


class TransitionOut(OutSchema):
    id: int
    referral_id: int
    kind: str | None = None
    from_state: str | None = None
    to_state: str | None = None
    occurred_on: date | None = None
    recorded_at: datetime | None = None
    acting_user: str | None = Field(None, description="Username of who recorded the step.")
    reason_code: str | None = None
    reason: str | None = None
    data: dict | None = Field(
        None,
        description="Step facts: disposal, phase, exit type, the eligibility rules checked "
        "(`eligibility`) and any override of the programme's rules (`override`: rules, reason, "
        "role).",
    )
    corrects: int | None = Field(
        None, description="For a correction or withdrawal: the id of the step it corrects."
    )
    correction_reason: str | None = Field(None, description="Why it was corrected or withdrawn.")


class TransitionPage(OutSchema):
    count: int
    limit: int
    offset: int
    items: list[TransitionOut]


class TransitionIn(WriteSchema):
    to_state: str = Field(
        json_schema_extra={"enum": State.values},
        description="The next state; the current state again (episode) changes phase.",
    )
    occurred_on: date = Field(None, description="When it happened; defaults to today.")
    reason_code: str = Field("", json_schema_extra={"enum": ["", *machine.LEAVE_REASONS]})
    reason: str = ""
    recommended_disposal: str = Field("", json_schema_extra={"enum": ["", *Disposal.values]})
    imposed_disposal: str = Field("", json_schema_extra={"enum": ["", *Disposal.values]})
    exit_type: str = Field("", description="One of the programme's exit types.")
    phase_number: int = Field(None, ge=1, le=100, description="The new phase, when changing phase.")
    override_reason: str = Field(
        "",
        max_length=2000,
        description="Why the step goes ahead although it breaks one of the programme's rules "
        "(eligibility, a phase's minimum length, completion before the minimum, the maximum "
        "duration). Accepted only from a role the programme lets override; recorded in "
        "`data.override` with the rules and the role. Ignored when no rule is broken.",
    )
    expected_version: int = Field(
        None,
        ge=1,
        le=MAX_VERSION,
        description="The referral version you read; refused with 409 when stale.",
    )


class TransitionResult(OutSchema):
    transition: TransitionOut
    referral: ReferralOut


def dump_transitions(user, referral, rows) -> list[dict]:
    found, categories = transitions_read(user, referral, rows, TRANSITION.shown)
    return [TRANSITION.dump(t, categories) for t in found]


@router.get(
    "/{referral_id}/transitions",
    response=responses({200: TransitionPage}, 400, 404),
    exclude_unset=True,
    summary="List a referral's steps",
)
def list_transitions(request: HttpRequest, referral_id: int, query: Query[PageQuery]):
    """Every recorded step, oldest first: who, when, why, and why someone left (R3). In the order
    recorded for roles that may not read the pathway (security.md SEC-44)."""
    user = request.auth
    refuse_oracles(request, query, None, on={})
    referral = referral_for_user(user, referral_id)
    rows = transitions_of(referral).select_related("acting_user")
    if may_order_by(user, TRANSITION, "occurred_on"):
        rows = rows.order_by("occurred_on", "id")
    else:
        rows = rows.order_by("id")
    return page(rows, query, lambda items: dump_transitions(user, referral, items))


@router.post(
    "/{referral_id}/transitions",
    response=responses({201: TransitionResult}, 400, 403, 404, 409, 412, 422),
    summary="Move a referral to its next step",
    openapi_extra=header_params(IDEMPOTENCY_KEY, IF_MATCH),
)
def create_transition(request: HttpRequest, referral_id: int, payload: TransitionIn):
    """Calls the pathway state machine. An illegal step is refused with 409 and a message naming
    the current state and the allowed next steps; a stale `expected_version` with 409, a stale
    If-Match with 412. A step that breaks one of the programme's rules without an override the
    caller's role may give is refused with 422, one error per rule on `override_reason`.
    Accepts `Idempotency-Key`."""
    user = request.auth
    values = payload.model_dump(exclude_unset=True)
    body_version = values.pop("expected_version", None)
    header_version = expected_version(request, None, required=False)
    if header_version is not None and body_version is not None and header_version != body_version:
        raise ApiError(400, Problem("expected_version", "does not match the If-Match header"))

    def effect():
        referral = referral_for_user(user, referral_id)
        try:
            transition = referral_transition(
                referral,
                acting_user=user,
                expected_version=header_version if header_version is not None else body_version,
                **values,
            )
        except Conflict as exc:
            # RFC 9110: a failed If-Match is 412; a stale version in the body is a conflict.
            if header_version is not None:
                raise ApiError(412, Problem("If-Match", str(exc))) from exc
            raise ApiError(409, Problem("expected_version", str(exc))) from exc
        except machine.RulesNotMet as exc:
            raise ApiError(422, exc.problems) from exc
        except InvalidInput as exc:
            raise _as_state_conflict(exc, values.get("to_state")) from exc
        categories = Readable(user)(referral.programme)
        body = {
            "transition": TRANSITION.dump(transition, categories),
            "referral": dump_referrals(user, [referral], audit=False)[0],
        }
        headers = {"ETag": etag(referral.version)}
        return 201, as_json(TransitionResult, body), headers

    return idempotent(request, effect)


def _as_state_conflict(exc: InvalidInput, to_state) -> Exception:
    """A well-formed step that the current state does not allow is a conflict with the state
    (409), not bad input: the same request may be right tomorrow."""
    refused = (
        to_state in State.values and len(exc.problems) == 1 and exc.problems[0].field == "to_state"
    )
    return ApiError(409, exc.problems) if refused else exc
