"""The supervision pages: the participant's attendance section, booking and recording outcomes,
the calendar, recording a test with its results, the tests list with interpretation and
turnaround, the schedule and the call-in list (turnpoint/web/supervision_views.py)."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from supervision_helpers import on_episode

from turnpoint.journeys.models import Episode
from turnpoint.programmes.loader import LABELLING_WORDS
from turnpoint.supervision.models import Appointment, DrugTest
from turnpoint.supervision.services import (
    appointment_book,
    appointment_outcome_record,
    drug_test_interpret,
    drug_test_record,
    drug_test_schedule_draw,
)

LABELLING = re.compile(r"\b(" + "|".join(LABELLING_WORDS) + r")\b", re.IGNORECASE)


@pytest.fixture
def ghent(make_referral, coordinator):
    return on_episode(make_referral(), coordinator)


@pytest.fixture
def dtto(users, programmes, make_referral, coordinator):
    for user in users.values():
        user.programmes.add(programmes["scotland-dtto"])
    referral = make_referral(
        programme=programmes["scotland-dtto"],
        source="court",
        given_name="Dana",
        family_name="Moffat",
    )
    return on_episode(referral, coordinator)


def text(response) -> str:
    html = response.content.decode()
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _attended(referral, user, seen, days_ago):
    a = appointment_book(
        acting_user=user,
        referral=referral,
        kind="treatment_session",
        starts_at=timezone.now() - timedelta(days=days_ago),
        with_user=seen,
    )
    return appointment_outcome_record(a, acting_user=user, outcome="attended", expected_version=1)


def test_participant_page_shows_attendance_and_the_key_workers_share(page_as, ghent, users):
    coordinator, clinician = users["coordinator"], users["clinician"]
    Episode.objects.filter(pk=ghent.episode.pk).update(key_worker=clinician)
    _attended(ghent, coordinator, clinician, 3)
    _attended(ghent, coordinator, clinician, 10)
    _attended(ghent, coordinator, coordinator, 20)
    page = text(page_as("coordinator").get(f"/participants/{ghent.participant_id}/"))
    assert "1 of 3" not in page
    assert "2 of 3 sessions attended in the last 90 days were with the key worker" in page
    assert "(67%)" in page and "Book an appointment" in page
    # The judge reads attendance but keeps none, and on Ghent reads no test results.
    judge = text(page_as("judge").get(f"/participants/{ghent.participant_id}/"))
    assert "2 of 3 sessions" in judge
    assert "Book an appointment" not in judge and "Drug and alcohol tests" not in judge


def test_book_an_appointment_and_record_its_outcome(page_as, ghent, users):
    client = page_as("probation")
    url = f"/participants/{ghent.participant_id}/appointments/new/"
    day = timezone.localdate() - timedelta(days=1)
    form = {
        "referral": str(ghent.pk),
        "kind": "supervision_meeting",
        "on-day": day.day,
        "on-month": day.month,
        "on-year": day.year,
        "at_time": "14:30",
        "place": "Probation office",
        "with_user": str(users["probation"].pk),
    }
    refused = client.post(url, {**form, "at_time": "25:99"})
    assert refused.status_code == 400 and "Time must be a time of day" in text(refused)
    assert not Appointment.objects.exists()
    assert client.post(url, form).status_code == 302
    appointment = Appointment.objects.get()
    assert timezone.localtime(appointment.starts_at).strftime("%H:%M") == "14:30"
    assert appointment.with_user == users["probation"]

    outcome = f"/participants/{ghent.participant_id}/appointments/{appointment.pk}/outcome/"
    assert client.post(outcome, {"outcome": "missed", "version": "1"}).status_code == 302
    appointment.refresh_from_db()
    assert appointment.outcome == "missed"
    stale = client.post(outcome, {"outcome": "excused", "version": "1"})
    assert stale.status_code == 400 and "Someone else changed this appointment" in text(stale)


def test_calendar_groups_a_week_by_day_and_coordinators_see_a_team_members(page_as, ghent, users):
    coordinator, clinician = users["coordinator"], users["clinician"]
    now = timezone.now()
    appointment_book(
        acting_user=coordinator,
        referral=ghent,
        kind="supervision_meeting",
        starts_at=now,
        with_user=coordinator,
        place="Room 4",
    )
    appointment_book(
        acting_user=coordinator,
        referral=ghent,
        kind="treatment_session",
        starts_at=now,
        with_user=clinician,
        place="Clinic",
    )
    page = text(page_as("coordinator").get("/calendar/"))
    assert "Room 4" in page and "Clinic" not in page and "Today" in page
    assert "Previous week" in page and "Next week" in page
    theirs = text(page_as("coordinator").get(f"/calendar/?worker={clinician.pk}"))
    assert "Clinic" in theirs and "Room 4" not in theirs
    assert page_as("probation").get(f"/calendar/?worker={clinician.pk}").status_code == 403
    assert "Clinic" in text(page_as("clinician").get("/calendar/"))
    later = (timezone.localdate() + timedelta(days=14)).isoformat()
    assert "0 appointments" in text(page_as("coordinator").get(f"/calendar/?week={later}"))


def test_record_a_test_with_a_row_per_substance_and_see_it_with_its_turnaround(
    page_as, dtto, users
):
    client = page_as("probation")
    url = f"/participants/{dtto.participant_id}/drug-tests/new/"
    form = client.get(url)
    assert "Opiates (morphine, heroin metabolite)" in text(form) and "Fentanyl" in text(form)
    collected = timezone.localtime() - timedelta(hours=60)
    received = timezone.localdate()
    body = {
        "referral": str(dtto.pk),
        "collected_on-day": collected.day,
        "collected_on-month": collected.month,
        "collected_on-year": collected.year,
        "collected_time": collected.strftime("%H:%M"),
        "specimen": "urine",
        "purpose": "forensic",
        "witnessed": "on",
        "received_on-day": received.day,
        "received_on-month": received.month,
        "received_on-year": received.year,
        "received_time": "00:00",
        "opiates_result": "positive",
        "opiates_confirmed": "on",
        "opiates_method": "LC/MS",
        "cocaine_result": "negative",
    }
    refused = client.post(url, {**body, "cocaine_method": "GC/MS"})
    assert refused.status_code == 400
    assert "a confirmation method is given for a result not confirmed" in text(refused)
    assert not DrugTest.objects.exists()
    assert client.post(url, body).status_code == 302
    test = DrugTest.objects.get()
    assert sorted(r.substance for r in test.results.all()) == ["cocaine", "opiates"]
    note = "A lapse after a bereavement; attending every session."
    drug_test_interpret(test, acting_user=users["probation"], note=note, expected_version=1)
    for reader in ("probation", "judge"):  # the DTTO's court receives test results
        page = text(page_as(reader).get(f"/participants/{dtto.participant_id}/drug-tests/"))
        assert "Opiates (morphine, heroin metabolite): positive , confirmed by LC/MS" in page
        assert note in page and "hours" in page
    assert not LABELLING.search(page)


def test_supervision_words_are_person_first():
    """No word that labels a person by a test result or by drug use, in the supervision pages,
    code or documents."""
    root = Path(settings.BASE_DIR)
    files = [
        *sorted((root / "turnpoint" / "web" / "templates" / "web" / "supervision").glob("*")),
        *sorted((root / "turnpoint" / "supervision").glob("*.py")),
        root / "turnpoint" / "web" / "supervision_views.py",
        root / "turnpoint" / "api" / "supervision.py",
        root / "docs" / "supervision.md",
    ]
    found = [(f.name, m.group(0)) for f in files for m in LABELLING.finditer(f.read_text())]
    assert len(files) > 10 and found == []


def test_late_results_are_flagged_and_the_ghent_court_sees_no_tests(page_as, ghent, users):
    drug_test_record(
        acting_user=users["coordinator"],
        referral=ghent,
        specimen="urine",
        purpose="forensic",
        collected_at=timezone.now() - timedelta(hours=80),
        results_received_at=timezone.now() - timedelta(hours=2),
        results=[{"substance": "cannabis", "result": "negative"}],
    )
    url = f"/participants/{ghent.participant_id}/drug-tests/"
    page = text(page_as("clinician").get(url))
    assert "78.0 hours" in page and "Over 48 hours" in page
    assert page_as("judge").get(url).status_code == 403


def test_schedule_page_says_when_nothing_is_drawn_and_call_in_lists_who_tests(
    page_as, ghent, dtto, users
):
    client = page_as("coordinator")
    response = client.post(
        f"/participants/{ghent.participant_id}/drug-tests/schedule/", follow=True
    )
    assert "has no testing, so no test days were drawn" in text(response)
    plan = drug_test_schedule_draw(acting_user=users["coordinator"], referral=dtto, seed=3)
    first = min(timezone.localdate(a.starts_at) for a in plan.appointments)
    called = text(client.get(f"/call-in/?day={first.isoformat()}"))
    assert "Dana Moffat" in called and "Random schedule" in called
    nobody = (first - timedelta(days=1)).isoformat()
    if not any(
        timezone.localdate(a.starts_at) == first - timedelta(days=1) for a in plan.appointments
    ):
        assert "Nobody is called in" in text(client.get(f"/call-in/?day={nobody}"))
    page = text(client.get(f"/participants/{dtto.participant_id}/drug-tests/schedule/"))
    assert first.strftime("%B") in page
