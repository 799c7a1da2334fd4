"""Referring a participant the team already knows to a programme, through the API."""

from datetime import date, timedelta

import pytest

from turnpoint.journeys.models import Referral

from .helpers import REACHING, RECORDING, ROLES, errors_by_field


def body(participant_id, **overrides):
    values = {
        "participant_id": participant_id,
        "programme": "ghent-dtc",
        "source": "court",
        "offence_category": "drug_possession",
        "drug_related_type": "drug_law",
        "offence_date": (date.today() - timedelta(days=10)).isoformat(),
    }
    values.update(overrides)
    return values


def test_a_new_referral_is_stored_with_its_first_step(api_as, make_referral):
    known = make_referral()
    response = api_as("probation").post("/api/referrals", body(known.participant_id))
    assert response.status_code == 201, response.content
    created = Referral.objects.get(pk=response.json()["id"])
    assert (created.participant_id, created.source, created.referral_date) == (
        known.participant_id,
        "court",
        date.today(),
    )
    assert created.created_by.username == "probation"
    assert list(created.transitions.values_list("to_state", flat=True)) == ["referral"]
    assert response["Location"] == f"/api/referrals/{created.pk}"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_may_refer_only_where_it_may_write(api_as, make_referral, role):
    known = make_referral()
    response = api_as(role).post("/api/referrals", body(known.participant_id))
    if role in RECORDING:
        assert response.status_code == 201
    elif role in REACHING:
        assert response.status_code == 403
    else:
        # The participant is out of reach: named as such, the same as a missing id.
        assert response.status_code == 400
        assert errors_by_field(response) == {
            "participant_id": "no participant you can reach has this id"
        }
    assert Referral.objects.count() == (2 if role in RECORDING else 1)


def test_problems_name_the_fields_and_nothing_is_stored(api_as, make_referral):
    known = make_referral()
    response = api_as("coordinator").post(
        "/api/referrals",
        body(known.participant_id, source="neighbour", offence_date="1900-01-01", state="episode"),
    )
    assert response.status_code == 400
    assert errors_by_field(response) == {"state": "is not a field you can set"}
    response = api_as("coordinator").post(
        "/api/referrals", body(known.participant_id, source="neighbour", offence_date="1900-01-01")
    )
    assert response.status_code == 400
    fields = [e["field"] for e in response.json()["errors"]]
    assert "source" in fields and "offence_date" in fields
    assert Referral.objects.count() == 1


def test_a_repeated_referral_with_its_key_is_created_once(api_as, make_referral):
    known = make_referral()
    client = api_as("coordinator")
    key = {"Idempotency-Key": "referral-42"}
    first = client.post("/api/referrals", body(known.participant_id), **key)
    again = client.post("/api/referrals", body(known.participant_id), **key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    assert Referral.objects.count() == 2
