"""Retrying a POST with the same Idempotency-Key (security.md SEC-35)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import RequestFactory, override_settings
from django.utils import timezone

from turnpoint.api.idempotency import _fingerprint, idempotency_purge_expired
from turnpoint.api.models import IdempotencyRecord
from turnpoint.journeys.models import Referral, Transition
from turnpoint.people.models import Participant
from turnpoint.sharing.models import AuditEntry

from .helpers import ApiClient, errors_by_field, new_participant_body

KEY = {"Idempotency-Key": "7d1f0a3e-intake-1"}


def counts():
    return (
        Participant.objects.count(),
        Referral.objects.count(),
        Transition.objects.count(),
        AuditEntry.objects.exclude(action="read").count(),
    )


def test_a_repeat_returns_the_first_response_and_creates_nothing(api_as):
    client = api_as("coordinator")
    first = client.post("/api/participants", new_participant_body(), **KEY)
    assert first.status_code == 201
    after_first = counts()
    again = client.post("/api/participants", new_participant_body(), **KEY)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true"
    assert counts() == after_first
    assert Participant.objects.count() == 1


def test_key_order_and_spacing_of_the_body_do_not_count(api_as):
    client = api_as("coordinator")
    body = new_participant_body()
    first = client.post("/api/participants", body, **KEY)
    reordered = dict(reversed(list(body.items())))
    again = client.post("/api/participants", reordered, **KEY)
    assert again.json() == first.json()
    assert Participant.objects.count() == 1


def test_the_same_key_with_another_body_is_refused_with_422(api_as):
    client = api_as("coordinator")
    client.post("/api/participants", new_participant_body(), **KEY)
    before = counts()
    response = client.post("/api/participants", new_participant_body(given_name="Other"), **KEY)
    assert response.status_code == 422
    assert "different request" in errors_by_field(response)["Idempotency-Key"]
    assert counts() == before


def test_the_same_key_on_another_endpoint_is_another_request(api_as, make_referral):
    referral = make_referral()
    client = api_as("coordinator")
    client.post("/api/participants", new_participant_body(), **KEY)
    response = client.post(f"/api/referrals/{referral.pk}/transitions",
                           {"to_state": "screening"}, **KEY)  # fmt: skip
    assert response.status_code == 422
    assert Referral.objects.get(pk=referral.pk).state == "referral"


def _claim_in_progress(user, body, *, age=timedelta(0)):
    request = RequestFactory().post("/api/participants", body, content_type="application/json")
    now = timezone.now() - age
    return IdempotencyRecord.objects.create(
        user=user, key=KEY["Idempotency-Key"], fingerprint=_fingerprint(request), claim="first",
        created_at=now, expires_at=now + timedelta(days=1),
    )  # fmt: skip


def test_a_duplicate_while_the_first_is_in_progress_gets_409(api_as, users):
    _claim_in_progress(users["coordinator"], new_participant_body())
    response = api_as("coordinator").post("/api/participants", new_participant_body(), **KEY)
    assert response.status_code == 409
    assert "in progress" in errors_by_field(response)["Idempotency-Key"]
    assert Participant.objects.count() == 0


def test_a_claim_abandoned_by_a_dead_request_is_taken_over(api_as, users):
    _claim_in_progress(users["coordinator"], new_participant_body(), age=timedelta(minutes=10))
    response = api_as("coordinator").post("/api/participants", new_participant_body(), **KEY)
    assert response.status_code == 201
    assert Participant.objects.count() == 1
    record = IdempotencyRecord.objects.get()
    assert (record.state, record.response_status) == ("done", 201)


def test_keys_are_scoped_per_user(api_as):
    first = api_as("coordinator").post("/api/participants", new_participant_body(), **KEY)
    # The same person again, which the case manager says is someone else (else 409).
    again = new_participant_body(different_person=True)
    second = api_as("casemanager").post("/api/participants", again, **KEY)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
    assert Participant.objects.count() == 2


def test_a_failed_request_releases_its_key(api_as):
    client = api_as("coordinator")
    refused = client.post("/api/participants", new_participant_body(sex="unknown"), **KEY)
    assert refused.status_code == 400
    assert not IdempotencyRecord.objects.exists()
    fixed = client.post("/api/participants", new_participant_body(), **KEY)
    assert fixed.status_code == 201
    assert Participant.objects.count() == 1


# 23:30 UTC: the hour in which a retry made an hour later falls on the next day. The body is
# built once, as a client retrying sends the bytes it sent: one rebuilt after midnight carries
# other "days ago" dates and is a different request (422), not a repeat.
BEFORE_MIDNIGHT = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)


@override_settings(IDEMPOTENCY_KEY_TTL_SECONDS=3600)
@pytest.mark.parametrize("start", [None, BEFORE_MIDNIGHT], ids=["now", "at-23-30-utc"])
def test_keys_expire_after_the_configured_period(api_as, time_machine, start):
    time_machine.move_to(start or timezone.now(), tick=False)
    # Said to be a different person, so that the repeat after expiry is not refused as a
    # likely duplicate of the record the first request made.
    client, body = api_as("coordinator"), new_participant_body(different_person=True)
    client.post("/api/participants", body, **KEY)
    time_machine.shift(timedelta(minutes=59))
    assert client.post("/api/participants", body, **KEY)["Idempotent-Replayed"]
    assert Participant.objects.count() == 1
    time_machine.shift(timedelta(minutes=2))
    response = client.post("/api/participants", body, **KEY)
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Participant.objects.count() == 2


def test_expired_keys_are_purged(api_as, time_machine, settings):
    client = api_as("coordinator")
    client.post("/api/participants", new_participant_body(), **KEY)
    assert idempotency_purge_expired() == 0
    time_machine.move_to(
        timezone.now() + timedelta(seconds=settings.IDEMPOTENCY_KEY_TTL_SECONDS + 1)
    )
    assert idempotency_purge_expired() == 1
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there"])
def test_a_malformed_key_is_refused(api_as, key):
    response = api_as("coordinator").post(
        "/api/participants", new_participant_body(), **{"Idempotency-Key": key}
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in errors_by_field(response)
    assert Participant.objects.count() == 0


def test_a_post_without_a_key_is_not_remembered(users):
    client = ApiClient(users["coordinator"])
    client.post("/api/participants", new_participant_body(different_person=True))
    client.post("/api/participants", new_participant_body(different_person=True))
    assert Participant.objects.count() == 2
    assert not IdempotencyRecord.objects.exists()
