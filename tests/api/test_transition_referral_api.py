"""Moving a referral along the pathway through the API (the same service as the pages)."""

import pytest

from turnpoint.journeys.models import Episode, Referral, Transition
from turnpoint.sharing.models import AuditEntry

from .helpers import REACHING, RECORDING, ROLES, TO_EPISODE, errors_by_field, walk


def steps_url(referral):
    return f"/api/referrals/{referral.pk}/transitions"


def stored_state(referral):
    stored = Referral.objects.get(pk=referral.pk)
    return stored.state, stored.version, stored.transitions.count()


def test_a_referral_walks_to_an_active_episode(api_as, make_referral):
    referral = make_referral()
    client = api_as("coordinator")
    walk(client, referral.pk)
    stored = Referral.objects.get(pk=referral.pk)
    assert (stored.state, stored.recommended_disposal, stored.imposed_disposal) == (
        "episode",
        "programme",
        "programme",
    )
    assert Episode.objects.get(referral=referral).phase_number == 1
    steps = client.get(steps_url(referral)).json()
    assert steps["count"] == len(TO_EPISODE) + 1
    assert [s["to_state"] for s in steps["items"]][-2:] == ["decision", "episode"]
    assert steps["items"][-1]["acting_user"] == "coordinator"


def test_an_episode_needs_consent_to_take_part_first(api_as, make_referral):
    referral = make_referral()
    client = api_as("coordinator")
    walk(client, referral.pk, TO_EPISODE[:-1])
    response = client.post(steps_url(referral), TO_EPISODE[-1])
    assert response.status_code == 400
    assert "informed consent to take part" in errors_by_field(response)["participation_consent"]
    assert stored_state(referral)[0] == "decision"
    assert not Episode.objects.filter(referral=referral).exists()


def test_the_response_carries_the_step_and_the_moved_referral(api_as, make_referral):
    referral = make_referral()
    response = api_as("casemanager").post(
        steps_url(referral),
        {"to_state": "left", "reason_code": "declined", "reason": "Chose the ordinary route"},
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["transition"]["kind"], body["transition"]["reason_code"]) == ("left", "declined")
    assert (body["referral"]["state"], body["referral"]["version"]) == ("left", 2)
    assert body["referral"]["allowed_next"] == []
    assert response["ETag"] == '"2"'
    assert stored_state(referral) == ("left", 2, 2)


def test_an_illegal_step_names_the_current_state_and_the_allowed_ones(api_as, make_referral):
    referral = make_referral()
    response = api_as("coordinator").post(steps_url(referral), {"to_state": "episode"})
    assert response.status_code == 409
    reason = errors_by_field(response)["to_state"]
    assert "'Referred'" in reason
    assert "Allowed next steps: Screening, Left the pathway." in reason
    assert stored_state(referral) == ("referral", 1, 1)


def test_missing_step_facts_are_named(api_as, make_referral):
    referral = make_referral()
    response = api_as("coordinator").post(steps_url(referral), {"to_state": "left"})
    assert response.status_code == 400
    assert errors_by_field(response)["reason_code"].startswith("must be one of:")
    response = api_as("coordinator").post(steps_url(referral), {"to_state": "purgatory"})
    assert response.status_code == 400
    assert errors_by_field(response) == {"to_state": "'purgatory' is not a pathway state"}
    assert stored_state(referral) == ("referral", 1, 1)


def test_unknown_fields_of_a_step_are_refused(api_as, make_referral):
    referral = make_referral()
    response = api_as("coordinator").post(
        steps_url(referral), {"to_state": "screening", "acting_user": 1, "kind": "advance"}
    )
    assert response.status_code == 400
    assert errors_by_field(response) == {
        "acting_user": "is not a field you can set",
        "kind": "is not a field you can set",
    }
    assert stored_state(referral) == ("referral", 1, 1)


def test_a_stale_expected_version_is_a_409_and_changes_nothing(api_as, make_referral):
    referral = make_referral()
    client = api_as("coordinator")
    assert client.post(steps_url(referral), {"to_state": "screening", "expected_version": 1}
                       ).status_code == 201  # fmt: skip
    response = client.post(steps_url(referral), {"to_state": "left", "reason_code": "declined",
                                                  "expected_version": 1})  # fmt: skip
    assert response.status_code == 409
    assert "version 1, now 2" in errors_by_field(response)["expected_version"]
    assert stored_state(referral) == ("screening", 2, 2)


def test_a_stale_if_match_is_a_412(api_as, make_referral):
    referral = make_referral()
    client = api_as("coordinator")
    etag = client.get(f"/api/referrals/{referral.pk}")["ETag"]
    client.post(steps_url(referral), {"to_state": "screening"}, **{"If-Match": etag})
    response = client.post(steps_url(referral), {"to_state": "eligibility"}, **{"If-Match": etag})
    assert response.status_code == 412
    assert stored_state(referral) == ("screening", 2, 2)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_may_move_referrals_only_where_it_may_write(api_as, make_referral, role):
    referral = make_referral()
    response = api_as(role).post(steps_url(referral), {"to_state": "screening"})
    expected = 201 if role in RECORDING else 403 if role in REACHING else 404
    assert response.status_code == expected
    assert stored_state(referral) == (("screening", 2, 2) if role in RECORDING
                                      else ("referral", 1, 1))  # fmt: skip


def test_the_outsider_gets_404_and_the_database_is_unchanged(api_as, make_referral):
    referral = make_referral()
    client = api_as("outsider")  # issues the outsider's token (audited, SEC-41)
    audit_before = AuditEntry.objects.count()
    assert client.post(steps_url(referral), {"to_state": "screening"}).status_code == 404
    assert client.get(steps_url(referral)).status_code == 404
    assert stored_state(referral) == ("referral", 1, 1)
    assert Transition.objects.count() == 1
    # Nothing but the two denials, each naming the referral reached for (security.md SEC-20).
    added = AuditEntry.objects.order_by("pk")[audit_before:]
    assert [(e.action, e.detail["object"]) for e in added] == [
        ("denied", f"referral {referral.pk}")
    ] * 2


def test_a_repeated_step_with_its_key_is_recorded_once(api_as, make_referral):
    referral = make_referral()
    client = api_as("coordinator")
    key = {"Idempotency-Key": "step-screening"}
    first = client.post(steps_url(referral), {"to_state": "screening"}, **key)
    again = client.post(steps_url(referral), {"to_state": "screening"}, **key)
    assert again.json() == first.json()
    assert stored_state(referral) == ("screening", 2, 2)


def test_the_phase_changes_within_an_episode(api_as, make_referral):
    referral = make_referral()
    client = api_as("coordinator")
    walk(client, referral.pk)
    response = client.post(steps_url(referral),
                           {"to_state": "episode", "phase_number": 2,
                            "reason": "Stable for eight weeks",
                            # the day the episode started: before phase 1's minimum length
                            "override_reason": "Stable before the episode began"})  # fmt: skip
    assert response.status_code == 201
    assert response.json()["transition"]["kind"] == "phase"
    assert Episode.objects.get(referral=referral).phase_number == 2
