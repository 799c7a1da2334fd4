"""Consents to share (42 CFR 2.31; security.md SEC-06 to SEC-11, SEC-39): the same service as the
sharing pages (`sharing.consents`), for the same people, the programme team and the treatment
provider, the two who ask the participant. The agency that shares is always the user's own;
a consent names the agency that receives. Revoking one stops sharing at the next request."""

from datetime import date, datetime

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router
from pydantic import field_validator

from turnpoint.accounts.models import STAFF_ROLE_VALUES
from turnpoint.errors import InvalidInput, Problem
from turnpoint.sharing.categories import Category, Purpose
from turnpoint.sharing.consents import (
    RevocableEvent,
    SignatureMethod,
    share_consent_create,
    share_consent_revoke,
)
from turnpoint.sharing.models import ShareConsent
from turnpoint.sharing.reach import not_found, participant_for_user
from turnpoint.sharing.reads import share_consents_read
from turnpoint.sharing.rules import PolicyDenied, decide

from .common import (
    IDEMPOTENCY_KEY,
    MAX_ID,
    OutSchema,
    PageQuery,
    Shape,
    WriteSchema,
    as_json,
    header_params,
    reachable_id,
    refuse_oracles,
    responses,
)
from .court_orders import agency_by_id, start_of
from .errors import ApiError
from .idempotency import idempotent

router = Router(tags=["consents to share"])

# Only those who manage consents to share read them here (the page's rule), so every field is
# shown to every reader of this endpoint.
SHARE_CONSENT = Shape(
    always=("id", "participant_id", "disclosing_agency_id", "recipient_agency_id",
            "recipient_role", "categories", "purposes", "starts_at", "expires_at",
            "revocable_from", "revocable_after_event", "revocation_statement",
            "revocation_method", "signature_method", "signed_by", "representative_authority",
            "signed_on", "created_by", "created_at", "revoked_at", "revocation_how"),
    by_category={},
    getters={"created_by": lambda c: c.created_by.username},
)  # fmt: skip


class ShareConsentOut(OutSchema):
    id: int
    participant_id: int
    disclosing_agency_id: int
    recipient_agency_id: int | None
    recipient_role: str
    categories: list[str]
    purposes: list[str]
    starts_at: datetime
    expires_at: datetime
    revocable_from: date | None
    revocable_after_event: str
    revocation_statement: str
    revocation_method: str
    signature_method: str
    signed_by: str
    representative_authority: str
    signed_on: date
    created_by: str = Field(description="Username of who recorded it.")
    created_at: datetime
    revoked_at: datetime | None = Field(description="Null while it stands.")
    revocation_how: str


class ShareConsentPage(OutSchema):
    count: int
    limit: int
    offset: int
    items: list[ShareConsentOut]


class ShareConsentIn(WriteSchema):
    recipient_agency: int = Field(ge=1, le=MAX_ID, description="The receiving agency's id.")
    recipient_role: str = Field(
        "", json_schema_extra={"enum": ["", *STAFF_ROLE_VALUES]}, description="'' for any role."
    )
    categories: list[str] = Field(
        json_schema_extra={"items": {"type": "string", "enum": Category.values}},
        description="Only categories your agency holds; counselling notes on their own.",
    )
    purposes: list[str] = Field(
        json_schema_extra={"items": {"type": "string", "enum": Purpose.values}}
    )
    starts_at: date = Field(None, description="Defaults to today.")
    expires_at: date = Field(description="A consent must end; sharing stops that day.")
    revocable_from: date = Field(
        None, description="Only in programmes whose consents are irrevocable for a time."
    )
    revocable_after_event: str = Field("", json_schema_extra={"enum": ["", *RevocableEvent.values]})
    revocation_statement: str = Field(max_length=2000)
    revocation_method: str = Field(max_length=500)
    signature_method: str = Field(json_schema_extra={"enum": SignatureMethod.values})
    signed_by: str = Field(max_length=200)
    representative_authority: str = Field("", max_length=200)
    signed_on: date

    @field_validator("recipient_role")
    @classmethod
    def _a_staff_role(cls, value: str) -> str:
        # The page offers only these; the service does not check the role outside 2.35.
        if value not in ("", *STAFF_ROLE_VALUES):
            raise ValueError(f"must be one of: {', '.join(STAFF_ROLE_VALUES)}, or '' for any role")
        return value


class RevokeIn(WriteSchema):
    how: str = Field(max_length=2000, description="How the participant revoked it.")


def sharing_participant(user, participant_id: int):
    """The participant, reached (404 otherwise), for the programme team or the treatment
    provider (403 otherwise, audited): the sharing page's rule."""
    person = participant_for_user(user, reachable_id(participant_id))
    identity = decide(user, Category.IDENTITY, action="write")
    if not (identity or decide(user, Category.CLINICAL, action="write")):
        raise PolicyDenied(identity.reason)
    return person


def dump(consent) -> dict:
    return as_json(ShareConsentOut, SHARE_CONSENT.dump(consent, frozenset()))


@router.get(
    "/{participant_id}/share-consents",
    response=responses({200: ShareConsentPage}, 400, 403, 404),
    summary="List a participant's consents to share",
)
def list_share_consents(request: HttpRequest, participant_id: int, query: Query[PageQuery]):
    """Newest first, revoked and expired ones included."""
    user = request.auth
    refuse_oracles(request, query, None, on={})
    person = sharing_participant(user, participant_id)
    consents = share_consents_read(user, person)
    rows = consents[query.offset : query.offset + query.limit]
    return {"count": len(consents), "limit": query.limit, "offset": query.offset,
            "items": [dump(c) for c in rows]}  # fmt: skip


@router.post(
    "/{participant_id}/share-consents",
    response=responses({201: ShareConsentOut}, 400, 403, 404, 409, 422),
    summary="Record a consent to share",
    openapi_extra=header_params(IDEMPOTENCY_KEY),
)
def create_share_consent(request: HttpRequest, participant_id: int, payload: ShareConsentIn):
    """Refused with every missing element named (400), including a category your agency does not
    hold and, in a US criminal-justice-referral programme, a recipient without a duty to monitor
    or an irrevocable period past the expected final disposition. Accepts `Idempotency-Key`."""
    user = request.auth
    values = payload.model_dump()

    def effect():
        person = sharing_participant(user, participant_id)
        facts = dict(values)
        facts["recipient_agency"] = agency_by_id(
            facts["recipient_agency"], field="recipient_agency"
        )
        facts["starts_at"] = start_of(facts["starts_at"] or timezone.localdate())
        facts["expires_at"] = start_of(facts["expires_at"])
        consent = share_consent_create(acting_user=user, participant=person, **facts)
        return 201, dump(consent), {}

    return idempotent(request, effect)


@router.post(
    "/{participant_id}/share-consents/{consent_id}/revoke",
    response=responses({200: ShareConsentOut}, 400, 403, 404, 409, 422),
    summary="Record that the participant revoked a consent to share",
    openapi_extra=header_params(IDEMPOTENCY_KEY),
)
def revoke_share_consent(
    request: HttpRequest, participant_id: int, consent_id: int, payload: RevokeIn
):
    """Sharing under it stops at the next request. One already revoked, or one that cannot be
    revoked yet (42 CFR 2.35(c)), is 409 and nothing changes. Accepts `Idempotency-Key`."""
    user = request.auth

    def effect():
        person = sharing_participant(user, participant_id)
        consent = person.share_consents.filter(pk=reachable_id(consent_id)).first()
        if consent is None:
            raise not_found(ShareConsent, consent_id, "consent to share")
        if consent.revoked_at is not None:
            raise ApiError(409, Problem("", "This consent to share is already revoked. Nothing "
                                        "was saved."))  # fmt: skip
        try:
            consent = share_consent_revoke(consent, acting_user=user, how=payload.how)
        except InvalidInput as exc:
            if [p.field for p in exc.problems] == ["consent"]:  # not revocable yet: the state
                raise ApiError(409, exc.problems) from exc
            raise
        return 200, dump(consent), {}

    return idempotent(request, effect)
