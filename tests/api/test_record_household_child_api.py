"""Recording a child in a participant's household through the API (R19): the household page's
service and rules; reading the household is recorded."""

from datetime import date

import pytest

from turnpoint.people.models import HouseholdChild
from turnpoint.sharing.models import AuditEntry

from .helpers import errors_by_field


def url(participant_id) -> str:
    return f"/api/participants/{participant_id}/household"


def child(**overrides) -> dict:
    body = {"first_name": "Mia", "year_of_birth": date.today().year - 6,
            "relationship": "daughter"}  # fmt: skip
    body.update(overrides)
    return body


@pytest.fixture
def participant(make_referral):
    return make_referral().participant


def test_a_case_manager_adds_a_child_and_reads_the_household(api_as, participant):
    client = api_as("casemanager")
    response = client.post(url(participant.pk), child())
    assert response.status_code == 201, response.content
    stored = HouseholdChild.objects.get(participant=participant)
    assert response.json()["id"] == stored.pk
    assert (stored.first_name, stored.relationship, stored.lives_with_participant) == (
        "Mia", "daughter", True
    )  # fmt: skip
    listed = client.get(url(participant.pk))
    assert listed.status_code == 200
    assert [c["first_name"] for c in listed.json()["items"]] == ["Mia"]
    read = AuditEntry.objects.filter(action="read").latest("id")
    assert "household" in read.categories and read.participant_ids == [participant.pk]


@pytest.mark.parametrize("role", ["judge", "clinician", "probation"])
def test_a_role_that_does_not_write_the_household_is_refused(api_as, participant, role):
    response = api_as(role).post(url(participant.pk), child())
    assert response.status_code == 403
    assert not HouseholdChild.objects.exists()
    assert AuditEntry.objects.filter(action="denied").latest("id").detail["route"] == (
        f"POST {url(participant.pk)}"
    )


def test_a_judge_may_not_read_the_household(api_as, participant):
    api_as("coordinator").post(url(participant.pk), child())
    response = api_as("judge").get(url(participant.pk))
    assert response.status_code == 403
    assert "Mia" not in response.content.decode()


def test_the_services_rules_name_the_field(api_as, participant):
    response = api_as("coordinator").post(
        url(participant.pk), child(first_name=" ", year_of_birth=date.today().year + 1)
    )
    assert response.status_code == 400
    assert errors_by_field(response) == {"first_name": "is required",
                                         "year_of_birth": "is in the future"}  # fmt: skip
    response = api_as("coordinator").post(url(participant.pk), child(year_of_birth="soon"))
    assert errors_by_field(response) == {"year_of_birth": "is not a whole number"}
    assert not HouseholdChild.objects.exists()


def test_out_of_reach_is_not_found(api_as, participant):
    assert api_as("outsider").post(url(participant.pk), child()).status_code == 404
    assert api_as("outsider").get(url(participant.pk)).status_code == 404
    assert api_as("coordinator").post(url(999999), child()).status_code == 404
    assert not HouseholdChild.objects.exists()


def test_a_repeat_with_the_same_key_adds_one_child(api_as, participant):
    client = api_as("coordinator")
    first = client.post(url(participant.pk), child(), **{"Idempotency-Key": "child-1"})
    second = client.post(url(participant.pk), child(), **{"Idempotency-Key": "child-1"})
    assert (first.status_code, second.status_code) == (201, 201)
    assert second["Idempotent-Replayed"] == "true" and second.json() == first.json()
    assert HouseholdChild.objects.filter(participant=participant).count() == 1
