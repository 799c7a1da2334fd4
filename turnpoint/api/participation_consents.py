"""Consent to take part: the participant's informed consent to a programme, recorded on a referral
before its episode starts (R12). The same service as the page (`sharing.participation`), the same
rules: only the roles that record legal facts in the referral's programme, only before the
episode, one current consent per referral; an episode cannot start without one."""

from datetime import date, datetime

from django.http import HttpRequest
from ninja import Field, Query, Router

from turnpoint.errors import Problem
from turnpoint.sharing.categories import Category
from turnpoint.sharing.models import ParticipationConsent
from turnpoint.sharing.participation import (
    Coercion,
    participation_consent_record,
    participation_consent_refusal,
    participation_consent_withdraw,
)
from turnpoint.sharing.reach import not_found
from turnpoint.sharing.reads import participation_consents_read
from turnpoint.sharing.rules import require

from .access import referral_for_user
from .common import (
    IDEMPOTENCY_KEY,
    MAX_VERSION,
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

router = Router(tags=["consent to take part"])

PARTICIPATION_CONSENT = Shape(
    always=("id", "referral_id", "participant_id"),
    by_category={
        Category.LEGAL: ("alternatives_explained", "coercion", "agreed_max_weeks",
                         "custodial_weeks_replaced", "non_completion_explained",
                         "right_to_withdraw_explained", "signed_by", "signed_on", "recorded_by",
                         "recorded_at", "withdrawn_at", "withdrawn_how"),
    },
    getters={"recorded_by": lambda c: c.recorded_by.username},
)  # fmt: skip


class ParticipationConsentOut(OutSchema):
    id: int
    referral_id: int
    participant_id: int
    # legal
    alternatives_explained: str | None = None
    coercion: str | None = None
    agreed_max_weeks: int | None = None
    custodial_weeks_replaced: int | None = None
    non_completion_explained: str | None = None
    right_to_withdraw_explained: bool | None = None
    signed_by: str | None = None
    signed_on: date | None = None
    recorded_by: str | None = Field(None, description="Username of who recorded it.")
    recorded_at: datetime | None = None
    withdrawn_at: datetime | None = Field(None, description="Null while the consent stands.")
    withdrawn_how: str | None = None


class ParticipationConsentPage(OutSchema):
    count: int
    limit: int
    offset: int
    items: list[ParticipationConsentOut]


class ParticipationConsentIn(WriteSchema):
    alternatives_explained: str = Field(
        max_length=4000, description="What happens if they do not take part."
    )
    coercion: str = Field(
        json_schema_extra={"enum": Coercion.values}, description="How much choice they have."
    )
    agreed_max_weeks: int = Field(
        ge=1, le=MAX_VERSION, description="The longest the programme can last, in weeks."
    )
    custodial_weeks_replaced: int = Field(
        None,
        ge=0,
        le=MAX_VERSION,
        description="Weeks of custody the programme replaces; required where the programme may "
        "not outlast the custody it replaces.",
    )
    non_completion_explained: str = Field(
        max_length=4000, description="What happens if the participant does not finish."
    )
    right_to_withdraw_explained: bool = Field(
        description="The participant was told they can withdraw their consent at any time; "
        "must be true."
    )
    signed_by: str = Field(max_length=200)
    signed_on: date


class WithdrawIn(WriteSchema):
    how: str = Field(max_length=2000, description="How the participant withdrew.")


def consents_url(referral_id: int) -> str:
    return f"/api/referrals/{referral_id}/participation-consents"


@router.get(
    "/{referral_id}/participation-consents",
    response=responses({200: ParticipationConsentPage}, 400, 404),
    exclude_unset=True,
    summary="List a referral's consents to take part",
)
def list_participation_consents(request: HttpRequest, referral_id: int, query: Query[PageQuery]):
    """Newest first; the current one has no `withdrawn_at`. Their content is legal facts: left
    out for roles that may not read them in the referral's programme; reading it is audited."""
    user = request.auth
    refuse_oracles(request, query, None, on={})
    referral = referral_for_user(user, referral_id)

    found, categories = participation_consents_read(user, referral, PARTICIPATION_CONSENT.shown)
    items = found[query.offset : query.offset + query.limit]
    return {
        "count": len(found),
        "limit": query.limit,
        "offset": query.offset,
        "items": [PARTICIPATION_CONSENT.dump(c, categories) for c in items],
    }


@router.post(
    "/{referral_id}/participation-consents",
    response=responses({201: ParticipationConsentOut}, 400, 403, 404, 409, 422),
    summary="Record the participant's consent to take part",
    openapi_extra=header_params(IDEMPOTENCY_KEY),
)
def create_participation_consent(
    request: HttpRequest, referral_id: int, payload: ParticipationConsentIn
):
    """For roles that record legal facts in the referral's programme (403 otherwise, audited),
    before the episode starts and while the referral has no current consent (409 otherwise).
    The service's rules (duration against the programme's maximum and the custody it replaces,
    the right to withdraw explained) answer 400 naming the field. Accepts `Idempotency-Key`."""
    user = request.auth
    values = payload.model_dump(exclude_unset=True)

    def effect():
        referral = referral_for_user(user, referral_id)
        require(user, Category.LEGAL, programme=referral.programme, action="write")
        if refusal := participation_consent_refusal(referral):
            raise ApiError(409, Problem("", refusal))
        consent = participation_consent_record(acting_user=user, referral=referral, **values)
        body = PARTICIPATION_CONSENT.dump(consent, Readable(user)(referral.programme))
        return 201, as_json(ParticipationConsentOut, body), {}

    return idempotent(request, effect)


@router.post(
    "/{referral_id}/participation-consents/{consent_id}/withdraw",
    response=responses({200: ParticipationConsentOut}, 400, 403, 404, 409, 422),
    summary="Record that the participant withdrew their consent to take part",
    openapi_extra=header_params(IDEMPOTENCY_KEY),
)
def withdraw_participation_consent(
    request: HttpRequest, referral_id: int, consent_id: int, payload: WithdrawIn
):
    """Same roles as recording one; a consent already withdrawn is 409. Accepts
    `Idempotency-Key`."""
    user = request.auth

    def effect():
        referral = referral_for_user(user, referral_id)
        consent = (
            referral.participation_consents.select_related("recorded_by")
            .filter(pk=reachable_id(consent_id))
            .first()
        )
        if consent is None:
            raise not_found(ParticipationConsent, consent_id, "consent to take part")
        require(user, Category.LEGAL, programme=referral.programme, action="write")
        if consent.withdrawn_at is not None:
            raise ApiError(409, Problem("", "This consent to take part is already withdrawn. "
                                        "Nothing was saved."))  # fmt: skip
        consent = participation_consent_withdraw(consent, acting_user=user, how=payload.how)
        body = PARTICIPATION_CONSENT.dump(consent, Readable(user)(referral.programme))
        return 200, as_json(ParticipationConsentOut, body), {}

    return idempotent(request, effect)
