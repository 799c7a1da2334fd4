"""Closing a participant's portal access through the API: the portal-access page's service, for
the roles that record identity."""

import pytest

from turnpoint.portal.services import portal_account_of, portal_setup_code_issue
from turnpoint.sharing.models import AuditEntry

from .helpers import errors_by_field


def url(participant_id) -> str:
    return f"/api/participants/{participant_id}/portal-access/close"


@pytest.fixture
def participant(make_referral, coordinator):
    person = make_referral().participant
    portal_setup_code_issue(acting_user=coordinator, participant=person)
    return person


def is_open(participant) -> bool:
    return portal_account_of(participant).user.is_active


def test_a_coordinator_closes_portal_access(api_as, participant):
    assert is_open(participant)
    response = api_as("coordinator").post(url(participant.pk), {})
    assert response.status_code == 200, response.content
    assert response.json() == {"participant_id": participant.pk, "open": False}
    assert not is_open(participant)


@pytest.mark.parametrize("role", ["judge", "clinician"])
def test_a_role_that_does_not_record_identity_is_refused(api_as, participant, role):
    response = api_as(role).post(url(participant.pk), {})
    assert response.status_code == 403
    assert is_open(participant)
    assert AuditEntry.objects.filter(action="denied").latest("id").detail["route"] == (
        f"POST {url(participant.pk)}"
    )


def test_an_unknown_field_is_named_and_nothing_closes(api_as, participant):
    response = api_as("coordinator").post(url(participant.pk), {"open": False})
    assert response.status_code == 400
    assert errors_by_field(response) == {"open": "is not a field you can set"}
    assert is_open(participant)


def test_out_of_reach_is_not_found(api_as, participant):
    assert api_as("outsider").post(url(participant.pk), {}).status_code == 404
    assert is_open(participant)


def test_closing_twice_conflicts_but_a_repeat_with_the_same_key_replays(api_as, participant):
    client = api_as("casemanager")
    first = client.post(url(participant.pk), {}, **{"Idempotency-Key": "close-1"})
    again = client.post(url(participant.pk), {}, **{"Idempotency-Key": "close-1"})
    assert (first.status_code, again.status_code) == (200, 200)
    assert again["Idempotent-Replayed"] == "true"
    second = client.post(url(participant.pk), {})
    assert second.status_code == 409
    assert "is not open for this participant" in errors_by_field(second)["portal"]
