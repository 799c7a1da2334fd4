"""Custody and release pages (docs/supervision.md, "Custody and release"): record custody and
release, work the release plan's checklist, the banner of the 14 days after release on the
participant page, and the list of releases."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from turnpoint.supervision.custody import (
    custody_record,
    release_plan_start,
    release_record,
    release_task_set,
)
from turnpoint.supervision.models import CustodyEpisode

from .helpers import date_fields, text

TODAY = date.today()


@pytest.fixture
def referral(make_referral):
    return make_referral(given_name="Robin", family_name="Example")


@pytest.fixture
def custody(referral, coordinator):
    return custody_record(
        acting_user=coordinator, participant=referral.participant, referral=referral,
        kind="sanction", establishment="HMP Leeds", started_on=TODAY - timedelta(days=20),
        expected_release_on=TODAY - timedelta(days=3),
    )  # fmt: skip


def test_coordinator_records_custody_from_the_page(page_as, referral):
    url = reverse("web:custody_new", args=[referral.participant_id])
    response = page_as("coordinator").post(url, {
        "kind": "remand", "establishment": "HMP Manchester", "referral": str(referral.pk),
        **date_fields("started_on", TODAY - timedelta(days=2)),
        **date_fields("expected_release_on", TODAY + timedelta(days=30)),
    })  # fmt: skip
    assert response.status_code == 302
    episode = CustodyEpisode.objects.get()
    assert (episode.kind, episode.establishment, episode.referral) == (
        "remand", "HMP Manchester", referral
    )  # fmt: skip
    listing = text(page_as("coordinator").get(response.headers["Location"]))
    assert "Remand at HMP Manchester" in listing and "Record release" in listing


def test_the_custody_form_names_each_problem_and_saves_nothing(page_as, referral):
    url = reverse("web:custody_new", args=[referral.participant_id])
    response = page_as("coordinator").post(url, {
        "kind": "remand", **date_fields("started_on", TODAY),
        **date_fields("expected_release_on", TODAY - timedelta(days=1)),
    })  # fmt: skip
    assert response.status_code == 400
    body = text(response)
    assert "Establishment is required" in body
    assert "Expected release date must be after the start of custody" in body
    assert not CustodyEpisode.objects.exists()


def test_release_recorded_then_the_plan_worked_then_the_banner(page_as, custody, users):
    participant = custody.participant_id
    release_plan_start(custody, acting_user=users["coordinator"])
    client = page_as("coordinator")
    release_url = reverse("web:custody_release", args=[participant, custody.pk])
    response = client.post(
        release_url,
        {"expected_version": "1", **date_fields("released_on", TODAY - timedelta(days=3))},
    )
    assert response.status_code == 302
    custody.refresh_from_db()
    assert custody.released_on == TODAY - timedelta(days=3)
    # Twice is refused.
    again = client.post(release_url, {"expected_version": "2", **date_fields("released_on", TODAY)})
    assert again.status_code == 400 and "already recorded" in text(again)
    # Opening the page again says so too, with no form to fill in first.
    opened = client.get(release_url)
    assert opened.status_code == 400 and "already recorded" in text(opened)
    task_url = reverse("web:release_task", args=[participant, custody.pk, "first_appointment"])
    response = client.post(task_url, {"expected_version": "1", "status": "done",
                                      **date_fields("appointment_on", TODAY - timedelta(days=2)),
                                      "note": "Key worker at the hub."})  # fmt: skip
    assert response.status_code == 302
    plan_page = text(client.get(reverse("web:release_plan", args=[participant, custody.pk])))
    assert "Key worker at the hub." in plan_page and "Kept by the treatment provider" in plan_page
    page = text(client.get(reverse("web:participant", args=[participant])))
    assert "High overdose risk" in page and "day 3 of 14" in page
    assert "3 tasks of the release plan still open" in page
    # The treatment provider sees its own tasks open too.
    clinician_page = text(page_as("clinician").get(reverse("web:participant", args=[participant])))
    assert "5 tasks of the release plan still open" in clinician_page
    assert "Opioid substitution treatment continued" in clinician_page
    assert "HMP Leeds" not in clinician_page  # the episode's own facts are legal


def test_a_stale_task_form_is_refused_with_409(page_as, custody, users):
    plan = release_plan_start(custody, acting_user=users["coordinator"])
    release_task_set(plan, "housing", acting_user=users["coordinator"], status="done")
    url = reverse("web:release_task", args=[custody.participant_id, custody.pk, "benefits_id"])
    response = page_as("coordinator").post(url, {"expected_version": "1", "status": "done"})
    assert response.status_code == 409
    assert plan.items.get(item="benefits_id").status == "open"


def test_the_treatment_tasks_page_is_the_treatment_providers(page_as, custody, users):
    release_plan_start(custody, acting_user=users["coordinator"])
    args = [custody.participant_id, custody.pk]
    ost = reverse("web:release_task", args=[*args, "ost_continued"])
    assert page_as("coordinator").get(ost).status_code == 403
    assert page_as("clinician").get(ost).status_code == 200
    housing = reverse("web:release_task", args=[*args, "housing"])
    assert page_as("clinician").get(housing).status_code == 403


def test_the_release_list_shows_the_window_and_the_open_tasks(page_as, custody, users):
    release_plan_start(custody, acting_user=users["coordinator"])
    release_record(custody, acting_user=users["coordinator"], released_on=TODAY - timedelta(days=3))
    body = text(page_as("coordinator").get(reverse("web:releases")))
    assert "Robin Example" in body and "day 3 of 14" in body
    assert (
        "First community appointment booked" in body
        and "Treatment tasks are kept by the treatment provider" in body
    )
    assert page_as("judge").get(reverse("web:releases")).status_code == 403


def test_the_caseload_lists_the_14_days_after_release_first_with_the_tasks_open(
    page_as, custody, users, make_referral
):
    make_referral(given_name="Aaron", family_name="Abbott")  # first by name otherwise
    plan = release_plan_start(custody, acting_user=users["coordinator"])
    release_task_set(plan, "housing", acting_user=users["coordinator"], status="done")
    release_record(
        custody, acting_user=users["coordinator"], released_on=TODAY - timedelta(days=14)
    )
    body = text(page_as("coordinator").get(reverse("web:caseload") + "?view=team"))
    assert body.index("Robin Example") < body.index("Aaron Abbott")
    assert "In the 14 days after release with 3 tasks open" in body
    # The treatment provider counts its own tasks as well.
    clinician = text(page_as("clinician").get(reverse("web:caseload") + "?view=team"))
    assert "In the 14 days after release with 5 tasks open" in clinician
    # From day 15 the row is ordered by name again.
    custody.released_on = TODAY - timedelta(days=15)
    custody.save(update_fields=["released_on"])
    body = text(page_as("coordinator").get(reverse("web:caseload") + "?view=team"))
    assert "after release" not in body
    assert body.index("Aaron Abbott") < body.index("Robin Example")
