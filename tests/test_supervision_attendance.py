"""Appointments and attendance: booking, outcomes, rescheduling, the selectors that read them and
the consistency of the key worker (turnpoint/supervision, docs/supervision.md)."""

from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.http import Http404
from django.utils import timezone
from supervision_helpers import on_episode

from turnpoint.errors import Conflict, InvalidInput
from turnpoint.sharing.models import AuditEntry, DisclosureAct
from turnpoint.sharing.reads import attendance_read, calendar_read, call_in_read
from turnpoint.sharing.rules import PolicyDenied
from turnpoint.supervision.measures import key_worker_consistency
from turnpoint.supervision.models import Appointment
from turnpoint.supervision.services import (
    appointment_book,
    appointment_outcome_record,
    appointment_reschedule,
)


@pytest.fixture
def referral(make_referral, coordinator):
    return on_episode(make_referral(), coordinator)


def _ago(days=0, hours=0):
    return timezone.now() - timedelta(days=days, hours=hours)


def _book(user, referral, **values):
    values = {"kind": "supervision_meeting", "starts_at": _ago(1), "with_user": user, **values}
    return appointment_book(acting_user=user, referral=referral, **values)


def _fields(exc) -> dict:
    return {p.field: p.reason for p in exc.value.problems}


def test_booking_refuses_each_problem_by_field_and_writes_nothing(referral, users, outsider):
    entries = AuditEntry.objects.count()
    with pytest.raises(InvalidInput) as exc:
        appointment_book(
            acting_user=users["coordinator"],
            referral=referral,
            kind="coffee",
            starts_at=timezone.make_aware(datetime(2001, 1, 1, 10)),
            place="Room\u202e 4",
            with_user=outsider,
        )
    problems = _fields(exc)
    assert set(problems) == {"kind", "starts_at", "place", "with_user"}
    assert "is before the referral date" in problems["starts_at"]
    assert "not a member of the" in problems["with_user"]
    assert "invisible character" in problems["place"]
    assert not Appointment.objects.exists() and AuditEntry.objects.count() == entries


def test_booking_is_for_the_team_that_writes_attendance(referral, users, outsider):
    with pytest.raises(PolicyDenied):
        _book(users["judge"], referral)
    with pytest.raises(Http404):
        _book(outsider, referral)
    appointment = _book(users["probation"], referral, place="Probation office")
    entry = AuditEntry.objects.filter(action="create", object_type="appointment").get()
    assert entry.participant_ids == [referral.participant_id]
    assert entry.categories == ["attendance"] and appointment.version == 1


def test_outcome_recorded_once_with_its_version_and_no_future_attendance(referral, users):
    coordinator = users["coordinator"]
    past = _book(coordinator, referral)
    future = _book(coordinator, referral, starts_at=timezone.now() + timedelta(days=2))
    with pytest.raises(InvalidInput) as exc:
        appointment_outcome_record(
            future, acting_user=coordinator, outcome="attended", expected_version=1
        )
    assert "before the appointment's day" in _fields(exc)["outcome"]
    # Excused ahead of the day is allowed: the participant called to say they cannot come.
    excused = appointment_outcome_record(
        future,
        acting_user=coordinator,
        outcome="excused",
        note="Hospital appointment",
        expected_version=1,
    )
    assert excused.outcome == "excused" and excused.version == 2

    done = appointment_outcome_record(
        past, acting_user=coordinator, outcome="attended", expected_version=1
    )
    assert (done.outcome, done.version, done.outcome_recorded_by) == ("attended", 2, coordinator)
    entries = AuditEntry.objects.count()
    again = appointment_outcome_record(
        past, acting_user=coordinator, outcome="attended", expected_version=1
    )
    assert again.version == 2 and AuditEntry.objects.count() == entries  # idempotent
    with pytest.raises(Conflict):
        appointment_outcome_record(
            past, acting_user=coordinator, outcome="missed", expected_version=1
        )
    past.refresh_from_db()
    assert past.outcome == "attended" and past.version == 2


def test_outcome_refuses_rescheduled_and_unknown_outcomes(referral, users):
    appointment = _book(users["coordinator"], referral)
    for outcome, words in (("rescheduled", "rescheduling"), ("late", "attended, missed")):
        with pytest.raises(InvalidInput) as exc:
            appointment_outcome_record(
                appointment, acting_user=users["coordinator"], outcome=outcome, expected_version=1
            )
        assert words in _fields(exc)["outcome"]
    appointment.refresh_from_db()
    assert appointment.outcome == "" and appointment.version == 1


def test_reschedule_links_the_new_appointment_and_repeats_safely(referral, users):
    coordinator = users["coordinator"]
    old = _book(coordinator, referral, starts_at=timezone.now() + timedelta(days=1), place="A")
    when = timezone.now() + timedelta(days=3)
    new = appointment_reschedule(
        old, acting_user=coordinator, starts_at=when, note="Asked to move it", expected_version=1
    )
    old.refresh_from_db()
    assert old.outcome == "rescheduled" and old.rescheduled_to == new and old.version == 2
    assert (new.starts_at, new.place, new.with_user, new.kind) == (when, "A", coordinator, old.kind)
    again = appointment_reschedule(old, acting_user=coordinator, starts_at=when, expected_version=1)
    assert again == new and Appointment.objects.count() == 2
    with pytest.raises(InvalidInput):
        appointment_reschedule(
            old, acting_user=coordinator, starts_at=when + timedelta(days=1), expected_version=2
        )
    # A refused reschedule writes nothing: the new time is before the referral.
    other = _book(coordinator, referral, starts_at=timezone.now() + timedelta(days=1))
    with pytest.raises(InvalidInput) as exc:
        appointment_reschedule(
            other,
            acting_user=coordinator,
            starts_at=timezone.make_aware(datetime(2001, 1, 1, 9)),
            expected_version=1,
        )
    assert "starts_at" in _fields(exc)
    other.refresh_from_db()
    assert other.outcome == "" and Appointment.objects.count() == 3


def test_attendance_read_records_the_read_and_shows_the_court_attendance(referral, users):
    appointment_outcome_record(
        _book(users["coordinator"], referral),
        acting_user=users["coordinator"],
        outcome="missed",
        expected_version=1,
    )
    judge = users["judge"]
    read = attendance_read(judge, referral.participant)
    assert read.readable and len(read.appointments) == 1
    # Attendance is not sensitive, but the read crosses from the programme team to the court,
    # so it is recorded as a disclosure to the judge.
    act = DisclosureAct.objects.filter(recipient_user=judge).latest("id")
    assert act.categories == ["attendance"] and act.purpose == "court_review"
    assert not attendance_read(users["safeguarding"], referral.participant).readable


def test_calendar_and_call_in_list_show_only_what_the_user_reaches(referral, users, outsider):
    coordinator, clinician = users["coordinator"], users["clinician"]
    today = timezone.localdate()
    at_nine = timezone.make_aware(datetime.combine(today, datetime.min.time())) + timedelta(hours=9)
    _book(coordinator, referral, starts_at=at_nine)
    _book(coordinator, referral, starts_at=at_nine, with_user=clinician)
    _book(
        coordinator,
        referral,
        starts_at=at_nine + timedelta(hours=1),
        kind="drug_test",
        with_user=None,
    )
    start, end = at_nine - timedelta(hours=9), at_nine + timedelta(days=7)
    mine = calendar_read(coordinator, start=start, end=end)
    assert [a.with_user for a in mine] == [coordinator]
    theirs = calendar_read(coordinator, start=start, end=end, worker=clinician)
    assert [a.with_user for a in theirs] == [clinician]
    called = call_in_read(clinician, today)
    assert [a.participant for a in called] == [referral.participant]
    assert call_in_read(outsider, today) == []
    assert call_in_read(clinician, today + timedelta(days=1)) == []


def _session(days_ago, outcome="attended", with_user_id=1, kind="treatment_session"):
    return SimpleNamespace(
        kind=kind,
        outcome=outcome,
        with_user_id=with_user_id,
        starts_at=date(2027, 3, 31) - timedelta(days=days_ago),
    )


def test_key_worker_consistency_counts_attended_sessions_of_the_last_90_days():
    today = date(2027, 3, 31)
    sessions = [
        _session(1),
        _session(10),
        _session(20, with_user_id=2),
        _session(30, outcome="missed"),
        _session(40, kind="drug_test"),
        _session(89, kind="supervision_meeting"),
        _session(90),
        _session(120),
        _session(-3),
    ]
    result = key_worker_consistency(sessions, 1, today=today)
    # Inside the window: days 1, 10, 20 (someone else) and 89; day 90 is the window's edge.
    assert (result.attended, result.with_key_worker) == (4, 3)
    assert result.share == 0.75 and result.percent == 75
    assert key_worker_consistency(sessions, None, today=today).with_key_worker == 0
    nothing = key_worker_consistency([], 1, today=today)
    assert nothing.share is None and nothing.percent is None
