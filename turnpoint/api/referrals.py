"""Referrals: one entry of a participant into a programme's pathway, with its offence facts."""

from datetime import date, datetime

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Query, Router

from turnpoint.errors import Conflict, InvalidInput, Problem
from turnpoint.journeys import machine
from turnpoint.journeys.corrections import referral_update
from turnpoint.journeys.models import DrugRelatedType, OffenceCategory, Source, State
from turnpoint.journeys.services import referral_create
from turnpoint.programmes.models import Programme
from turnpoint.sharing.categories import Category
from turnpoint.sharing.reach import participant_for_user
from turnpoint.sharing.reads import field_history_read, journey_rows_read

from .access import (
    PROGRAMME_HEAVY,
    programmes_spanned,
    referral_for_user,
    referrals_visible_to,
)
from .common import (
    IDEMPOTENCY_KEY,
    IF_MATCH,
    MAX_ID,
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
    id_field,
    may_order_by,
    page,
    refuse_oracles,
    responses,
)
from .errors import ApiError
from .idempotency import idempotent

router = Router(tags=["referrals"])

REFERRAL = Shape(
    always=("id", "version", "participant_id", "programme", "synthetic"),
    by_category={
        Category.PATHWAY: ("source", "state", "referral_date", "recommended_disposal",
                           "imposed_disposal", "allowed_next", "created_at"),
        Category.LEGAL: ("offence_category", "drug_related_type", "offence_date",
                         "offence_summary"),
    },
    getters={
        "programme": lambda r: r.programme.slug,
        "allowed_next": lambda r: list(machine.allowed_next(r.state)),
    },
)  # fmt: skip


class EarlierValueOut(OutSchema):
    field: str = Field(description="The field edited, e.g. family_name or offence_category.")
    old_value: str = Field(description="Its value before the change (dates as YYYY-MM-DD).")
    new_value: str
    changed_by: str | None = Field(None, description="Username of who changed it.")
    changed_at: datetime
    reason: str


def dump_earlier(rows) -> list[dict]:
    return [
        {
            "field": c.field,
            "old_value": c.old_value,
            "new_value": c.new_value,
            "changed_by": c.changed_by.username if c.changed_by_id else None,
            "changed_at": c.changed_at,
            "reason": c.reason,
        }
        for c in rows
    ]


class ReferralOut(OutSchema):
    id: int
    version: int = Field(description="Send it back as If-Match or expected_version.")
    participant_id: int
    programme: str = Field(description="The programme's slug.")
    synthetic: bool = Field(description="Made by `turnpoint synth`: not a real person.")
    # pathway
    source: str | None = None
    state: str | None = None
    referral_date: date | None = None
    recommended_disposal: str | None = None
    imposed_disposal: str | None = None
    allowed_next: list[str] | None = None
    created_at: datetime | None = None
    # legal
    offence_category: str | None = None
    drug_related_type: str | None = None
    offence_date: date | None = None
    offence_summary: str | None = None
    # only on a single referral (and a participant's), for roles that may read legal facts
    earlier_values: list[EarlierValueOut] | None = Field(
        None, description="Earlier values of offence facts edited after entry, newest first."
    )


class ReferralPage(OutSchema):
    count: int
    limit: int
    offset: int
    items: list[ReferralOut]


class ReferralFacts(WriteSchema):
    """The facts of a new referral (also nested in a new participant)."""

    programme: str = Field(description="Slug of a programme whose team you are in.")
    source: str = Field(json_schema_extra={"enum": Source.values})
    offence_category: str = Field(json_schema_extra={"enum": OffenceCategory.values})
    drug_related_type: str = Field(json_schema_extra={"enum": DrugRelatedType.values})
    offence_date: date
    referral_date: date = Field(None, description="Defaults to today.")
    offence_summary: str = ""


class ReferralCreate(ReferralFacts):
    participant_id: int = Field(ge=1, le=MAX_ID, description="A participant you can reach.")


class OffenceFactsUpdate(WriteSchema):
    """Offence facts edited after entry; each changed one keeps its earlier value."""

    offence_category: str = Field(None, json_schema_extra={"enum": OffenceCategory.values})
    drug_related_type: str = Field(None, json_schema_extra={"enum": DrugRelatedType.values})
    offence_date: date = None
    offence_summary: str = None
    reason: str = Field("", description="Why they changed; kept with the earlier values.")
    version: int = Field(
        None, ge=1, le=MAX_VERSION, description="The version you read, if you send no If-Match."
    )


class ReferralFilters(PageQuery):
    programme: str | None = Field(None, description="Programme slug.")
    state: str | None = Field(
        None,
        json_schema_extra={"enum": State.values},
        description="Only for roles that may read the pathway (security.md SEC-44).",
    )
    participant: int | None = id_field("Participant id.")


# Each filter and the output field it narrows by: its category decides who may use it (SEC-44).
REFERRAL_FILTERS = {"programme": "programme", "state": "state", "participant": "participant_id"}


def dump_referrals(user, referrals, *, audit: bool = True, also=()) -> list[dict]:
    """Shape each referral for its programme, read and recorded by `reads.journey_rows_read`:
    one audit entry for the sensitive categories shown (security.md SEC-19: one per request) and
    the disclosures when they cross agencies (SEC-13). `also`: categories of the participant
    shown alongside. `audit=False` only for a body that echoes what the caller just wrote."""
    if not audit:
        readable = Readable(user)
        return [REFERRAL.dump(r, readable(r.programme)) for r in referrals]
    pairs = journey_rows_read(user, referrals, REFERRAL.shown, also=also,
                              detail_key="referral_ids")  # fmt: skip
    return [REFERRAL.dump(referral, categories) for referral, categories in pairs]


def programme_by_slug(slug: str, *, field: str) -> Programme:
    programme = Programme.objects.filter(slug=slug).first()
    if programme is None:
        raise InvalidInput(Problem(field, f"there is no programme '{slug}'"))
    return programme


def filter_programme(user, slug: str) -> Programme:
    """A list filter's programme: one of the user's own. Filtering on another team's programme
    would tell which of your participants are referred there too, so it is refused."""
    programme = user.programmes.filter(slug=slug).first()
    if programme is None:
        programme_by_slug(slug, field="programme")  # "there is no programme" when none exists
        raise InvalidInput(Problem("programme", f"you do not work in programme '{slug}'; filter "
                                   "on one of your team's programmes"))  # fmt: skip
    return programme


def referral_create_from(user, participant, facts: dict, *, prefix: str = "") -> object:
    """Call the service with a request's facts; problems name fields as the client sent them."""
    facts = dict(facts)
    programme = programme_by_slug(facts.pop("programme"), field=f"{prefix}programme")
    try:
        return referral_create(
            acting_user=user, participant=participant, programme=programme, **facts
        )
    except InvalidInput as exc:
        raise InvalidInput([Problem(prefix + p.field, p.reason) for p in exc.problems]) from exc


@router.get(
    "",
    response=responses({200: ReferralPage}, 400, 403),
    exclude_unset=True,
    summary="List referrals",
)
def list_referrals(request: HttpRequest, filters: Query[ReferralFilters]):
    """Referrals in your programmes, newest first (by id for roles that may not read referral
    dates). Fields of categories your role may not read for a programme are left out; filtering
    on them is refused (403) and any other parameter too (400); reads of legal facts are
    audited."""
    user = request.auth
    refuse_oracles(request, filters, REFERRAL, on=REFERRAL_FILTERS,
                   programmes=programmes_spanned(user, filters.programme))  # fmt: skip
    referrals = referrals_visible_to(user).select_related("programme").defer(*PROGRAMME_HEAVY)
    if not may_order_by(user, REFERRAL, "referral_date"):
        referrals = referrals.order_by("-id")
    if filters.programme is not None:
        referrals = referrals.filter(programme=filter_programme(user, filters.programme))
    if filters.state is not None:
        if filters.state not in State.values:
            raise InvalidInput(Problem("state", f"must be one of: {', '.join(State.values)}"))
        referrals = referrals.filter(state=filters.state)
    if filters.participant is not None:
        referrals = referrals.filter(participant_id=filters.participant)
    return page(referrals, filters, lambda rows: dump_referrals(user, rows))


@router.post(
    "",
    response=responses({201: ReferralOut}, 400, 403, 409, 422),
    summary="Refer a participant to a programme",
    openapi_extra=header_params(IDEMPOTENCY_KEY),
)
def create_referral(request: HttpRequest, payload: ReferralCreate):
    """A new referral for a participant you can reach (a new person: POST /api/participants).
    Accepts `Idempotency-Key`."""
    user = request.auth

    def effect():
        values = payload.model_dump(exclude_unset=True)
        try:
            participant = participant_for_user(user, values.pop("participant_id"))
        except Http404 as exc:
            raise InvalidInput(
                Problem("participant_id", "no participant you can reach has this id")
            ) from exc
        referral = referral_create_from(user, participant, values)
        body = dump_referrals(user, [referral], audit=False)[0]
        headers = {"Location": f"/api/referrals/{referral.pk}", "ETag": etag(referral.version)}
        return 201, as_json(ReferralOut, body), headers

    return idempotent(request, effect)


@router.get(
    "/{referral_id}",
    response=responses({200: ReferralOut}, 400, 404),
    exclude_unset=True,
    summary="Read a referral",
)
def get_referral(request: HttpRequest, referral_id: int, response: HttpResponse):
    """The referral's ETag is its version: send it as If-Match with a transition."""
    referral = referral_for_user(request.auth, referral_id)
    response["ETag"] = etag(referral.version)
    out = dump_referrals(request.auth, [referral])[0]
    history = field_history_read(request.auth, referral.participant, [referral], identity=False)
    if referral.pk in history.offence:
        out["earlier_values"] = dump_earlier(history.offence[referral.pk])
    return out


@router.patch(
    "/{referral_id}",
    response=responses({200: ReferralOut}, 400, 403, 404, 412, 428),
    exclude_unset=True,
    summary="Change a referral's offence facts",
    openapi_extra=header_params(IF_MATCH),
)
def update_referral(
    request: HttpRequest, referral_id: int, payload: OffenceFactsUpdate, response: HttpResponse
):
    """Roles that record legal facts, in the referral's team. Needs the version you read
    (If-Match or `version`): without it 428, stale 412. Each changed fact keeps its earlier
    value (`earlier_values`, docs/journeys.md)."""
    user = request.auth
    values = payload.model_dump(exclude_unset=True)
    version = expected_version(request, values.pop("version", None), required=True)
    reason = values.pop("reason", "")
    if not values:
        raise ApiError(400, Problem("", "send at least one offence fact to change"))
    referral = referral_for_user(user, referral_id)
    try:
        referral = referral_update(
            referral, acting_user=user, expected_version=version, reason=reason, **values
        )
    except Conflict as exc:
        raise ApiError(412, Problem("version", str(exc))) from exc
    response["ETag"] = etag(referral.version)
    return get_referral(request, referral.pk, response)
