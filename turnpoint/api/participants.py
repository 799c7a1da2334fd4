"""Participants: the people in the programmes, reached only through the sharing policy."""

from datetime import date, datetime

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router

from turnpoint.errors import Conflict, InvalidInput, Problem
from turnpoint.people.identifiers import contact_add, identifier_add
from turnpoint.people.models import ContactKind, Ethnicity, IdentifierKind, Sex
from turnpoint.people.services import participant_create, participant_update
from turnpoint.sharing.categories import Category
from turnpoint.sharing.reach import caseload_count, participant_for_user, participants_visible_to
from turnpoint.sharing.reads import (
    duplicate_candidates,
    field_history_read,
    participant_details_read,
    participants_list,
)
from turnpoint.sharing.rules import require

from .access import PROGRAMME_HEAVY, referrals_visible_to
from .common import (
    IDEMPOTENCY_KEY,
    IF_MATCH,
    MAX_VERSION,
    ErrorsOut,
    OutSchema,
    PageQuery,
    Readable,
    Shape,
    WriteSchema,
    as_json,
    etag,
    expected_version,
    header_params,
    page,
    reachable_id,
    refuse_oracles,
    responses,
)
from .errors import ApiError
from .idempotency import idempotent
from .referrals import (
    EarlierValueOut,
    ReferralFacts,
    ReferralOut,
    dump_earlier,
    dump_referrals,
    filter_programme,
    referral_create_from,
)

router = Router(tags=["participants"])

PARTICIPANT = Shape(
    always=("id", "reference", "version", "synthetic"),
    by_category={
        Category.IDENTITY: ("given_name", "family_name", "preferred_name", "date_of_birth",
                            "sex", "ethnicity", "demographics_consent"),
    },
)  # fmt: skip


class IdentifierOut(OutSchema):
    id: int = Field(description="Withdraw it at .../identifiers/{id}/withdraw.")
    kind: str = Field(json_schema_extra={"enum": IdentifierKind.values})
    value: str


class ContactOut(OutSchema):
    id: int = Field(description="Withdraw it at .../contact-details/{id}/withdraw.")
    kind: str = Field(json_schema_extra={"enum": ContactKind.values})
    value: str


class WithdrawnIdentifierOut(IdentifierOut):
    withdrawn_at: datetime
    withdrawn_by: str = Field(description="Username of who withdrew it.")
    withdrawn_reason: str


class WithdrawnContactOut(ContactOut):
    withdrawn_at: datetime
    withdrawn_by: str = Field(description="Username of who withdrew it.")
    withdrawn_reason: str


def dump_detail(row) -> dict:
    """An identifier or contact detail; with its withdrawal when it was withdrawn."""
    out = {"id": row.pk, "kind": row.kind, "value": row.value}
    if row.withdrawn_at is not None:
        out.update(withdrawn_at=row.withdrawn_at, withdrawn_by=row.withdrawn_by.username,
                   withdrawn_reason=row.withdrawn_reason)  # fmt: skip
    return out


class ParticipantOut(OutSchema):
    id: int
    reference: str = Field(description="The reference staff quote, e.g. TP-000042.")
    version: int = Field(description="Also the ETag; send it back as If-Match to update.")
    synthetic: bool = Field(description="Made by `turnpoint synth`: not a real person.")
    # identity
    given_name: str | None = None
    family_name: str | None = None
    preferred_name: str | None = None
    date_of_birth: date | None = None
    sex: str | None = None
    ethnicity: str | None = None
    demographics_consent: bool | None = None
    # only on a single participant: their referrals in your programmes, and the identifiers
    # (of the categories you may read: a health number is clinical) and contact details
    referrals: list[ReferralOut] | None = None
    identifiers: list[IdentifierOut] | None = None
    contact_details: list[ContactOut] | None = None
    withdrawn_identifiers: list[WithdrawnIdentifierOut] | None = Field(
        None, description="Identifiers withdrawn as recorded in error (single participant)."
    )
    withdrawn_contact_details: list[WithdrawnContactOut] | None = Field(
        None, description="Contact details withdrawn (single participant)."
    )
    earlier_values: list[EarlierValueOut] | None = Field(
        None, description="Earlier names and date of birth, newest first (single participant)."
    )


class CandidateOut(OutSchema):
    id: int
    reference: str
    name: str
    date_of_birth: date
    reasons: list[str] = Field(description="Why this is probably the same person.")


class DuplicatesOut(ErrorsOut):
    """409 on create: people already recorded, among those you may see, who are probably the
    person you are adding. Send `different_person: true` if they are not."""

    candidates: list[CandidateOut]


class ParticipantPage(OutSchema):
    count: int
    limit: int
    offset: int
    items: list[ParticipantOut]


class ParticipantDetails(WriteSchema):
    given_name: str = None
    family_name: str = None
    preferred_name: str = None
    date_of_birth: date = None
    sex: str = Field(None, json_schema_extra={"enum": Sex.values})
    ethnicity: str = Field(None, json_schema_extra={"enum": Ethnicity.values})
    demographics_consent: bool = Field(
        None, description="The participant agreed to equity monitoring of sex and ethnicity."
    )


class IdentifierIn(WriteSchema):
    kind: str = Field(json_schema_extra={"enum": IdentifierKind.values})
    value: str = Field(max_length=100)


class ContactIn(WriteSchema):
    kind: str = Field(json_schema_extra={"enum": ContactKind.values})
    value: str = Field(max_length=400)


class ParticipantCreate(ParticipantDetails):
    """A person enters Turnpoint through a referral, so a new participant comes with one: that
    referral is what puts them on your team's caseload."""

    given_name: str
    family_name: str
    date_of_birth: date
    referral: ReferralFacts
    identifiers: list[IdentifierIn] = Field(
        None, max_length=20, description="Police, court case, prison or health numbers."
    )
    contact_details: list[ContactIn] = Field(None, max_length=20)
    different_person: bool = Field(
        None,
        description="You checked the likely duplicates a 409 named, and this is someone else.",
    )


class ParticipantUpdate(ParticipantDetails):
    version: int = Field(
        None, ge=1, le=MAX_VERSION, description="The version you read, if you send no If-Match."
    )
    reason: str = Field(
        None, max_length=2000,
        description="Why the details change: kept with the earlier values of a name or date of "
        "birth.",
    )  # fmt: skip


class ParticipantFilters(PageQuery):
    programme: str | None = Field(None, description="Only participants referred to it (slug).")


# Each filter and the output field it narrows by (SEC-44); None: the programme, one of the
# user's own, is on every referral they reach. The list is in name order, which every reader
# of it sees (identity: without it there is no list).
PARTICIPANT_FILTERS: dict[str, str | None] = {"programme": None}


def dump_participant(user, participant, *, with_referrals: bool, audit: bool = True) -> dict:
    categories = Readable(user)(None)
    out = PARTICIPANT.dump(participant, categories)
    if with_referrals and audit:
        identifiers, contacts = participant_details_read(user, participant, withdrawn=True)
        out["identifiers"] = [dump_detail(i) for i in identifiers if i.withdrawn_at is None]
        out["contact_details"] = [dump_detail(c) for c in contacts if c.withdrawn_at is None]
        out["withdrawn_identifiers"] = [dump_detail(i) for i in identifiers if i.withdrawn_at]
        out["withdrawn_contact_details"] = [dump_detail(c) for c in contacts if c.withdrawn_at]
    if with_referrals:
        referrals = referrals_visible_to(user).filter(participant=participant)
        out["referrals"] = dump_referrals(
            user,
            referrals.select_related("programme").defer(*PROGRAMME_HEAVY),
            audit=audit,
            also=PARTICIPANT.shown(categories),
        )
    return out


@router.get(
    "",
    response=responses({200: ParticipantPage}, 400),
    exclude_unset=True,
    summary="List participants",
)
def list_participants(request: HttpRequest, filters: Query[ParticipantFilters]):
    """Participants on your programmes' caseloads, by family name. Identity only: a participant's
    referrals are at GET /api/participants/{id} and GET /api/referrals. Any parameter but
    `programme`, `limit` and `offset` is refused (400), so no sort or search reveals a field."""
    user = request.auth
    refuse_oracles(request, filters, PARTICIPANT, on=PARTICIPANT_FILTERS)
    participants, programme = participants_visible_to(user), None
    if filters.programme is not None:
        programme = filter_programme(request.auth, filters.programme)
        # A semi-join, not a join: a participant referred there twice is listed once.
        referred = referrals_visible_to(user).filter(
            participant=OuterRef("pk"), programme=programme
        )
        participants = participants.filter(Exists(referred))
    categories = Readable(user)(None)
    return page(
        participants,
        filters,
        lambda rows: [PARTICIPANT.dump(p, categories) for p in rows],
        count=lambda: caseload_count(user, programme),
        # Crossing agencies, each participant shown is a disclosure (SEC-13).
        read=lambda rows: participants_list(user, rows, PARTICIPANT.shown(categories)),
    )


@router.post(
    "",
    response={**responses({201: ParticipantOut}, 400, 403, 422), 409: DuplicatesOut},
    summary="Add a participant with a referral",
    openapi_extra=header_params(IDEMPOTENCY_KEY),
)
def create_participant(request: HttpRequest, payload: ParticipantCreate):
    """Creates the participant, their identifiers and contact details and their first referral
    in one transaction. Unknown fields are refused by name. Accepts `Idempotency-Key`.

    If someone you may see is probably the same person (same date of birth and a similar name,
    or the same identifier), nothing is created and the answer is 409 naming them; send
    `different_person: true` to create the record all the same."""
    user = request.auth
    values = payload.model_dump(exclude_unset=True)
    facts = values.pop("referral")
    identifiers = values.pop("identifiers", None) or []
    contacts = values.pop("contact_details", None) or []
    # Looked for, and the candidates' read recorded, before the create's transaction, whose
    # rollback on a 409 would otherwise take the record of what the 409 showed with it.
    found = (
        []
        if values.pop("different_person", None)
        else _likely_duplicates(user, values, identifiers)
    )

    def effect():
        if found:  # a repeat of a request that created the record is replayed before this
            _refuse(found)
        with transaction.atomic():
            participant = participant_create(acting_user=user, **values)
            for n, item in enumerate(identifiers):
                _named(identifier_add, f"identifiers.{n}.", acting_user=user,
                       participant=participant, **item)  # fmt: skip
            for n, item in enumerate(contacts):
                _named(contact_add, f"contact_details.{n}.", acting_user=user,
                       participant=participant, **item)  # fmt: skip
            referral_create_from(user, participant, facts, prefix="referral.")
        body = dump_participant(user, participant, with_referrals=True, audit=False)
        headers = {"Location": f"/api/participants/{participant.pk}",
                   "ETag": etag(participant.version)}  # fmt: skip
        return 201, as_json(ParticipantOut, body), headers

    return idempotent(request, effect)


def _named(service, prefix: str, **kwargs):
    """Call a service; its problems name fields as the client sent them."""
    try:
        return service(**kwargs)
    except InvalidInput as exc:
        raise InvalidInput([Problem(prefix + p.field, p.reason) for p in exc.problems]) from exc


def _likely_duplicates(user, values: dict, identifiers: list[dict]) -> list[tuple]:
    require(user, Category.IDENTITY, action="write")  # refused before anyone is looked for
    return duplicate_candidates(
        user, given_name=values.get("given_name"), family_name=values.get("family_name"),
        date_of_birth=values.get("date_of_birth"),
        identifiers=[(i["kind"], i["value"]) for i in identifiers],
    )  # fmt: skip


def _refuse(found: list[tuple]):
    """409 naming the likely duplicates the user may see (never anyone out of their reach)."""
    candidates = [
        {"id": p.pk, "reference": p.reference, "name": f"{p.given_name} {p.family_name}",
         "date_of_birth": p.date_of_birth.isoformat(), "reasons": reasons}
        for p, reasons in found
    ]  # fmt: skip
    refs = ", ".join(c["reference"] for c in candidates)
    reason = (f"is probably someone already recorded ({refs}); if not, send "
              "different_person: true")  # fmt: skip
    raise ApiError(409, Problem("different_person", reason), extra={"candidates": candidates})


@router.get(
    "/{participant_id}",
    response=responses({200: ParticipantOut}, 400, 404),
    exclude_unset=True,
    summary="Read a participant",
)
def get_participant(request: HttpRequest, participant_id: int, response: HttpResponse):
    """The participant and their referrals in your programmes, with only the categories your role
    may read. The ETag is the version to send back as If-Match."""
    participant = participant_for_user(request.auth, reachable_id(participant_id))
    response["ETag"] = etag(participant.version)
    out = dump_participant(request.auth, participant, with_referrals=True)
    _with_earlier_values(request.auth, participant, out)
    return out


def _with_earlier_values(user, participant, out: dict) -> None:
    """Add the earlier values of edited fields the user may read (`reads.field_history_read`)."""
    referrals = list(
        referrals_visible_to(user).filter(participant=participant).select_related("programme")
    )
    history = field_history_read(user, participant, referrals)
    if history.identity is not None:
        out["earlier_values"] = dump_earlier(history.identity)
    for item in out.get("referrals") or []:
        if item["id"] in history.offence:
            item["earlier_values"] = dump_earlier(history.offence[item["id"]])


@router.patch(
    "/{participant_id}",
    response=responses({200: ParticipantOut}, 400, 403, 404, 412, 428),
    exclude_unset=True,
    summary="Change a participant's details",
    openapi_extra=header_params(IF_MATCH),
)
def update_participant(
    request: HttpRequest, participant_id: int, payload: ParticipantUpdate, response: HttpResponse
):
    """Needs the version you read (If-Match: "<version>" or a `version` field): without it 428;
    if someone saved in between, 412 and nothing changes (security.md SEC-34)."""
    user = request.auth
    values = payload.model_dump(exclude_unset=True)
    version = expected_version(request, values.pop("version", None), required=True)
    reason = values.pop("reason", None) or ""
    if not values:
        raise ApiError(400, Problem("", "send at least one field to change"))
    participant = participant_for_user(user, reachable_id(participant_id))
    try:
        participant = participant_update(
            participant, acting_user=user, expected_version=version, reason=reason, **values
        )
    except Conflict as exc:
        raise ApiError(412, Problem("version", str(exc))) from exc
    response["ETag"] = etag(participant.version)
    return dump_participant(user, participant, with_referrals=True)
