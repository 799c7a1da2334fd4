"""Changing a participant's details through the API, with optimistic locking (SEC-34)."""

import pytest

from turnpoint.people.models import Participant
from turnpoint.sharing.models import AuditEntry

from .helpers import REACHING, RECORDING, ROLES, errors_by_field


@pytest.fixture
def participant(make_referral):
    return make_referral().participant


def path(participant):
    return f"/api/participants/{participant.pk}"


def test_an_update_with_the_etag_it_read_is_saved(api_as, participant):
    client = api_as("coordinator")
    etag = client.get(path(participant))["ETag"]
    response = client.patch(path(participant), {"preferred_name": "Bobbie"}, **{"If-Match": etag})
    assert response.status_code == 200
    stored = Participant.objects.get(pk=participant.pk)
    assert (stored.preferred_name, stored.version) == ("Bobbie", 2)
    assert response["ETag"] == '"2"'
    assert response.json()["preferred_name"] == "Bobbie"
    assert AuditEntry.objects.filter(action="update", participant_ids=[participant.pk]).exists()


def test_an_update_may_carry_the_version_in_the_body(api_as, participant):
    response = api_as("casemanager").patch(path(participant), {"family_name": "New", "version": 1})
    assert response.status_code == 200
    assert Participant.objects.get(pk=participant.pk).family_name == "New"


def test_a_stale_version_is_refused_with_412_and_changes_nothing(api_as, participant):
    first, second = api_as("coordinator"), api_as("casemanager")
    etag = first.get(path(participant))["ETag"]
    assert second.get(path(participant))["ETag"] == etag
    assert (
        first.patch(path(participant), {"preferred_name": "A"}, **{"If-Match": etag}).status_code
        == 200
    )
    response = second.patch(path(participant), {"preferred_name": "B"}, **{"If-Match": etag})
    assert response.status_code == 412
    assert "changed since you opened it" in errors_by_field(response)["version"]
    stored = Participant.objects.get(pk=participant.pk)
    assert (stored.preferred_name, stored.version) == ("A", 2)


def test_a_stale_version_in_the_body_is_refused_with_412(api_as, participant):
    client = api_as("coordinator")
    client.patch(path(participant), {"preferred_name": "A", "version": 1})
    response = client.patch(path(participant), {"preferred_name": "B", "version": 1})
    assert response.status_code == 412
    assert Participant.objects.get(pk=participant.pk).preferred_name == "A"


def test_an_update_without_a_version_is_refused_with_428(api_as, participant):
    response = api_as("coordinator").patch(path(participant), {"preferred_name": "A"})
    assert response.status_code == 428
    assert "If-Match" in errors_by_field(response)
    stored = Participant.objects.get(pk=participant.pk)
    assert (stored.preferred_name, stored.version) == ("", 1)


@pytest.mark.parametrize("header", ["*", "abc", '"1", "2"', '"²"', f'"{2**40}"'])
def test_a_malformed_if_match_is_refused(api_as, participant, header):
    response = api_as("coordinator").patch(path(participant), {"preferred_name": "A"},
                                           **{"If-Match": header})  # fmt: skip
    assert response.status_code == 400
    assert "If-Match" in errors_by_field(response)


@pytest.mark.parametrize("field", ["synthetic", "agency", "id", "created_at"])
def test_fields_that_cannot_be_set_are_refused_by_name(api_as, participant, field):
    response = api_as("coordinator").patch(path(participant), {field: True, "version": 1})
    assert response.status_code == 400
    assert errors_by_field(response) == {field: "is not a field you can set"}
    assert Participant.objects.get(pk=participant.pk).version == 1


@pytest.mark.parametrize("version", [0, 2**40, "one"])
def test_an_impossible_version_in_the_body_is_named(api_as, participant, version):
    response = api_as("coordinator").patch(
        path(participant), {"family_name": "X", "version": version}
    )
    assert response.status_code == 400
    assert set(errors_by_field(response)) == {"version"}
    assert Participant.objects.get(pk=participant.pk).family_name == "Example"


def test_invalid_values_are_named_and_change_nothing(api_as, participant):
    response = api_as("coordinator").patch(
        path(participant), {"date_of_birth": "2100-01-01", "ethnicity": "martian", "version": 1}
    )
    assert response.status_code == 400
    assert set(errors_by_field(response)) == {"date_of_birth", "ethnicity"}
    assert Participant.objects.get(pk=participant.pk).version == 1


@pytest.mark.parametrize("role", ROLES)
def test_each_role_may_change_details_only_where_it_may_write(api_as, participant, role):
    response = api_as(role).patch(path(participant), {"preferred_name": "X", "version": 1})
    expected = 200 if role in RECORDING else 403 if role in REACHING else 404
    assert response.status_code == expected
    stored = Participant.objects.get(pk=participant.pk)
    assert stored.preferred_name == ("X" if role in RECORDING else "")


def test_the_reason_for_a_change_is_kept_with_the_earlier_value(api_as, participant):
    from turnpoint.people.history import ParticipantFieldChange

    old = participant.family_name
    client = api_as("coordinator")
    response = client.patch(
        path(participant),
        {"family_name": "Marsh", "version": 1, "reason": "Married in May; new passport seen."},
    )
    assert response.status_code == 200
    [change] = ParticipantFieldChange.objects.filter(participant=participant)
    assert (change.field, change.old_value, change.new_value) == ("family_name", old, "Marsh")
    assert change.reason == "Married in May; new passport seen."
    earlier = client.get(path(participant)).json()["earlier_values"]
    assert [(e["field"], e["reason"]) for e in earlier] == [
        ("family_name", "Married in May; new passport seen.")
    ]


def test_a_reason_alone_changes_nothing(api_as, participant):
    response = api_as("coordinator").patch(path(participant), {"reason": "x", "version": 1})
    assert response.status_code == 400
    assert Participant.objects.get(pk=participant.pk).version == 1
