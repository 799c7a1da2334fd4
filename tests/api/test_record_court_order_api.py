"""Recording and ending court orders through the API (security.md SEC-16): the court-order
pages' service, kept by the roles that record legal facts."""

from datetime import date, timedelta

import pytest

from turnpoint.sharing.models import AuditEntry, CourtOrder

from .helpers import errors_by_field


def url(participant_id) -> str:
    return f"/api/participants/{participant_id}/court-orders"


@pytest.fixture
def participant(make_referral):
    return make_referral().participant


@pytest.fixture
def order(users):
    def make(**overrides) -> dict:
        body = {
            "kind": "order",
            "court": "Ghent court of first instance",
            "reference": "ORD-2026-17",
            "made_on": date.today().isoformat(),
            "categories": ["clinical"],
            "covers_from": (date.today() - timedelta(days=365)).isoformat(),
            "covers_to": date.today().isoformat(),
            "recipient_role": "judge",
            "recipient_agency": users["judge"].agency_id,
            "purposes": ["court_review"],
            "expires_at": (date.today() + timedelta(days=30)).isoformat(),
        }
        body.update(overrides)
        return body

    return make


def test_a_coordinator_records_an_order_and_lists_it(api_as, participant, order, users):
    client = api_as("coordinator")
    response = client.post(url(participant.pk), order())
    assert response.status_code == 201, response.content
    stored = CourtOrder.objects.get(participant=participant)
    body = response.json()
    assert body["id"] == stored.pk and body["reference"] == "ORD-2026-17"
    assert stored.recipient_agency == users["judge"].agency
    assert stored.expires_at.date() == date.today() + timedelta(days=30)
    listed = client.get(url(participant.pk)).json()
    assert [o["id"] for o in listed["items"]] == [stored.pk]


@pytest.mark.parametrize("role", ["judge", "clinician", "defence"])
def test_a_role_that_does_not_keep_court_orders_is_refused(api_as, participant, order, role):
    response = api_as(role).post(url(participant.pk), order())
    assert response.status_code == 403
    assert api_as(role).get(url(participant.pk)).status_code == 403
    assert not CourtOrder.objects.exists()
    assert AuditEntry.objects.filter(action="denied").count() == 2


def test_every_missing_element_of_an_order_is_named(api_as, participant, order):
    response = api_as("coordinator").post(url(participant.pk), {"kind": "order"})
    assert response.status_code == 400
    assert set(errors_by_field(response)) >= {
        "court", "reference", "made_on", "categories", "covers_from", "covers_to",
        "recipients", "purposes", "expires_at",
    }  # fmt: skip
    response = api_as("coordinator").post(url(participant.pk), order(recipient_agency=999999))
    assert errors_by_field(response) == {"recipient_agency": "there is no agency with this id"}
    assert not CourtOrder.objects.exists()


def test_a_subpoena_needs_only_the_court_its_reference_and_date(api_as, participant):
    body = {"kind": "subpoena", "court": "Ghent court", "reference": "SUB-1",
            "made_on": date.today().isoformat()}  # fmt: skip
    response = api_as("probation").post(url(participant.pk), body)
    assert response.status_code == 201, response.content
    assert CourtOrder.objects.get().kind == "subpoena"


def test_out_of_reach_is_not_found(api_as, participant, order):
    assert api_as("outsider").post(url(participant.pk), order()).status_code == 404
    assert api_as("outsider").get(url(participant.pk)).status_code == 404
    assert not CourtOrder.objects.exists()


def test_a_repeat_with_the_same_key_records_one_order(api_as, participant, order):
    client = api_as("coordinator")
    first = client.post(url(participant.pk), order(), **{"Idempotency-Key": "order-1"})
    second = client.post(url(participant.pk), order(), **{"Idempotency-Key": "order-1"})
    assert (first.status_code, second.status_code) == (201, 201)
    assert second["Idempotent-Replayed"] == "true" and second.json() == first.json()
    assert CourtOrder.objects.count() == 1


def test_ending_an_order(api_as, participant, order, make_referral):
    client = api_as("coordinator")
    order_id = client.post(url(participant.pk), order()).json()["id"]
    end = f"{url(participant.pk)}/{order_id}/end"
    assert api_as("judge").post(end, {"reason": "Discharged"}).status_code == 403
    assert errors_by_field(client.post(end, {"reason": " "})) == {
        "reason": "is required: say why it ends, for example 'discharged on appeal'"
    }
    response = client.post(end, {"reason": "Discharged on appeal"})
    assert response.status_code == 200
    assert response.json()["end_reason"] == "Discharged on appeal"
    assert CourtOrder.objects.get(pk=order_id).ended_at is not None
    assert client.post(end, {"reason": "Again"}).status_code == 409
    assert api_as("outsider").post(end, {"reason": "x"}).status_code == 404
    other = make_referral(given_name="Alex").participant
    assert client.post(f"{url(other.pk)}/{order_id}/end", {"reason": "x"}).status_code == 404
