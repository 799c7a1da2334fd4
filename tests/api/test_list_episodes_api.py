"""Listing and reading episodes through the API."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from participation_helpers import consent_to_take_part

from turnpoint.journeys.services import referral_transition

from .helpers import REACHING, ROLES, TO_EPISODE


@pytest.fixture
def start_episode(make_referral, coordinator):
    def start(**kwargs):
        referral = make_referral(**kwargs)
        for step in TO_EPISODE:
            if step["to_state"] == "episode":
                consent_to_take_part(referral, coordinator)
            referral_transition(referral, acting_user=coordinator, **step)
        return referral.episode

    return start


@pytest.mark.parametrize("role", ROLES)
def test_each_role_lists_only_episodes_it_may_reach(api_as, start_episode, role):
    episode = start_episode()
    body = api_as(role).get("/api/episodes").json()
    assert [e["id"] for e in body["items"]] == ([episode.pk] if role in REACHING else [])
    response = api_as(role).get(f"/api/episodes/{episode.pk}")
    assert response.status_code == (200 if role in REACHING else 404)


def test_an_episode_reads_with_its_phase_and_programme(api_as, start_episode):
    episode = start_episode()
    body = api_as("judge").get(f"/api/episodes/{episode.pk}").json()
    assert body == {
        "id": episode.pk, "version": 1, "participant_id": episode.participant_id,
        "referral_id": episode.referral_id, "programme": "ghent-dtc",
        "started_on": episode.started_on.isoformat(), "phase_number": 1, "key_worker": None,
        "key_worker_name": None, "case_manager": None, "case_manager_name": None,
        "ended_on": None, "exit_type": "", "is_active": True,
    }  # fmt: skip


def test_the_active_filter_separates_running_and_ended_episodes(api_as, start_episode):
    running = start_episode(given_name="Running")
    ended = start_episode(given_name="Ended")
    client = api_as("coordinator")
    exit_response = client.post(
        f"/api/referrals/{ended.referral_id}/transitions",
        {
            "to_state": "exit",
            "exit_type": "completed",
            "reason": "Completed all phases",
            "override_reason": "Completed early with the court's agreement",
        },
    )
    assert exit_response.status_code == 201
    active = client.get("/api/episodes", {"active": "true"}).json()["items"]
    done = client.get("/api/episodes", {"active": "false"}).json()["items"]
    assert [e["id"] for e in active] == [running.pk]
    assert [(e["id"], e["exit_type"], e["is_active"]) for e in done] == [
        (ended.pk, "completed", False)
    ]


def test_list_query_count_does_not_grow_with_episodes(
    api_as, start_episode, django_assert_num_queries
):
    client = api_as("coordinator")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            items = client.get("/api/episodes", {"limit": 1000}).json()["items"]
        return len(captured), len(items)

    for i in range(5):
        start_episode(given_name=f"P{i}")
    few = queries()
    for i in range(45):
        start_episode(given_name=f"Q{i}")
    many = queries()
    assert (few[1], many[1]) == (5, 50)
    assert few[0] == many[0]
