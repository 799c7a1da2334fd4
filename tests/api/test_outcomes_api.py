"""Outcome events and follow-ups through the API (docs/outcomes.md): the pages' services and
selectors, each event in its own category."""

from datetime import date, timedelta

import pytest
from outcome_helpers import left_programme

from turnpoint.outcomes.models import FollowUp, OutcomeEvent

from .helpers import errors_by_field

TODAY = date.today()


def events_url(participant_id) -> str:
    return f"/api/participants/{participant_id}/outcome-events"


@pytest.fixture
def left(make_referral, coordinator):
    """A referral whose episode ended 100 days ago, with its three follow-ups."""
    referral = make_referral(offence_date=TODAY - timedelta(days=160),
                             referral_date=TODAY - timedelta(days=150))  # fmt: skip
    left_programme(referral, coordinator)
    return referral


def conviction(**overrides) -> dict:
    body = {"kind": "conviction", "offence_date": (TODAY - timedelta(days=40)).isoformat(),
            "outcome_date": (TODAY - timedelta(days=5)).isoformat(),
            "offence_category": "acquisitive", "outcome": "convicted",
            "source_reference": "HMCTS-1"}  # fmt: skip
    return body | overrides


def test_events_are_recorded_and_each_role_lists_its_own_categories(api_as, left):
    pid = left.participant_id
    coordinator = api_as("coordinator")
    created = coordinator.post(events_url(pid), conviction(referral_id=left.pk))
    assert created.status_code == 201, created.content
    assert created.json()["category"] == "legal" and created.json()["referral_id"] == left.pk
    housing = coordinator.post(events_url(pid), {"kind": "housing", "status": "settled",
                                                 "effective_on": TODAY.isoformat()})  # fmt: skip
    assert housing.status_code == 201, housing.content
    assert {e["kind"] for e in coordinator.get(events_url(pid)).json()["items"]} == {
        "conviction",
        "housing",
    }
    assert [e["kind"] for e in api_as("judge").get(events_url(pid)).json()["items"]] == [
        "conviction"
    ]
    assert [e["kind"] for e in api_as("clinician").get(events_url(pid)).json()["items"]] == [
        "housing"
    ]


def test_a_bad_event_is_refused_naming_every_field_and_nothing_is_stored(api_as, left):
    response = api_as("coordinator").post(
        events_url(left.participant_id),
        conviction(outcome_date=(TODAY + timedelta(days=1)).isoformat(), offence_category="",
                   outcome="acquitted"),
    )  # fmt: skip
    assert response.status_code == 400
    assert set(errors_by_field(response)) == {"outcome_date", "offence_category", "outcome"}
    assert not OutcomeEvent.objects.exists()


def test_a_clinician_may_not_record_a_conviction(api_as, left):
    response = api_as("clinician").post(events_url(left.participant_id), conviction())
    assert response.status_code == 403
    assert not OutcomeEvent.objects.exists()


def test_a_referral_out_of_reach_is_refused(api_as, left, make_referral):
    other = make_referral(given_name="Sam")
    response = api_as("coordinator").post(events_url(left.participant_id),
                                          conviction(referral_id=other.pk))  # fmt: skip
    assert errors_by_field(response) == {
        "referral_id": "is not a referral of this participant that you reach"
    }


def test_follow_ups_are_listed_and_marked_once(api_as, left):
    pid = left.participant_id
    client = api_as("casemanager")
    listed = client.get(f"/api/participants/{pid}/follow-ups").json()
    assert [(f["months"], f["status"]) for f in listed["items"]] == [
        (3, "due"), (6, "due"), (12, "due")
    ]  # fmt: skip
    three = listed["items"][0]
    mark = f"/api/participants/{pid}/follow-ups/{three['id']}/mark"
    stale = client.post(mark, {"status": "done", "done_on": TODAY.isoformat(), "version": 9})
    assert stale.status_code == 409
    done = client.post(mark, {"status": "done", "done_on": TODAY.isoformat(), "version": 1})
    assert done.status_code == 200, done.content
    assert (done.json()["status"], done.json()["version"]) == ("done", 2)
    again = client.post(mark, {"status": "missed", "reason": "No answer"})
    assert again.status_code == 400 and set(errors_by_field(again)) == {"status"}
    assert FollowUp.objects.get(pk=three["id"]).status == "done"


def test_a_follow_up_of_another_participant_is_not_found(api_as, left, make_referral):
    other = make_referral(given_name="Sam")
    three = FollowUp.objects.get(referral=left, months=3)
    response = api_as("coordinator").post(
        f"/api/participants/{other.participant_id}/follow-ups/{three.pk}/mark",
        {"status": "missed", "reason": "No answer"},
    )
    assert response.status_code == 404
    assert FollowUp.objects.get(pk=three.pk).status == "due"
