"""Adding a participant (with the referral that puts them on a caseload) through the API."""

from datetime import date, timedelta

import pytest

from turnpoint.journeys.models import Referral, Transition
from turnpoint.people.models import Participant
from turnpoint.sharing.models import AuditEntry

from .helpers import RECORDING, ROLES, errors_by_field, new_participant_body


def counts():
    return (Participant.objects.count(), Referral.objects.count(), Transition.objects.count())


def test_coordinator_adds_a_participant_with_their_referral(api_as, programme):
    response = api_as("coordinator").post("/api/participants", new_participant_body())
    assert response.status_code == 201, response.content
    body = response.json()
    stored = Participant.objects.get(pk=body["id"])
    assert (stored.given_name, stored.family_name, stored.date_of_birth) == (
        "Jo",
        "Sample",
        date(1988, 2, 3),
    )
    assert stored.synthetic is False
    referral = Referral.objects.get(participant=stored)
    assert (referral.programme, referral.source, referral.state) == (programme, "prosecutor",
                                                                     "referral")  # fmt: skip
    assert response["Location"] == f"/api/participants/{stored.pk}"
    assert response["ETag"] == '"1"'
    assert body["referrals"][0]["id"] == referral.pk
    assert AuditEntry.objects.filter(action="create", participant_ids=[stored.pk]).count() == 2


@pytest.mark.parametrize("role", ROLES)
def test_only_recording_roles_of_the_team_may_add_participants(api_as, role):
    response = api_as(role).post("/api/participants", new_participant_body())
    if role in RECORDING:
        assert response.status_code == 201
        assert counts() == (1, 1, 1)
    else:
        # The outsider is a coordinator, but not on the Ghent team the referral names.
        assert response.status_code == 403
        assert response.json()["errors"][0]["reason"]
        assert counts() == (0, 0, 0)
        denied = AuditEntry.objects.filter(action="denied").latest("id")
        assert denied.detail["route"] == "POST /api/participants"


@pytest.mark.parametrize("field", ["synthetic", "version", "agency", "id", "created_at"])
def test_fields_that_cannot_be_set_are_refused_by_name(api_as, field):
    response = api_as("coordinator").post("/api/participants", new_participant_body(**{field: 7}))
    assert response.status_code == 400
    assert errors_by_field(response) == {field: "is not a field you can set"}
    assert counts() == (0, 0, 0)


def test_unknown_referral_fields_are_refused_by_their_path(api_as):
    body = new_participant_body()
    body["referral"]["state"] = "episode"
    response = api_as("coordinator").post("/api/participants", body)
    assert response.status_code == 400
    assert errors_by_field(response) == {"referral.state": "is not a field you can set"}


def test_every_invalid_field_is_named_with_its_reason(api_as):
    body = new_participant_body(date_of_birth="17/05/1990", sex=3)
    del body["family_name"]
    del body["referral"]["source"]
    response = api_as("coordinator").post("/api/participants", body)
    assert response.status_code == 400
    assert errors_by_field(response) == {
        "family_name": "is required",
        "date_of_birth": "is not a date (use YYYY-MM-DD)",
        "sex": "is not text",
        "referral.source": "is required",
    }
    assert counts() == (0, 0, 0)


def test_rules_of_the_services_are_reported_per_field(api_as):
    future = (date.today() + timedelta(days=3)).isoformat()
    body = new_participant_body(given_name="  ", sex="unknown")
    response = api_as("coordinator").post("/api/participants", body)
    assert response.status_code == 400
    errors = errors_by_field(response)
    assert errors["given_name"] == "is required"
    assert errors["sex"].startswith("must be one of: female, male")

    body = new_participant_body()
    body["referral"]["offence_date"] = future
    body["referral"]["programme"] = "ghent-dtc"
    response = api_as("coordinator").post("/api/participants", body)
    assert response.status_code == 400
    errors = [(e["field"], e["reason"]) for e in response.json()["errors"]]
    assert ("referral.offence_date", "is in the future") in errors
    assert counts() == (0, 0, 0)


def test_an_unknown_programme_is_named(api_as):
    body = new_participant_body()
    body["referral"]["programme"] = "atlantis"
    response = api_as("coordinator").post("/api/participants", body)
    assert response.status_code == 400
    assert errors_by_field(response) == {"referral.programme": "there is no programme 'atlantis'"}
    assert counts() == (0, 0, 0)


def test_a_body_that_is_not_json_is_refused(api_as):
    client = api_as("coordinator")
    response = client.client.post("/api/participants", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"errors"}
    assert counts() == (0, 0, 0)
