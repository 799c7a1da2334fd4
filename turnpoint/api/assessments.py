"""Assessments (docs/assessments.md, docs/api.md "Assessments"): the instrument catalogue, a
participant's administrations and external assessments, and giving an instrument through the
same services as the pages (`assessments.services`).

The catalogue holds no participant data: any signed-in member of staff reads it. A participant's
assessments carry only the rows whose category the user may read (`reads.assessments_read`); an
administration the user may not read is not found, like a missing one. Writes need the right to
write the instrument's category, as on the pages.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router

from turnpoint.assessments import fhir, instruments
from turnpoint.assessments.domains import RiskLevel
from turnpoint.assessments.models import Mode, Setting
from turnpoint.assessments.services import (
    administration_answers_save,
    administration_complete,
    administration_start,
    external_assessment_record,
)
from turnpoint.errors import Conflict, InvalidInput, Problem
from turnpoint.sharing.reach import participant_for_user, referrals_visible_to
from turnpoint.sharing.reads import administration_reached, assessments_read

from .common import (
    IDEMPOTENCY_KEY,
    IF_MATCH,
    MAX_ID,
    MAX_VERSION,
    OutSchema,
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

router = Router(tags=["assessments"])
participants_router = Router(tags=["assessments"])
administrations_router = Router(tags=["assessments"])


class OptionOut(OutSchema):
    value: float
    label: str


class ItemOut(OutSchema):
    id: str
    number: str
    text: str
    options: list[OptionOut]
    minimum: float | None = None
    maximum: float | None = None
    domain: str | None = None
    capital: str | None = None


class LicenceOut(OutSchema):
    verdict: str
    status: str
    statement: str
    attribution: str
    provisional: bool


class InstrumentOut(OutSchema):
    id: str
    version: str
    title: str
    short_name: str
    validated: bool
    category: str
    profile: str
    domains: list[str]
    languages: list[str]
    licence: LicenceOut
    citation: str
    items: list[ItemOut] | None = Field(None, description="Only when one instrument is read.")


class InstrumentList(OutSchema):
    count: int
    items: list[InstrumentOut]


def dump_instrument(instrument, *, items: bool) -> dict:
    licence = instrument.licence
    out: dict[str, Any] = {
        "id": instrument.id, "version": instrument.version, "title": instrument.title,
        "short_name": instrument.short_name, "validated": instrument.validated,
        "category": str(instrument.category), "profile": instrument.profile,
        "domains": list(instrument.domains), "languages": list(instrument.languages),
        "citation": instrument.citation,
        "licence": {"verdict": licence.verdict, "status": licence.status,
                    "statement": licence.statement, "attribution": licence.attribution,
                    "provisional": licence.provisional},
    }  # fmt: skip
    if items:
        out["items"] = [
            {"id": i.id, "number": str(i.number), "text": i.text,
             "options": [{"value": o.value, "label": o.label} for o in i.options],
             "minimum": i.minimum, "maximum": i.maximum, "domain": i.domain,
             "capital": i.capital}
            for i in instrument.items
        ]  # fmt: skip
    return out


@router.get(
    "",
    response=responses({200: InstrumentList}),
    exclude_unset=True,
    summary="List the instruments",
)
def list_instruments(request: HttpRequest):
    """Every instrument this deployment offers (shipped and licensed here, minus those switched
    off), with its licence and whether it is validated. Holds no participant data."""
    found = sorted(instruments.catalogue().values(), key=lambda i: i.id)
    return {"count": len(found), "items": [dump_instrument(i, items=False) for i in found]}


@router.get(
    "/{instrument_id}",
    response=responses({200: InstrumentOut}, 404),
    summary="Read an instrument with its items",
)
def read_instrument(request: HttpRequest, instrument_id: str):
    found = instruments.catalogue().get(instrument_id)
    if found is None:
        raise ApiError(404, Problem("instrument_id", "there is no such instrument here"))
    return dump_instrument(found, items=True)


class AdministrationOut(OutSchema):
    id: int
    participant_id: int
    referral_id: int | None = None
    instrument_id: str
    instrument_version: str
    category: str
    setting: str
    mode: str
    status: str
    language: str
    administered_on: date
    administered_by: str
    answers: dict[str, float | None]
    scores: dict
    version: int
    completed_at: datetime | None = None


class ExternalAssessmentOut(OutSchema):
    id: int
    participant_id: int
    referral_id: int | None = None
    tool: str
    tool_version: str
    category: str
    total: Decimal | None = None
    level: str
    assessed_on: date
    assessed_by: str
    note: str
    recorded_by: str
    recorded_at: datetime


class AssessmentsOut(OutSchema):
    administrations: list[AdministrationOut]
    external_assessments: list[ExternalAssessmentOut]


def dump_administration(a) -> dict:
    return {
        "id": a.pk, "participant_id": a.participant_id, "referral_id": a.referral_id,
        "instrument_id": a.instrument_id, "instrument_version": a.instrument_version,
        "category": a.category, "setting": a.setting, "mode": a.mode, "status": a.status,
        "language": a.language, "administered_on": a.administered_on,
        "administered_by": a.administered_by.username, "answers": dict(a.answers or {}),
        "scores": dict(a.scores or {}), "version": a.version, "completed_at": a.completed_at,
    }  # fmt: skip


def dump_external(e) -> dict:
    return {
        "id": e.pk, "participant_id": e.participant_id, "referral_id": e.referral_id,
        "tool": e.tool, "tool_version": e.tool_version, "category": e.category,
        "total": e.total, "level": e.level, "assessed_on": e.assessed_on,
        "assessed_by": e.assessed_by, "note": e.note, "recorded_by": e.recorded_by.username,
        "recorded_at": e.recorded_at,
    }  # fmt: skip


@participants_router.get(
    "/{participant_id}/assessments",
    response=responses({200: AssessmentsOut}, 404),
    summary="List a participant's assessments",
)
def list_assessments(request: HttpRequest, participant_id: int):
    """Newest first: the administrations (in progress and complete) and external assessments
    whose category you may read for this participant; the others are absent. Audited when a
    category shown is sensitive."""
    user = request.auth
    person = participant_for_user(user, reachable_id(participant_id))
    found = assessments_read(user, person)
    return {
        "administrations": [dump_administration(a) for a in found.administrations],
        "external_assessments": [dump_external(e) for e in found.external],
    }


def _referral(user, person, referral_id: int | None):
    if referral_id is None:
        return None
    found = referrals_visible_to(user).filter(pk=referral_id, participant=person).first()
    if found is None:
        raise InvalidInput(
            Problem("referral", "must be one of this participant's referrals in your team")
        )
    return found


class AdministrationIn(WriteSchema):
    instrument_id: str = Field(max_length=64, description="An id of GET /api/instruments.")
    setting: str = Field(json_schema_extra={"enum": Setting.values})
    administered_on: date
    mode: str = Field(Mode.STAFF.value, json_schema_extra={"enum": Mode.values})
    referral: int = Field(None, ge=1, le=MAX_ID, description="A referral in your team.")
    language: str = Field("en", max_length=10)


@participants_router.post(
    "/{participant_id}/administrations",
    response=responses({201: AdministrationOut}, 400, 403, 404, 409, 422),
    summary="Start giving an instrument",
    openapi_extra=header_params(IDEMPOTENCY_KEY),
)
def start_administration(request: HttpRequest, participant_id: int, payload: AdministrationIn):
    """Starts an administration with no answers; answer it with PATCH /api/administrations/{id}.
    Accepts `Idempotency-Key`."""
    user = request.auth
    values = payload.model_dump()

    def effect():
        person = participant_for_user(user, reachable_id(participant_id))
        referral = _referral(user, person, values.pop("referral"))
        administration = administration_start(
            acting_user=user, participant=person, referral=referral, **values
        )
        return 201, as_json(AdministrationOut, dump_administration(administration)), {}

    return idempotent(request, effect)


class AnswersIn(WriteSchema):
    answers: dict[str, float | None] = Field(
        description="Item id -> the answer's value (null: not answered)."
    )
    version: int = Field(None, ge=1, le=MAX_VERSION, description="The version you read.")


@administrations_router.patch(
    "/{administration_id}",
    response=responses({200: AdministrationOut}, 400, 403, 404, 412, 428),
    summary="Save answers of an administration in progress",
    openapi_extra=header_params(IF_MATCH),
)
def save_answers(request: HttpRequest, administration_id: int, payload: AnswersIn,
                 response: HttpResponse):  # fmt: skip
    """Saves the answers given (the others stay as they were). Needs the version you read
    (If-Match or `version`): without it 428; if someone saved since, 412 and nothing changes.
    The same answers again change nothing. Each refused answer is named (400)."""
    user = request.auth
    version = expected_version(request, payload.version, required=True)
    _, administration = administration_reached(user, reachable_id(administration_id))
    try:
        administration = administration_answers_save(
            administration, acting_user=user, answers=payload.answers, expected_version=version
        )
    except Conflict as exc:
        raise ApiError(412, Problem("version", str(exc))) from exc
    response["ETag"] = etag(administration.version)
    return dump_administration(administration)


class CompleteIn(WriteSchema):
    answers: dict[str, float | None] = Field(
        default_factory=dict, description="Answers to save first, if any."
    )
    version: int = Field(None, ge=1, le=MAX_VERSION, description="The version you read.")


@administrations_router.post(
    "/{administration_id}/complete",
    response=responses({200: AdministrationOut}, 400, 403, 404, 409, 422, 428),
    summary="Finish and score an administration",
    openapi_extra=header_params(IF_MATCH, IDEMPOTENCY_KEY),
)
def complete_administration(request: HttpRequest, administration_id: int, payload: CompleteIn):
    """Scores every answer with the instrument's scoring and keeps the scores; a refused or
    missing answer is named (400) and nothing is stored. One already complete is 409. Accepts
    `Idempotency-Key`."""
    user = request.auth
    version = expected_version(request, payload.version, required=True)

    def effect():
        _, administration = administration_reached(user, reachable_id(administration_id))
        if administration.status == "complete":
            raise ApiError(409, Problem("", "This administration is already complete. Nothing "
                                        "was saved."))  # fmt: skip
        administration = administration_complete(
            administration, acting_user=user, answers=payload.answers, expected_version=version
        )
        return 200, as_json(AdministrationOut, dump_administration(administration)), {}

    return idempotent(request, effect)


class ExternalIn(WriteSchema):
    tool: str = Field("", max_length=100, description="e.g. LS/CMI, LSI-R, ORAS, OASys.")
    tool_version: str = Field("", max_length=100)
    level: str = Field("", json_schema_extra={"enum": ["", *RiskLevel.values]})
    total: Decimal = Field(None, description="As the tool gave it.")
    assessed_on: date = None
    assessed_by: str = Field("", max_length=200, description="Who gave the tool.")
    note: str = Field("", max_length=2000)
    referral: int = Field(None, ge=1, le=MAX_ID, description="A referral in your team.")


@participants_router.post(
    "/{participant_id}/external-assessments",
    response=responses({201: ExternalAssessmentOut}, 400, 403, 404, 409, 422),
    summary="Record an external assessment",
    openapi_extra=header_params(IDEMPOTENCY_KEY),
)
def record_external(request: HttpRequest, participant_id: int, payload: ExternalIn):
    """The result of a tool given elsewhere (risk and need). Accepts `Idempotency-Key`."""
    user = request.auth
    values = payload.model_dump()

    def effect():
        person = participant_for_user(user, reachable_id(participant_id))
        referral = _referral(user, person, values.pop("referral"))
        recorded = external_assessment_record(
            acting_user=user, participant=person, referral=referral, **values
        )
        return 201, as_json(ExternalAssessmentOut, dump_external(recorded)), {}

    return idempotent(request, effect)


@administrations_router.get(
    "/{administration_id}/fhir",
    response=responses({200: dict}, 404),
    summary="Read an administration as a FHIR QuestionnaireResponse",
)
def administration_fhir(request: HttpRequest, administration_id: int):
    """Its answers as a FHIR R4 QuestionnaireResponse ("completed" once finished, otherwise
    "in-progress"), for an administration you may read; the subject is the participant's
    reference. Read and recorded like the administration itself."""
    user = request.auth
    person, administration = administration_reached(user, reachable_id(administration_id))
    instrument = instruments.catalogue(include_off=True).get(administration.instrument_id)
    if instrument is None or instrument.version != administration.instrument_version:
        raise ApiError(404, Problem("administration_id", "its instrument edition is not "
                                    "available here, so it cannot be given as FHIR"))  # fmt: skip
    resource = fhir.questionnaire_response(
        instrument, dict(administration.answers or {}),
        authored=administration.completed_at or administration.updated_at,
        subject_reference=f"Patient/{person.reference}",
    )  # fmt: skip
    return resource
