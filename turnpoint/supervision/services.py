"""Services that write appointments, attendance and drug tests (docs/supervision.md).

Each takes keyword-only arguments and the acting user, decides with the rules (the user reaches
the referral through their team and may write the category in its programme), checks what it
was given (every problem named by its field, nothing written when any is found), and writes its
change and its audit entry in one transaction. Records several people edit carry `version`:
a stale `expected_version` raises `Conflict`. Repeating a write that already happened returns the
record as it is and writes nothing (idempotent).
"""

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from turnpoint import dates
from turnpoint.accounts.models import Role
from turnpoint.errors import Conflict, InvalidInput, Problem
from turnpoint.journeys.models import Referral
from turnpoint.sharing.audit import audit_write
from turnpoint.sharing.categories import Category
from turnpoint.sharing.reach import not_found, referrals_visible_to
from turnpoint.sharing.rules import PolicyDenied, decide
from turnpoint.text import text_problems

from .models import (
    PURPOSE_CATEGORY,
    Appointment,
    AppointmentKind,
    DrugTest,
    DrugTestResult,
    Outcome,
    Result,
    Specimen,
    TestPurpose,
)
from .panel import PANEL
from .schedule import drug_test_schedule

C = Category
PLACE_MAX = 200
NAME_MAX = 200
NOTE_MAX = 2000
INTERPRETATION_MAX = 4000
SHORT_MAX = 40  # level, cut-off
METHOD_MAX = 100
SCHEDULE_WEEKS = 4
# The hour a drawn test day's appointment is set for: the call-in line opens in the morning.
CALL_IN_HOUR = 9
# Who reads a test result in the light of the person's wider engagement (R14).
INTERPRETERS = frozenset({Role.PROBATION_OFFICER, Role.CLINICIAN})


def _reached_referral(user, referral) -> Referral:
    """The referral, if the user's team reaches it; the same 404 as a missing one otherwise."""
    pk = getattr(referral, "pk", referral)
    found = referrals_visible_to(user).select_related("programme", "participant").filter(pk=pk)
    row = found.first()
    if row is None:
        raise not_found(Referral, pk, "referral")
    return row


def _may_write(user, category, programme) -> None:
    decision = decide(user, category, programme=programme, action="write")
    if not decision:
        raise PolicyDenied(decision.reason)


def _born(referral):
    return referral.participant.date_of_birth


def _team_member(user, programme) -> bool:
    return user.is_active and user.programmes.filter(pk=programme.pk).exists()


def _when_problems(name, value, referral, *, future_allowed) -> list[Problem]:
    if value is None:
        return [Problem(name, "is required")]
    if not isinstance(value, datetime):
        return [Problem(name, "must be a date and time")]
    problems = dates.entered_date(
        name, value, today=timezone.localdate(), born=_born(referral), future_allowed=future_allowed
    )
    return problems or dates.in_order(name, value, referral.referral_date, "the referral date")


def _appointment_problems(referral, values) -> list[Problem]:
    problems = []
    if values["kind"] not in AppointmentKind.values:
        problems.append(
            Problem(
                "kind",
                "must be a treatment session, a supervision meeting, "
                "a review hearing or a drug or alcohol test",
            )
        )
    problems += _when_problems("starts_at", values["starts_at"], referral, future_allowed=True)
    problems += text_problems("place", values["place"], max_length=PLACE_MAX)
    problems += text_problems("with_name", values["with_name"], max_length=NAME_MAX)
    with_user = values["with_user"]
    if with_user is not None and values["with_name"].strip():
        problems.append(Problem("with_name", "must be empty when a member of the team is chosen"))
    if with_user is not None and not _team_member(with_user, referral.programme):
        problems.append(
            Problem("with_user", f"is not a member of the {referral.programme.name} team")
        )
    return problems


def appointment_book(
    *,
    acting_user,
    referral,
    kind: str,
    starts_at: datetime,
    place: str = "",
    with_user=None,
    with_name: str = "",
    drawn: bool = False,
) -> Appointment:
    """Book an appointment of the participant of `referral`, reached through the user's team."""
    referral = _reached_referral(acting_user, referral)
    _may_write(acting_user, C.ATTENDANCE, referral.programme)
    values = {
        "kind": kind,
        "starts_at": starts_at,
        "place": (place or "").strip(),
        "with_user": with_user,
        "with_name": (with_name or "").strip(),
    }
    problems = _appointment_problems(referral, values)
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        appointment = Appointment.objects.create(
            participant=referral.participant,
            referral=referral,
            drawn=drawn,
            created_by=acting_user,
            **values,
        )
        audit_write(
            acting_user=acting_user,
            action="create",
            obj=appointment,
            participant_ids=[referral.participant_id],
            categories=[C.ATTENDANCE],
            detail={"kind": kind, "starts_at": starts_at.isoformat()},
        )
    return appointment


def _reached_appointment(user, appointment) -> Appointment:
    pk = getattr(appointment, "pk", appointment)
    row = (
        Appointment.objects.select_related("referral__programme", "participant", "rescheduled_to")
        .filter(pk=pk, referral__in=referrals_visible_to(user))
        .first()
    )
    if row is None:
        raise not_found(Appointment, pk, "appointment")
    return row


def _locked(appointment: Appointment, expected_version) -> Appointment:
    row = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if expected_version is not None and row.version != expected_version:
        raise Conflict(
            f"this appointment was changed by someone else since you read it (version "
            f"{expected_version}, now {row.version}); read it again and retry"
        )
    return row


def appointment_outcome_record(
    appointment, *, acting_user, outcome: str, note: str = "", expected_version: int | None
) -> Appointment:
    """Record whether the participant attended, missed or was excused. Attended and missed are
    facts of a day that has come. Recording the same outcome and note again changes nothing."""
    appointment = _reached_appointment(acting_user, appointment)
    _may_write(acting_user, C.ATTENDANCE, appointment.referral.programme)
    note = (note or "").strip()
    problems = []
    if outcome == Outcome.RESCHEDULED:
        problems.append(
            Problem(
                "outcome", "is recorded by rescheduling the appointment, which books the new one"
            )
        )
    elif outcome not in Outcome.values:
        problems.append(Problem("outcome", "must be attended, missed or excused"))
    elif outcome in (Outcome.ATTENDED, Outcome.MISSED):
        day = dates.day_of(appointment.starts_at)
        if day > timezone.localdate():
            problems.append(
                Problem(
                    "outcome",
                    f"cannot be {outcome} before the appointment's day ({dates.spoken(day)})",
                )
            )
    problems += text_problems("note", note, max_length=NOTE_MAX, multiline=True)
    if problems:
        raise InvalidInput(problems)
    if appointment.outcome == outcome and appointment.note == note:
        return appointment  # already recorded: a repeat writes nothing
    if appointment.outcome == Outcome.RESCHEDULED:
        raise InvalidInput(
            Problem(
                "outcome", "this appointment was rescheduled; record the outcome of the new one"
            )
        )
    with transaction.atomic():
        row = _locked(appointment, expected_version)
        row.outcome, row.note = outcome, note
        row.outcome_recorded_by, row.outcome_recorded_at = acting_user, timezone.now()
        row.version += 1
        row.save()
        audit_write(
            acting_user=acting_user,
            action="update",
            obj=row,
            participant_ids=[row.participant_id],
            categories=[C.ATTENDANCE],
            detail={"outcome": outcome},
        )
    return row


def appointment_reschedule(
    appointment,
    *,
    acting_user,
    starts_at: datetime,
    note: str = "",
    place: str | None = None,
    expected_version: int | None,
) -> Appointment:
    """Move an appointment: the old one's outcome becomes rescheduled, linked to a new one at
    `starts_at` with the same kind, person seen and (unless given) place. Rescheduling again to
    the same time returns the new appointment already booked."""
    appointment = _reached_appointment(acting_user, appointment)
    _may_write(acting_user, C.ATTENDANCE, appointment.referral.programme)
    moved_to = appointment.rescheduled_to
    if moved_to is not None and moved_to.starts_at == starts_at:
        return moved_to
    if appointment.outcome:
        raise InvalidInput(
            Problem("outcome", f"is already recorded ({appointment.get_outcome_display().lower()})")
        )
    referral = appointment.referral
    values = {
        "kind": appointment.kind,
        "starts_at": starts_at,
        "place": appointment.place if place is None else place.strip(),
        "with_user": appointment.with_user,
        "with_name": appointment.with_name,
    }
    note = (note or "").strip()
    problems = _appointment_problems(referral, values)
    problems += text_problems("note", note, max_length=NOTE_MAX, multiline=True)
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        row = _locked(appointment, expected_version)
        new = Appointment.objects.create(
            participant=row.participant,
            referral=referral,
            drawn=row.drawn,
            created_by=acting_user,
            **values,
        )
        row.outcome, row.note, row.rescheduled_to = Outcome.RESCHEDULED, note, new
        row.outcome_recorded_by, row.outcome_recorded_at = acting_user, timezone.now()
        row.version += 1
        row.save()
        audit_write(
            acting_user=acting_user,
            action="update",
            obj=row,
            participant_ids=[row.participant_id],
            categories=[C.ATTENDANCE],
            detail={"outcome": Outcome.RESCHEDULED, "rescheduled_to": new.pk},
        )
    return new


# Drug and alcohol tests ---------------------------------------------------------------------


def _result_problems(results) -> list[Problem]:
    problems, seen = [], set()
    for i, r in enumerate(results, start=1):
        substance = str(r.get("substance") or "").strip()
        where = f"results[{i}]"
        if substance not in PANEL:
            problems.append(
                Problem(
                    "results",
                    f"'{substance}' is not a substance of the panel; "
                    f"choose from {', '.join(PANEL)}",
                )
            )
        elif substance in seen:
            problems.append(Problem("results", f"'{substance}' has more than one result"))
        seen.add(substance)
        if r.get("result") not in Result.values:
            problems.append(
                Problem(
                    "results",
                    f"{PANEL.get(substance, where)}: the result must "
                    "be negative, positive, dilute, invalid or not provided",
                )
            )
        method = str(r.get("confirmation_method") or "")
        if method.strip() and not r.get("confirmed"):
            problems.append(
                Problem(
                    "results",
                    f"{PANEL.get(substance, where)}: a confirmation "
                    "method is given for a result not confirmed",
                )
            )
        problems += text_problems("confirmation_method", method, max_length=METHOD_MAX)
        for name in ("level", "cut_off"):
            problems += text_problems(name, str(r.get(name) or ""), max_length=SHORT_MAX)
    return problems


def _planned_test(appointment, referral) -> Appointment | None:
    if appointment is None:
        return None
    pk = getattr(appointment, "pk", appointment)
    row = Appointment.objects.filter(
        pk=pk, referral=referral, kind=AppointmentKind.DRUG_TEST
    ).first()
    if row is None:
        raise InvalidInput(Problem("appointment", "is not a planned test of this referral"))
    return row


def drug_test_record(
    *,
    acting_user,
    referral,
    collected_at: datetime,
    specimen: str,
    purpose: str,
    witnessed: bool = False,
    results_received_at: datetime | None = None,
    results=(),
    appointment=None,
) -> DrugTest:
    """Record a test collected from the participant of `referral`, with the results that came
    back (a list of {substance, result, confirmed, confirmation_method, level, cut_off}). A
    forensic test is drug test information, a clinical one clinical (only a clinician writes
    it). A test answering a planned one (`appointment`) marks it attended. Recording the same
    test again (same referral, collection time, specimen and purpose) returns the first."""
    referral = _reached_referral(acting_user, referral)
    results = [dict(r) for r in results]
    problems = []
    if specimen not in Specimen.values:
        problems.append(
            Problem("specimen", "must be urine, oral fluid, breath, sweat patch, blood or hair")
        )
    if purpose not in TestPurpose.values:
        problems.append(Problem("purpose", "must be forensic or clinical"))
    else:
        _may_write(acting_user, PURPOSE_CATEGORY[purpose], referral.programme)
    problems += _when_problems("collected_at", collected_at, referral, future_allowed=False)
    if results_received_at is not None:
        problems += _when_problems(
            "results_received_at", results_received_at, referral, future_allowed=False
        )
        if isinstance(collected_at, datetime) and results_received_at < collected_at:
            problems.append(Problem("results_received_at", "is before the specimen was collected"))
    elif results:
        problems.append(
            Problem("results_received_at", "is required with results: when the results came back")
        )
    problems += _result_problems(results)
    planned = None
    try:
        planned = _planned_test(appointment, referral)
    except InvalidInput as exc:
        problems += exc.problems
    if problems:
        raise InvalidInput(problems)
    same = DrugTest.objects.filter(
        referral=referral, collected_at=collected_at, specimen=specimen, purpose=purpose
    ).first()
    if same is not None:
        return same
    if planned is not None and DrugTest.objects.filter(appointment=planned).exists():
        raise InvalidInput(Problem("appointment", "already has a test recorded"))
    category = PURPOSE_CATEGORY[purpose]
    with transaction.atomic():
        test = DrugTest.objects.create(
            participant=referral.participant,
            referral=referral,
            appointment=planned,
            random=bool(planned and planned.drawn),
            collected_at=collected_at,
            specimen=specimen,
            purpose=purpose,
            category=category,
            witnessed=bool(witnessed),
            results_received_at=results_received_at,
            recorded_by=acting_user,
        )
        DrugTestResult.objects.bulk_create(
            DrugTestResult(
                test=test,
                substance=r["substance"].strip(),
                result=r["result"],
                confirmed=bool(r.get("confirmed")),
                confirmation_method=str(r.get("confirmation_method") or "").strip(),
                level=str(r.get("level") or "").strip(),
                cut_off=str(r.get("cut_off") or "").strip(),
            )
            for r in results
        )
        if planned is not None and not planned.outcome:
            Appointment.objects.filter(pk=planned.pk).update(
                outcome=Outcome.ATTENDED,
                outcome_recorded_by=acting_user,
                outcome_recorded_at=timezone.now(),
                version=planned.version + 1,
            )
        audit_write(
            acting_user=acting_user,
            action="create",
            obj=test,
            participant_ids=[referral.participant_id],
            categories=[category],
            detail={"specimen": specimen, "purpose": purpose, "results": len(results)},
        )
    return test


def may_interpret(user, programme, category) -> bool:
    """The probation officer or the key worker (clinician) who may read the test's category."""
    return user.role in INTERPRETERS and bool(decide(user, category, programme=programme))


def drug_test_interpret(test, *, acting_user, note: str, expected_version: int | None) -> DrugTest:
    """Add or replace the interpretation that travels with a test's results: the reading, by
    the probation officer or the key worker, of the result in the light of the person's wider
    engagement (R14). The same note again changes nothing."""
    pk = getattr(test, "pk", test)
    test = (
        DrugTest.objects.select_related("referral__programme")
        .filter(pk=pk, referral__in=referrals_visible_to(acting_user))
        .first()
    )
    if test is None:
        raise not_found(DrugTest, pk, "drug test")
    programme = test.referral.programme
    if not decide(acting_user, test.category, programme=programme):
        raise not_found(DrugTest, pk, "drug test")  # a test one may not read is not there
    if acting_user.role not in INTERPRETERS:
        raise PolicyDenied(
            "a test result is interpreted by the probation officer or the key worker"
        )
    note = (note or "").strip()
    problems = (
        []
        if note
        else [
            Problem(
                "interpretation",
                "is required: how the result reads alongside the person's wider engagement",
            )
        ]
    )
    problems += text_problems("interpretation", note, max_length=INTERPRETATION_MAX, multiline=True)
    if problems:
        raise InvalidInput(problems)
    if test.interpretation == note:
        return test
    with transaction.atomic():
        row = DrugTest.objects.select_for_update().get(pk=test.pk)
        if expected_version is not None and row.version != expected_version:
            raise Conflict(
                f"this test was changed by someone else since you read it (version "
                f"{expected_version}, now {row.version}); read it again and retry"
            )
        row.interpretation, row.interpreted_by = note, acting_user
        row.interpreted_at = timezone.now()
        row.version += 1
        row.save()
        audit_write(
            acting_user=acting_user,
            action="update",
            obj=row,
            participant_ids=[row.participant_id],
            categories=[row.category],
            detail={"interpretation": True},
        )
    return row


# The random test schedule of a participant -------------------------------------------------


@dataclass
class SchedulePlan:
    """What drawing a participant's schedule did: the planned tests (new or already drawn), or,
    when the phase's frequency cannot be drawn, why nothing was."""

    referral: Referral
    phase_name: str = ""
    per_week: object = None
    appointments: list = field(default_factory=list)
    created: int = 0
    nothing_drawn: str = ""


def _phase(referral):
    episode = getattr(referral, "episode", None)
    if episode is None or episode.ended_on is not None:
        return None, None
    phase = referral.programme.phases.filter(number=episode.phase_number).first()
    return episode, phase


def drug_test_schedule_draw(
    *, acting_user, referral, start: date | None = None, seed: int | None = None
) -> SchedulePlan:
    """Draw the participant's random test days for the next four weeks from their
    current phase's `tests_per_week` and store them as planned tests (appointments of kind drug
    test, `drawn`). A phase testing less than once a week or not at all draws nothing and says
    so. Days already drawn from `start` on are kept, and nothing more is drawn over them: the
    schedule is not redrawn until it runs out."""
    referral = _reached_referral(acting_user, referral)
    _may_write(acting_user, C.ATTENDANCE, referral.programme)
    _, phase = _phase(referral)
    if phase is None:
        raise InvalidInput(
            Problem(
                "referral",
                "has no running episode: a schedule is drawn for a participant on the programme",
            )
        )
    start = start or timezone.localdate()
    plan = SchedulePlan(referral, phase.name, phase.tests_per_week)
    per_week = phase.tests_per_week
    if per_week != int(per_week) or per_week < 1:
        plan.nothing_drawn = (
            f"{phase.name} has no testing, so no test days were drawn"
            if per_week == 0
            else f"{phase.name} tests {per_week.normalize()} times a week, less than once a week: "
            "random days are drawn for one test or more a week, so none were drawn; book these "
            "tests by hand"
        )
        return plan
    drawn = Appointment.objects.filter(
        referral=referral, drawn=True, kind=AppointmentKind.DRUG_TEST
    )
    ahead = list(drawn.filter(starts_at__gte=_at(start)).order_by("starts_at"))
    if ahead:
        plan.appointments = ahead
        return plan
    seed = secrets.randbits(62) if seed is None else seed
    # Four full calendar weeks, after the rest of the start's week when it starts mid-week.
    schedule = drug_test_schedule(
        start=start,
        weeks=SCHEDULE_WEEKS + (start.weekday() != 0),
        per_week=int(per_week),
        seed=seed,
        participant_id=referral.participant_id,
    )
    with transaction.atomic():
        rows = Appointment.objects.bulk_create(
            Appointment(
                participant=referral.participant,
                referral=referral,
                kind=AppointmentKind.DRUG_TEST,
                starts_at=_at(day),
                drawn=True,
                created_by=acting_user,
            )
            for day in schedule.dates
        )
        audit_write(
            acting_user=acting_user,
            action="create",
            obj=referral,
            participant_ids=[referral.participant_id],
            categories=[C.ATTENDANCE],
            detail={
                "test_schedule": len(rows),
                "from": start.isoformat(),
                "to": schedule.end.isoformat(),
                "per_week": int(per_week),
            },
        )
    plan.appointments, plan.created = rows, len(rows)
    return plan


def _at(day: date, hour: int = CALL_IN_HOUR) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())
