"""Custody and release through the API (docs/api.md): the pages' services and rules."""

from datetime import date, timedelta

import pytest

from turnpoint.supervision.models import CustodyEpisode, ReleasePlan

from .helpers import errors_by_field

TODAY = date.today()


@pytest.fixture
def referral(make_referral):
    return make_referral()


def url(participant_id, *rest) -> str:
    return "/".join([f"/api/participants/{participant_id}/custody-episodes", *map(str, rest)])


def body(**overrides) -> dict:
    values = {"kind": "sentence", "establishment": "HMP Leeds",
              "started_on": (TODAY - timedelta(days=30)).isoformat(),
              "expected_release_on": (TODAY + timedelta(days=10)).isoformat()}  # fmt: skip
    values.update(overrides)
    return values


def test_custody_is_recorded_listed_released_once_and_a_stale_version_is_409(api_as, referral):
    client = api_as("coordinator")
    pid = referral.participant_id
    created = client.post(url(pid), body(referral_id=referral.pk))
    assert created.status_code == 201, created.content
    episode = CustodyEpisode.objects.get()
    assert created.json()["id"] == episode.pk and created.json()["referral_id"] == referral.pk
    assert [e["id"] for e in client.get(url(pid)).json()["items"]] == [episode.pk]
    stale = client.post(
        url(pid, episode.pk, "release"), {"released_on": TODAY.isoformat(), "expected_version": 5}
    )
    assert stale.status_code == 409
    done = client.post(
        url(pid, episode.pk, "release"), {"released_on": TODAY.isoformat(), "expected_version": 1}
    )
    assert done.status_code == 200 and done.json()["release_window"]["day"] == 0
    twice = client.post(
        url(pid, episode.pk, "release"), {"released_on": TODAY.isoformat(), "expected_version": 2}
    )
    assert twice.status_code == 409 and "already recorded" in errors_by_field(twice)["released_on"]


def test_bad_custody_is_refused_naming_each_field(api_as, referral):
    response = api_as("coordinator").post(
        url(referral.participant_id),
        body(establishment="", expected_release_on=(TODAY - timedelta(days=40)).isoformat()),
    )
    assert response.status_code == 400
    assert set(errors_by_field(response)) == {"establishment", "expected_release_on"}
    assert not CustodyEpisode.objects.exists()


def test_the_clinician_reads_the_plan_without_the_episodes_facts_and_sets_treatment_tasks(
    api_as, referral
):
    pid = referral.participant_id
    coordinator = api_as("coordinator")
    episode_id = coordinator.post(url(pid), body()).json()["id"]
    started = coordinator.post(url(pid, episode_id, "release-plan"), {})
    assert started.status_code == 201
    assert {i["category"] for i in started.json()["items"]} == {"pathway"}
    clinician = api_as("clinician")
    listed = clinician.get(url(pid)).json()["items"][0]
    assert "establishment" not in listed and listed["expected_release_on"]
    plan = clinician.get(url(pid, episode_id, "release-plan")).json()
    assert {i["item"] for i in plan["items"] if i["category"] == "clinical"} == {
        "ost_continued", "naloxone_supplied"
    }  # fmt: skip
    task = {"status": "done", "expected_version": 1, "note": "Nasal kit."}
    first = clinician.put(url(pid, episode_id, "release-plan/items/naloxone_supplied"), task)
    assert first.status_code == 200 and first.json()["version"] == 2
    # The same again changes nothing: no new version.
    again = clinician.put(url(pid, episode_id, "release-plan/items/naloxone_supplied"), task)
    assert again.status_code == 200 and again.json()["version"] == 2
    refused = coordinator.put(
        url(pid, episode_id, "release-plan/items/ost_continued"),
        {"status": "done", "expected_version": 2},
    )
    assert refused.status_code == 403
    assert ReleasePlan.objects.get().version == 2
