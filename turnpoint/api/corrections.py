"""Correcting or withdrawing a recorded step (docs/journeys.md, "Correcting a step"): each posts
a row of its own through `journeys.corrections`, the same services the pages call; the step
itself never changes."""

from datetime import date

from django.http import Http404, HttpRequest
from ninja import Field, Router

from turnpoint.errors import Conflict, Problem
from turnpoint.journeys import machine
from turnpoint.journeys.corrections import transition_correct, transition_withdraw
from turnpoint.journeys.models import Disposal

from .access import referral_for_user, transitions_of
from .common import (
    IDEMPOTENCY_KEY,
    IF_MATCH,
    MAX_VERSION,
    Readable,
    WriteSchema,
    as_json,
    etag,
    expected_version,
    header_params,
    reachable_id,
    responses,
)
from .errors import ApiError
from .idempotency import idempotent
from .referrals import dump_referrals
from .transitions import TRANSITION, TransitionResult

router = Router(tags=["transitions"])


class CorrectionIn(WriteSchema):
    reason: str = Field(description="Why the step is corrected (required).")
    occurred_on: date = Field(None, description="The corrected date of the step.")
    reason_code: str = Field(None, json_schema_extra={"enum": list(machine.LEAVE_REASONS)},
                             description="Only for a step that left the pathway.")  # fmt: skip
    step_reason: str = Field(None, description="The reason recorded with the step, corrected.")
    recommended_disposal: str = Field(
        None, json_schema_extra={"enum": Disposal.values}, description="Only for a recommendation."
    )
    imposed_disposal: str = Field(None, json_schema_extra={"enum": Disposal.values},
                                  description="Only for leaving at the decision.")  # fmt: skip
    exit_type: str = Field(None, description="Only for an exit: one of the programme's types.")
    override_reason: str = Field(
        "", max_length=2000,
        description="Why the correction goes ahead although it makes a step break one of the "
        "programme's rules (a minimum length, the maximum duration); only from a role the "
        "programme lets override. Without it such a correction is refused with 422.",
    )  # fmt: skip
    expected_version: int = Field(
        None, ge=1, le=MAX_VERSION,
        description="The referral version you read; refused with 409 when stale.",
    )  # fmt: skip


class WithdrawalIn(WriteSchema):
    reason: str = Field(description="Why the step is withdrawn (required).")
    expected_version: int = Field(
        None, ge=1, le=MAX_VERSION,
        description="The referral version you read; refused with 409 when stale.",
    )  # fmt: skip


def _fix(request, referral_id: int, transition_id: int, payload, service):
    user = request.auth
    values = payload.model_dump(exclude_unset=True)
    body_version = values.pop("expected_version", None)
    header_version = expected_version(request, None, required=False)
    if header_version is not None and body_version is not None and header_version != body_version:
        raise ApiError(400, Problem("expected_version", "does not match the If-Match header"))

    def effect():
        referral = referral_for_user(user, referral_id)
        step = transitions_of(referral).filter(pk=reachable_id(transition_id)).first()
        if step is None:
            raise Http404("No such step")
        try:
            row = service(
                step,
                acting_user=user,
                expected_version=header_version if header_version is not None else body_version,
                **values,
            )
        except Conflict as exc:
            if header_version is not None:
                raise ApiError(412, Problem("If-Match", str(exc))) from exc
            raise ApiError(409, Problem("expected_version", str(exc))) from exc
        except machine.RulesNotMet as exc:
            raise ApiError(422, exc.problems) from exc
        categories = Readable(user)(referral.programme)
        body = {
            "transition": TRANSITION.dump(row, categories),
            "referral": dump_referrals(user, [referral], audit=False)[0],
        }
        return 201, as_json(TransitionResult, body), {"ETag": etag(referral.version)}

    return idempotent(request, effect)


@router.post(
    "/{referral_id}/transitions/{transition_id}/correction",
    response=responses({201: TransitionResult}, 400, 403, 404, 409, 412, 422),
    summary="Correct a recorded step",
    openapi_extra=header_params(IDEMPOTENCY_KEY, IF_MATCH),
)
def correct_transition(
    request: HttpRequest, referral_id: int, transition_id: int, payload: CorrectionIn
):
    """By the step's author or a coordinator of the team (otherwise 403). Sends back the
    correction (kind `correction`, `corrects` the step) and the referral as it now is. A date out
    of order with the steps around it, in the future, or a value the step does not record: 400
    naming the field. A correction that makes a step break one of the programme's rules without
    an `override_reason` the caller's role may give: 422, naming the rule. Accepts
    `Idempotency-Key`."""
    return _fix(request, referral_id, transition_id, payload, transition_correct)


@router.post(
    "/{referral_id}/transitions/{transition_id}/withdrawal",
    response=responses({201: TransitionResult}, 400, 403, 404, 409, 412, 422),
    summary="Withdraw the latest step",
    openapi_extra=header_params(IDEMPOTENCY_KEY, IF_MATCH),
)
def withdraw_transition(
    request: HttpRequest, referral_id: int, transition_id: int, payload: WithdrawalIn
):
    """Only the latest step in effect, by its author or a coordinator of the team: the referral
    goes back to the state before it (docs/journeys.md). Sends back the withdrawal (kind
    `withdrawal`) and the referral. Accepts `Idempotency-Key`."""
    return _fix(request, referral_id, transition_id, payload, transition_withdraw)
