"""Responses and phase proposals through the API (turnpoint/api/responses.py, docs/api.md)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from supervision_helpers import on_episode

from turnpoint.journeys.models import Episode, Transition
from turnpoint.supervision.models import PhaseProposal, Response
from turnpoint.supervision.response_services import response_options


@pytest.fixture
def dtto(users, programmes, make_referral, coordinator):
    for user in users.values():
        user.programmes.add(programmes["scotland-dtto"])
    referral = on_episode(
        make_referral(programme=programmes["scotland-dtto"], source="court"), coordinator
    )
    began = timezone.localdate() - timedelta(days=20)
    Episode.objects.filter(referral=referral).update(started_on=began)
    Transition.objects.filter(referral=referral).update(occurred_on=began)
    return referral


def _errors(response) -> dict:
    return {e["field"]: e["reason"] for e in response.json()["errors"]}


def test_record_and_list_responses_with_the_ratio(api_as, dtto):
    client = api_as("probation")
    base = f"/api/participants/{dtto.participant_id}/responses"
    day = timezone.localdate() - timedelta(days=2)
    first = response_options(dtto, "positive_test", day).options[0]
    body = {
        "referral_id": dtto.pk,
        "behaviour": "positive_test",
        "behaviour_on": day.isoformat(),
        "option": first.text,
    }
    refused = client.post(base, {**body, "option": "A holiday"})
    assert refused.status_code == 400 and "not offered by the guide" in _errors(refused)["option"]
    created = client.post(base, body, **{"Idempotency-Key": "resp-1"})
    assert created.status_code == 201, created.content
    made = created.json()
    assert made["kind"] == "service_adjustment" and made["early_substance_use"] is True
    assert made["option_position"] == 0 and made["days_between"] == 2
    assert client.post(base, body).json()["id"] == made["id"]  # the same response again
    assert Response.objects.count() == 1
    incentive = response_options(dtto, "attended_all_sessions", timezone.localdate()).options[0]
    client.post(
        base,
        {
            "referral_id": dtto.pk,
            "behaviour": "attended_all_sessions",
            "behaviour_on": timezone.localdate().isoformat(),
            "option": incentive.text,
        },
    )
    listed = client.get(base).json()
    assert listed["count"] == 2
    assert listed["ratio"]["incentives"] == 1 and listed["ratio"]["service_adjustments"] == 1
    assert listed["ratio"]["meets_target"] is True and listed["ratio"]["ratio"] is None
    assert client.get(f"{base}?sort=kind").status_code == 400


def test_list_and_decide_a_phase_proposal(api_as, dtto):
    proposal = PhaseProposal.objects.create(
        episode=dtto.episode,
        referral=dtto,
        participant=dtto.participant,
        phase_number=1,
        to_phase_number=2,
        proposed_on=timezone.localdate(),
        criteria=[
            {
                "criterion": "negative_tests",
                "met": True,
                "category": "drug_tests",
                "text": "negative results in 4 of the last 4 weeks",
            }
        ],
    )
    listed = api_as("coordinator").get("/api/phase-proposals").json()
    assert [p["id"] for p in listed["items"]] == [proposal.pk]
    assert listed["items"][0]["criteria"][0]["criterion"] == "negative_tests"
    url = f"/api/phase-proposals/{proposal.pk}/decision"
    refused = api_as("coordinator").post(url, {"decision": "decline", "version": 1})
    assert refused.status_code == 400 and "is required" in _errors(refused)["reason"]
    stale = api_as("coordinator").post(url, {"decision": "decline", "reason": "Wait", "version": 9})
    assert stale.status_code == 412
    done = api_as("coordinator").post(
        url, {"decision": "decline", "version": 1, "reason": "Agreed to wait for the review"}
    )
    assert done.status_code == 200 and done.json()["status"] == "declined"
    assert Episode.objects.get(pk=dtto.episode.pk).phase_number == 1
    assert api_as("coordinator").get("/api/phase-proposals").json()["count"] == 0
