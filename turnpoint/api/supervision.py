"""Appointments, attendance and drug and alcohol tests of a participant (docs/api.md,
docs/supervision.md): the same services and selectors as the supervision pages.

Appointments are attendance information: read by whoever reads attendance in the participant's
programme (the court included), booked and their outcome recorded by the roles that record it.
Tests are drug test results when forensic, clinical information when clinical: each listed only
where the reader may read its category (a judge only where the programme's switch or the
participant's consent allows), always with its interpretation.
"""

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Query, Router

from turnpoint.errors import Conflict, InvalidInput, Problem
from turnpoint.sharing.categories import Category
from turnpoint.sharing.reach import participant_for_user, referrals_visible_to
from turnpoint.sharing.reads import attendance_read, drug_tests_read
from turnpoint.sharing.rules import PolicyDenied, decide
from turnpoint.supervision.measures import turnaround_hours
from turnpoint.supervision.models import AppointmentKind, Outcome, Result, Specimen, TestPurpose
from turnpoint.supervision.panel import PANEL
from turnpoint.supervision.services import (
    appointment_book,
    appointment_outcome_record,
    appointment_reschedule,
    drug_test_interpret,
    drug_test_record,
)

from .common import (
    IDEMPOTENCY_KEY,
    IF_MATCH,
    MAX_ID,
    MAX_VERSION,
    OutSchema,
    PageQuery,
    WriteSchema,
    as_json,
    etag,
    expected_version,
    header_params,
    reachable_id,
    refuse_oracles,
    responses,
)
from .errors import ApiError
from .idempotency import idempotent

router = Router(tags=["supervision"])
C = Category


class AppointmentOut(OutSchema):
    id: int
    participant_id: int
    referral_id: int
    programme: str = Field(description="The programme's slug.")
    kind: str
    starts_at: datetime
    place: str
    with_user: str | None = Field(None, description="Username of the member of staff seen.")
    with_name: str = Field(description="Another worker seen, named when not a member of staff.")
    drawn: bool = Field(description="Drawn by the random test schedule.")
    outcome: str = Field(description="'' until recorded.")
    outcome_recorded_by: str | None = None
    outcome_recorded_at: datetime | None = None
    note: str
    rescheduled_to: int | None = Field(None, description="The appointment it was moved to.")
    version: int


class AppointmentPage(OutSchema):
    count: int
    limit: int
    offset: int
    items: list[AppointmentOut]


class ResultOut(OutSchema):
    substance: str
    result: str
    confirmed: bool
    confirmation_method: str
    level: str
    cut_off: str


class DrugTestOut(OutSchema):
    id: int
    participant_id: int
    referral_id: int
    programme: str
    category: str = Field(description="drug_tests (forensic) or clinical.")
    purpose: str
    specimen: str
    collected_at: datetime
    witnessed: bool
    random: bool
    appointment_id: int | None = None
    results_received_at: datetime | None = None
    turnaround_hours: float | None = Field(None, description="Null while results are awaited.")
    results: list[ResultOut]
    interpretation: str = Field(description="Travels with the result wherever it is shown.")
    interpreted_by: str | None = None
    interpreted_at: datetime | None = None
    version: int


class DrugTestPage(OutSchema):
    count: int
    limit: int
    offset: int
    items: list[DrugTestOut]


class AppointmentIn(WriteSchema):
    referral_id: int = Field(ge=1, le=MAX_ID, description="A referral of this participant.")
    kind: str = Field(json_schema_extra={"enum": AppointmentKind.values})
    starts_at: datetime
    place: str = Field("", max_length=200)
    with_user: str = Field(None, max_length=150, description="Username of a team member.")
    with_name: str = Field("", max_length=200, description="Another worker, by name.")


class OutcomeIn(WriteSchema):
    outcome: str = Field(json_schema_extra={"enum": ["attended", "missed", "excused"]})
    note: str = Field("", max_length=2000)
    version: int = Field(
        None, ge=1, le=MAX_VERSION, description="The version you read, if you send no If-Match."
    )


class RescheduleIn(WriteSchema):
    starts_at: datetime
    note: str = Field("", max_length=2000)
    version: int = Field(None, ge=1, le=MAX_VERSION)


class ResultIn(WriteSchema):
    substance: str = Field(max_length=40, json_schema_extra={"enum": list(PANEL)})
    result: str = Field(json_schema_extra={"enum": Result.values})
    confirmed: bool = False
    confirmation_method: str = Field("", max_length=100)
    level: str = Field("", max_length=40)
    cut_off: str = Field("", max_length=40)


class DrugTestIn(WriteSchema):
    referral_id: int = Field(ge=1, le=MAX_ID)
    collected_at: datetime
    specimen: str = Field(json_schema_extra={"enum": Specimen.values})
    purpose: str = Field(json_schema_extra={"enum": TestPurpose.values})
    witnessed: bool = False
    results_received_at: datetime = None
    results: list[ResultIn] = Field([], max_length=len(PANEL))
    appointment_id: int = Field(None, ge=1, le=MAX_ID, description="The planned test it answers.")


class InterpretationIn(WriteSchema):
    interpretation: str = Field(max_length=4000)
    version: int = Field(None, ge=1, le=MAX_VERSION)


def _username(user) -> str | None:
    return user.username if user is not None else None


def dump_appointment(a) -> dict:
    return {
        "id": a.pk,
        "participant_id": a.participant_id,
        "referral_id": a.referral_id,
        "programme": a.referral.programme.slug,
        "kind": a.kind,
        "starts_at": a.starts_at,
        "place": a.place,
        "with_user": _username(a.with_user),
        "with_name": a.with_name,
        "drawn": a.drawn,
        "outcome": a.outcome,
        "outcome_recorded_by": _username(a.outcome_recorded_by),
        "outcome_recorded_at": a.outcome_recorded_at,
        "note": a.note,
        "rescheduled_to": a.rescheduled_to_id,
        "version": a.version,
    }


def dump_test(t) -> dict:
    return {
        "id": t.pk,
        "participant_id": t.participant_id,
        "referral_id": t.referral_id,
        "programme": t.referral.programme.slug,
        "category": t.category,
        "purpose": t.purpose,
        "specimen": t.specimen,
        "collected_at": t.collected_at,
        "witnessed": t.witnessed,
        "random": t.random,
        "appointment_id": t.appointment_id,
        "results_received_at": t.results_received_at,
        "turnaround_hours": turnaround_hours(t.collected_at, t.results_received_at),
        "results": [
            {
                "substance": r.substance,
                "result": r.result,
                "confirmed": r.confirmed,
                "confirmation_method": r.confirmation_method,
                "level": r.level,
                "cut_off": r.cut_off,
            }
            for r in t.results.all()
        ],
        "interpretation": t.interpretation,
        "interpreted_by": _username(t.interpreted_by),
        "interpreted_at": t.interpreted_at,
        "version": t.version,
    }


def _participant(user, participant_id: int):
    return participant_for_user(user, reachable_id(participant_id))


def _referral_of(user, person, referral_id: int):
    referral = referrals_visible_to(user).filter(pk=referral_id, participant=person).first()
    if referral is None:
        raise InvalidInput(
            Problem("referral_id", "is not a referral of this participant that your team reaches")
        )
    return referral


def _team_user(referral, username: str | None):
    if username is None:
        return None
    member = referral.programme.members.filter(is_active=True, username=username).first()
    if member is None:
        raise InvalidInput(
            Problem(
                "with_user",
                f"'{username}' is not an active member of the {referral.programme.name} team",
            )
        )
    return member


def _appointments(user, person) -> list:
    read = attendance_read(user, person)
    if not read.readable:
        raise PolicyDenied(decide(user, C.ATTENDANCE).reason)
    return read.appointments


def _appointment(user, person, appointment_id: int):
    found = next((a for a in _appointments(user, person) if a.pk == appointment_id), None)
    if found is None:
        raise ApiError(404, Problem("", "not found"))
    return found


@router.get(
    "/{participant_id}/appointments",
    response=responses({200: AppointmentPage}, 400, 403, 404),
    summary="List a participant's appointments and their outcomes",
)
def list_appointments(request: HttpRequest, participant_id: int, query: Query[PageQuery]):
    """Newest first, in the programmes whose attendance you read (403 when none)."""
    user = request.auth
    refuse_oracles(request, query, None, on={})
    rows = _appointments(user, _participant(user, participant_id))
    page = rows[query.offset : query.offset + query.limit]
    return {
        "count": len(rows),
        "limit": query.limit,
        "offset": query.offset,
        "items": [dump_appointment(a) for a in page],
    }


@router.post(
    "/{participant_id}/appointments",
    response=responses({201: AppointmentOut}, 400, 403, 404, 409, 422),
    summary="Book an appointment",
    openapi_extra=header_params(IDEMPOTENCY_KEY),
)
def create_appointment(request: HttpRequest, participant_id: int, payload: AppointmentIn):
    """For the roles that record attendance. Accepts `Idempotency-Key`."""
    user = request.auth
    values = payload.model_dump()

    def effect():
        person = _participant(user, participant_id)
        referral = _referral_of(user, person, values.pop("referral_id"))
        values["with_user"] = _team_user(referral, values["with_user"])
        appointment = appointment_book(acting_user=user, referral=referral, **values)
        body = as_json(AppointmentOut, dump_appointment(appointment))
        return 201, body, {"ETag": etag(appointment.version)}

    return idempotent(request, effect)


@router.patch(
    "/{participant_id}/appointments/{appointment_id}",
    response=responses({200: AppointmentOut}, 400, 403, 404, 412, 428),
    summary="Record the outcome of an appointment",
    openapi_extra=header_params(IF_MATCH),
)
def record_outcome(
    request: HttpRequest, participant_id: int, appointment_id: int, payload: OutcomeIn
):
    """Attended, missed (not before the day) or excused. Needs the version you read (If-Match
    or `version`): without it 428, stale 412. The same outcome again changes nothing."""
    user = request.auth
    values = payload.model_dump()
    version = expected_version(request, values.pop("version"), required=True)
    person = _participant(user, participant_id)
    appointment = _appointment(user, person, reachable_id(appointment_id))
    if values["outcome"] == Outcome.RESCHEDULED:
        raise InvalidInput(Problem("outcome", "is recorded by rescheduling: POST .../reschedule"))
    try:
        row = appointment_outcome_record(
            appointment, acting_user=user, expected_version=version, **values
        )
    except Conflict as exc:
        raise ApiError(412, Problem("version", str(exc))) from exc
    row.refresh_from_db()
    return as_json(AppointmentOut, dump_appointment(row))


@router.post(
    "/{participant_id}/appointments/{appointment_id}/reschedule",
    response=responses({201: AppointmentOut}, 400, 403, 404, 409, 412, 422, 428),
    summary="Reschedule an appointment",
    openapi_extra=header_params(IDEMPOTENCY_KEY, IF_MATCH),
)
def reschedule_appointment(
    request: HttpRequest, participant_id: int, appointment_id: int, payload: RescheduleIn
):
    """Books the new appointment (returned) and records the old one as rescheduled to it.
    Needs the version you read; accepts `Idempotency-Key`."""
    user = request.auth
    values = payload.model_dump()
    version = expected_version(request, values.pop("version"), required=True)

    def effect():
        person = _participant(user, participant_id)
        appointment = _appointment(user, person, reachable_id(appointment_id))
        try:
            new = appointment_reschedule(
                appointment, acting_user=user, expected_version=version, **values
            )
        except Conflict as exc:
            raise ApiError(412, Problem("version", str(exc))) from exc
        return 201, as_json(AppointmentOut, dump_appointment(new)), {}

    return idempotent(request, effect)


def _tests(user, person) -> list:
    read = drug_tests_read(user, person)
    if not read.readable:
        raise PolicyDenied(decide(user, C.DRUG_TESTS).reason)
    return read.tests


@router.get(
    "/{participant_id}/drug-tests",
    response=responses({200: DrugTestPage}, 400, 403, 404),
    summary="List a participant's drug and alcohol tests with their results",
)
def list_drug_tests(request: HttpRequest, participant_id: int, query: Query[PageQuery]):
    """Newest first: the tests whose category you may read, each with its results and
    interpretation (403 when you may read none). The read is audited."""
    user = request.auth
    refuse_oracles(request, query, None, on={})
    rows = _tests(user, _participant(user, participant_id))
    page = rows[query.offset : query.offset + query.limit]
    return {
        "count": len(rows),
        "limit": query.limit,
        "offset": query.offset,
        "items": [dump_test(t) for t in page],
    }


@router.post(
    "/{participant_id}/drug-tests",
    response=responses({201: DrugTestOut}, 400, 403, 404, 409, 422),
    summary="Record a drug or alcohol test and its results",
    openapi_extra=header_params(IDEMPOTENCY_KEY),
)
def create_drug_test(request: HttpRequest, participant_id: int, payload: DrugTestIn):
    """Forensic tests by the roles that record them, clinical tests by a clinician. A result
    for a substance not on the panel is refused naming it. Accepts `Idempotency-Key`."""
    user = request.auth
    values = payload.model_dump()

    def effect():
        person = _participant(user, participant_id)
        referral = _referral_of(user, person, values.pop("referral_id"))
        test = drug_test_record(
            acting_user=user, referral=referral, appointment=values.pop("appointment_id"), **values
        )
        test = next(t for t in drug_tests_read(user, person).tests if t.pk == test.pk)
        return 201, as_json(DrugTestOut, dump_test(test)), {}

    return idempotent(request, effect)


@router.post(
    "/{participant_id}/drug-tests/{test_id}/interpretation",
    response=responses({200: DrugTestOut}, 400, 403, 404, 409, 412, 422, 428),
    summary="Add or change the interpretation of a test's results",
    openapi_extra=header_params(IDEMPOTENCY_KEY, IF_MATCH),
)
def interpret_drug_test(
    request: HttpRequest, participant_id: int, test_id: int, payload: InterpretationIn
):
    """By the probation officer or the key worker (clinician), who may read the test. Needs the
    version you read: without it 428, stale 412. Accepts `Idempotency-Key`."""
    user = request.auth
    values = payload.model_dump()
    version = expected_version(request, values.pop("version"), required=True)

    def effect():
        person = _participant(user, participant_id)
        test = next((t for t in _tests(user, person) if t.pk == reachable_id(test_id)), None)
        if test is None:
            raise ApiError(404, Problem("", "not found"))
        try:
            drug_test_interpret(
                test, acting_user=user, note=values["interpretation"], expected_version=version
            )
        except Conflict as exc:
            raise ApiError(412, Problem("version", str(exc))) from exc
        test = next(t for t in drug_tests_read(user, person).tests if t.pk == test.pk)
        return 200, as_json(DrugTestOut, dump_test(test)), {}

    return idempotent(request, effect)
