"""PUT /api/episodes/{id}/assignment: a coordinator of the programme's team assigns the key
worker and case manager; the episode's output names them."""

import json

import pytest
from participation_helpers import consent_to_take_part

from turnpoint.journeys.models import Episode
from turnpoint.journeys.services import referral_transition
from turnpoint.sharing.models import AuditEntry

from .helpers import TO_EPISODE


@pytest.fixture
def episode(make_referral, coordinator):
    referral = make_referral()
    for step in TO_EPISODE:
        if step["to_state"] == "episode":
            consent_to_take_part(referral, coordinator)
        referral_transition(referral, acting_user=coordinator, **step)
    return Episode.objects.get(referral=referral)


def put(client, episode, body, **headers):
    return client.client.put(f"/api/episodes/{episode.pk}/assignment", json.dumps(body),
                             content_type="application/json", headers=headers)  # fmt: skip


def errors(response) -> dict:
    return {e["field"]: e["reason"] for e in response.json()["errors"]}


def test_a_coordinator_assigns_and_the_episode_names_them(api_as, episode):
    client = api_as("coordinator")
    body = {"key_worker": "clinician", "case_manager": "casemanager", "expected_version": 1}
    response = put(client, episode, body)
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"2"'
    out = response.json()
    assert (out["key_worker"], out["key_worker_name"]) == ("clinician", "Lena Peeters")
    assert (out["case_manager"], out["case_manager_name"]) == ("casemanager", "Sam Reid")
    assert out["version"] == 2
    listed = client.get("/api/episodes").json()["items"][0]
    assert (listed["key_worker"], listed["case_manager"]) == ("clinician", "casemanager")


def test_null_assigns_nobody(api_as, episode):
    client = api_as("coordinator")
    put(client, episode, {"key_worker": "clinician", "case_manager": None})
    response = put(client, episode, {"key_worker": None, "case_manager": None})
    assert response.status_code == 200
    assert Episode.objects.get(pk=episode.pk).key_worker is None


@pytest.mark.parametrize("role", ["casemanager", "probation", "clinician", "judge"])
def test_anyone_but_a_coordinator_is_refused_and_audited(api_as, episode, role):
    response = put(api_as(role), episode, {"key_worker": "clinician", "case_manager": None})
    assert response.status_code == 403
    assert AuditEntry.objects.filter(action="denied", username=role).exists()
    assert Episode.objects.get(pk=episode.pk).version == 1


def test_another_teams_coordinator_finds_no_such_episode(api_as, episode):
    response = put(api_as("outsider"), episode, {"key_worker": "clinician", "case_manager": None})
    assert response.status_code == 404


def test_people_outside_the_team_or_in_the_wrong_role_are_refused_by_field(api_as, episode):
    response = put(api_as("coordinator"), episode,
                   {"key_worker": "outsider", "case_manager": "judge"})  # fmt: skip
    assert response.status_code == 400
    name = episode.programme.name
    assert errors(response) == {
        "key_worker": f"'outsider' is not an active member of the {name} team",
        "case_manager": "Ruth Adeyemi's role (judge) is not one for a case manager: choose a "
        "case manager, probation officer / justice social worker or programme coordinator",
    }
    assert Episode.objects.get(pk=episode.pk).version == 1


def test_a_stale_version_is_a_conflict(api_as, episode):
    client = api_as("coordinator")
    assert (
        put(client, episode, {"key_worker": "clinician", "case_manager": None}).status_code == 200
    )
    stale = put(client, episode, {"key_worker": "probation", "case_manager": None,
                                  "expected_version": 1})  # fmt: skip
    assert stale.status_code == 409
    assert "changed since you opened it" in errors(stale)["expected_version"]
    by_header = put(client, episode, {"key_worker": "probation", "case_manager": None},
                    **{"If-Match": '"1"'})  # fmt: skip
    assert by_header.status_code == 412
    assert Episode.objects.get(pk=episode.pk).key_worker.username == "clinician"


def test_a_repeat_with_the_same_idempotency_key_is_answered_once(api_as, episode):
    client = api_as("coordinator")
    key = {"Idempotency-Key": "assign-1"}
    body = {"key_worker": "clinician", "case_manager": None, "expected_version": 1}
    first = put(client, episode, body, **key)
    again = put(client, episode, body, **key)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Episode.objects.get(pk=episode.pk).version == 2


def test_unknown_fields_are_refused(api_as, episode):
    response = put(api_as("coordinator"), episode,
                   {"key_worker": None, "case_manager": None, "version": 9})  # fmt: skip
    assert response.status_code == 400


def test_the_openapi_document_describes_the_assignment(api_as):
    document = api_as("coordinator").get("/api/openapi.json").json()
    operation = document["paths"]["/api/episodes/{episode_id}/assignment"]["put"]
    assert {p["name"] for p in operation["parameters"]} >= {"Idempotency-Key", "If-Match"}
    assert {"200", "403", "409", "412"} <= set(operation["responses"])
