"""POST /api/referrals/{id}/transitions/{tid}/correction and /withdrawal, and the earlier values
of edited fields in a participant's and a referral's detail."""

from datetime import date, datetime, timedelta

import pytest
import time_machine

from turnpoint.journeys.corrections import referral_update
from turnpoint.journeys.models import Referral, Transition
from turnpoint.people.services import participant_update
from turnpoint.sharing.models import AuditEntry

from .helpers import walk

# The status an invalid value gets (turnpoint/api/errors.py: InvalidInput).
INVALID = 400


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime(2026, 6, 15, 12, 0), tick=False):
        yield


@pytest.fixture
def referral(make_referral):
    return make_referral()


def steps(referral):
    return list(Transition.objects.filter(referral=referral, kind="advance").order_by("id"))


def url(referral, step, what="correction"):
    return f"/api/referrals/{referral.pk}/transitions/{step.pk}/{what}"


def test_author_corrects_a_step_and_both_are_listed(api_as, referral):
    client = api_as("casemanager")
    walk(client, referral.pk, [{"to_state": "screening"}, {"to_state": "eligibility"}])
    screening = steps(referral)[0]
    day = (date(2026, 6, 15) - timedelta(days=1)).isoformat()
    response = client.post(url(referral, screening), {
        "reason": "Wrong day typed", "occurred_on": day,
        "expected_version": Referral.objects.get(pk=referral.pk).version,
    })  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["transition"]["kind"] == "correction"
    assert body["transition"]["corrects"] == screening.pk
    assert body["transition"]["correction_reason"] == "Wrong day typed"
    assert body["referral"]["version"] == Referral.objects.get(pk=referral.pk).version
    listed = client.get(f"/api/referrals/{referral.pk}/transitions").json()["items"]
    # Both listed, in date order: the correction carries the corrected date, the step its own.
    by_id = {t["id"]: t for t in listed}
    assert sorted(t["kind"] for t in listed) == ["advance", "advance", "correction", "created"]
    assert by_id[body["transition"]["id"]]["occurred_on"] == day
    assert by_id[screening.pk]["occurred_on"] == "2026-06-15"


def test_coordinator_withdraws_and_the_referral_goes_back(api_as, referral):
    walk(api_as("casemanager"), referral.pk, [{"to_state": "screening"}])
    response = api_as("coordinator").post(
        url(referral, steps(referral)[0], "withdrawal"), {"reason": "Recorded in error"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["referral"]["state"] == "referral"
    entry = AuditEntry.objects.filter(action="withdraw").get()
    assert entry.detail["withdraws"] == steps(referral)[0].pk


def test_other_staff_are_refused_with_403_and_outsiders_get_404(api_as, referral):
    walk(api_as("casemanager"), referral.pk, [{"to_state": "screening"}])
    step = steps(referral)[0]
    refused = api_as("probation").post(url(referral, step, "withdrawal"), {"reason": "x"})
    assert refused.status_code == 403
    assert "only the person who recorded this step" in refused.json()["errors"][0]["reason"]
    assert api_as("judge").post(url(referral, step), {"reason": "x"}).status_code == 403
    assert api_as("outsider").post(url(referral, step), {"reason": "x"}).status_code == 404
    assert not Transition.objects.filter(kind__in=["correction", "withdrawal"]).exists()


def test_bad_values_are_refused_by_field(api_as, referral):
    client = api_as("coordinator")
    walk(client, referral.pk, [{"to_state": "screening"}, {"to_state": "eligibility"}])
    first, latest = steps(referral)
    response = client.post(url(referral, latest), {"reason": "x", "occurred_on": "2026-07-01"})
    assert response.status_code == INVALID
    assert {"field": "occurred_on", "reason": "is in the future"} in response.json()["errors"]
    response = client.post(url(referral, first, "withdrawal"), {"reason": "x"})
    assert response.status_code == INVALID
    assert response.json()["errors"][0]["field"] == "transition"
    missing = client.post(url(referral, latest), {"occurred_on": "2026-06-01"})
    assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "reason"


def test_stale_version_is_409_and_stale_if_match_412(api_as, referral):
    client = api_as("coordinator")
    walk(client, referral.pk, [{"to_state": "screening"}])
    step = steps(referral)[0]
    body = {"reason": "Recorded in error", "expected_version": 1}
    assert client.post(url(referral, step, "withdrawal"), body).status_code == 409
    response = client.post(url(referral, step, "withdrawal"), {"reason": "x"}, If_Match='"1"')
    assert response.status_code == 412
    assert Referral.objects.get(pk=referral.pk).state == "screening"


def test_a_step_of_another_referral_is_404(api_as, referral, make_referral):
    client = api_as("coordinator")
    other = make_referral(given_name="Alex")
    walk(client, other.pk, [{"to_state": "screening"}])
    step = steps(other)[0]
    assert client.post(url(referral, step), {"reason": "x"}).status_code == 404


def test_repeat_with_the_same_idempotency_key_withdraws_once(api_as, referral):
    client = api_as("coordinator")
    walk(client, referral.pk, [{"to_state": "screening"}])
    target = url(referral, steps(referral)[0], "withdrawal")
    first = client.post(target, {"reason": "x"}, Idempotency_Key="withdraw-1")
    again = client.post(target, {"reason": "x"}, Idempotency_Key="withdraw-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert Transition.objects.filter(kind="withdrawal").count() == 1


def test_earlier_values_in_details_only_for_roles_that_read_the_category(
    api_as, referral, coordinator
):
    person = referral.participant
    participant_update(person, acting_user=coordinator, expected_version=person.version,
                       given_name="Robyn")  # fmt: skip
    referral_update(referral, acting_user=coordinator, expected_version=referral.version,
                    offence_category="fraud")  # fmt: skip
    body = api_as("casemanager").get(f"/api/participants/{person.pk}").json()
    assert [(c["field"], c["old_value"]) for c in body["earlier_values"]] == [
        ("given_name", "Robin")
    ]
    assert body["referrals"][0]["earlier_values"][0]["old_value"] == "acquisitive"
    clinician = api_as("clinician").get(f"/api/participants/{person.pk}").json()
    assert clinician["earlier_values"][0]["new_value"] == "Robyn"
    assert "earlier_values" not in clinician["referrals"][0]
    detail = api_as("clinician").get(f"/api/referrals/{referral.pk}").json()
    assert "earlier_values" not in detail and "offence_category" not in detail
    prosecutor = api_as("prosecutor").get(f"/api/referrals/{referral.pk}").json()
    assert prosecutor["earlier_values"][0]["field"] == "offence_category"


def test_offence_facts_patched_keep_earlier_values(api_as, referral):
    client = api_as("probation")
    path = f"/api/referrals/{referral.pk}"
    assert client.patch(path, {"offence_category": "fraud"}).status_code == 428
    response = client.patch(
        path, {"offence_category": "fraud", "reason": "Charge amended"}, If_Match='"1"'
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["offence_category"] == "fraud" and response["ETag"] == '"2"'
    assert body["earlier_values"][0]["old_value"] == "acquisitive"
    assert body["earlier_values"][0]["reason"] == "Charge amended"
    stale = client.patch(path, {"offence_category": "other", "version": 1})
    assert stale.status_code == 412
    bad = client.patch(path, {"offence_date": "2026-07-01", "version": 2})
    assert bad.status_code == INVALID
    assert {"field": "offence_date", "reason": "is in the future"} in bad.json()["errors"]
    assert api_as("clinician").patch(path, {"offence_category": "other", "version": 2}
                                     ).status_code == 403  # fmt: skip
    assert Referral.objects.get(pk=referral.pk).offence_category == "fraud"
