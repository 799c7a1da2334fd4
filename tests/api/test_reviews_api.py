"""Dockets, review hearings and progress reports through the API (turnpoint/api/reviews.py,
docs/api.md)."""

from datetime import date, timedelta

import pytest
from supervision_helpers import on_episode

from turnpoint.journeys.models import Episode
from turnpoint.supervision.models import ReviewHearing

TODAY = date.today()


@pytest.fixture
def ghent(make_referral, coordinator):
    """Gert, on the Ghent court (reviews by rule, twice a month in phase 1), 20 days in."""
    referral = on_episode(make_referral(given_name="Gert", family_name="Claes"), coordinator)
    Episode.objects.filter(referral=referral).update(started_on=TODAY - timedelta(days=20))
    return referral


def _errors(response) -> dict:
    return {e["field"]: e["reason"] for e in response.json()["errors"]}


def test_schedule_a_docket_then_the_judge_records_the_hearing(api_as, ghent):
    coordinator, judge = api_as("coordinator"), api_as("judge")
    body = {"held_on": TODAY.isoformat(), "judge": "judge", "place": "Court of first instance"}
    done = coordinator.post("/api/dockets/schedule", body)
    assert done.status_code == 200, done.content
    assert [h["participant_id"] for h in done.json()["created"]] == [ghent.participant_id]
    again = coordinator.post("/api/dockets/schedule", body).json()
    assert again["created"] == [] and len(again["already"]) == 1
    hearing = done.json()["created"][0]
    assert hearing["how_scheduled"] == "rule" and hearing["status"] == "scheduled"

    docket = judge.get("/api/dockets", {"date": TODAY.isoformat()}).json()
    assert docket["count"] == 1 and docket["judge"] == "judge"
    assert docket["mean_minutes_per_participant"] is None

    url = f"/api/review-hearings/{hearing['id']}"
    record = {"status": "held", "minutes_with_judge": "4.5", "outcome": "incentive",
              "decision": "Praised for steady attendance."}  # fmt: skip
    assert judge.patch(url, record).status_code == 428
    held = judge.patch(url, {**record, "version": 1})
    assert held.status_code == 200, held.content
    assert held.json()["decided_by"] == "judge" and held.json()["version"] == 2
    stale = judge.patch(url, {**record, "outcome": "continue", "version": 1})
    assert stale.status_code == 412 and "version" in _errors(stale)
    bad = judge.patch(url, {"status": "held", "minutes_with_judge": "0", "version": 2})
    assert bad.status_code == 400
    assert _errors(bad) == {
        "minutes_with_judge": "must be more than 0 minutes",
        "outcome": "is required for a hearing held: the court's decision",
    }
    docket = coordinator.get("/api/dockets", {"date": TODAY.isoformat(), "judge": "judge"})
    assert docket.json()["mean_minutes_per_participant"] == "4.5"
    # A judge reads only their own docket; other roles none.
    assert api_as("clinician").get("/api/dockets").status_code == 403


def test_the_progress_report_shows_what_the_court_may_see(api_as, ghent):
    coordinator = api_as("coordinator")
    created = coordinator.post("/api/review-hearings", {
        "referral_id": ghent.pk, "held_on": TODAY.isoformat(), "judge": "judge",
        "place": "Court 2"})  # fmt: skip
    assert created.status_code == 201, created.content
    hearing_id = created.json()["id"]
    made = coordinator.post(f"/api/review-hearings/{hearing_id}/progress-reports", {})
    assert made.status_code == 201, made.content
    report = made.json()
    sections = {s["key"]: s for s in report["sections"]}
    assert sections["attendance"]["shared"]
    # The Ghent court receives no test results and no consent opens them here.
    assert not sections["drug_tests"]["shared"] and sections["drug_tests"]["lines"] == []
    assert report["categories"] == ["attendance"]
    got = api_as("judge").get(f"/api/progress-reports/{report['id']}")
    assert got.status_code == 200 and got.json() == report
    assert api_as("clinician").get(f"/api/progress-reports/{report['id']}").status_code == 404
    assert (
        api_as("judge").post(f"/api/review-hearings/{hearing_id}/progress-reports", {}).status_code
        == 403
    )


def test_refusals_name_the_field(api_as, ghent):
    body = {"referral_id": ghent.pk, "held_on": "1899-12-31", "judge": "clinician", "place": ""}
    response = api_as("coordinator").post("/api/review-hearings", body)
    assert response.status_code == 400
    assert _errors(response) == {"judge": "is not the username of a judge"}
    response = api_as("coordinator").post("/api/review-hearings", {**body, "judge": "judge"})
    errors = _errors(response)
    assert "1 January 1900" in errors["held_on"] and errors["place"].startswith("is required")
    assert ReviewHearing.objects.count() == 0
    listed = api_as("coordinator").get("/api/dockets", {"sort": "participant"})
    assert listed.status_code == 400 and "sort" in _errors(listed)
