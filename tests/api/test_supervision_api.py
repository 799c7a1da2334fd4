"""Appointments and drug tests through the API (turnpoint/api/supervision.py, docs/api.md)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from supervision_helpers import on_episode

from turnpoint.sharing.models import AuditEntry
from turnpoint.supervision.models import Appointment, DrugTest


@pytest.fixture
def dtto(users, programmes, make_referral, coordinator):
    for user in users.values():
        user.programmes.add(programmes["scotland-dtto"])
    return on_episode(
        make_referral(programme=programmes["scotland-dtto"], source="court"), coordinator
    )


@pytest.fixture
def ghent(make_referral, coordinator):
    return on_episode(make_referral(given_name="Gert", family_name="Claes"), coordinator)


def _iso(**delta):
    return (timezone.now() + timedelta(**delta)).isoformat()


def _errors(response) -> dict:
    return {e["field"]: e["reason"] for e in response.json()["errors"]}


def test_book_then_record_the_outcome_with_the_version(api_as, ghent):
    client = api_as("casemanager")
    base = f"/api/participants/{ghent.participant_id}/appointments"
    body = {
        "referral_id": ghent.pk,
        "kind": "supervision_meeting",
        "starts_at": _iso(hours=-2),
        "place": "Programme office",
        "with_user": "clinician",
    }
    created = client.post(base, body, **{"Idempotency-Key": "book-1"})
    assert created.status_code == 201, created.content
    again = client.post(base, body, **{"Idempotency-Key": "book-1"})
    assert again.status_code == 201 and again.json() == created.json()
    assert Appointment.objects.count() == 1
    appointment = created.json()
    assert appointment["with_user"] == "clinician" and appointment["version"] == 1

    url = f"{base}/{appointment['id']}"
    assert client.patch(url, {"outcome": "attended"}).status_code == 428
    done = client.patch(url, {"outcome": "attended", "version": 1})
    assert done.status_code == 200, done.content
    assert (done.json()["outcome"], done.json()["version"]) == ("attended", 2)
    assert done.json()["outcome_recorded_by"] == "casemanager"
    stale = client.patch(url, {"outcome": "missed", "version": 1})
    assert stale.status_code == 412 and "version" in _errors(stale)
    listed = client.get(base).json()
    assert listed["count"] == 1 and listed["items"][0]["outcome"] == "attended"
    # The judge reads attendance; the prosecutor does not.
    assert api_as("judge").get(base).json()["count"] == 1
    assert api_as("prosecutor").get(base).status_code == 403


def test_booking_refusals_name_the_field(api_as, ghent):
    base = f"/api/participants/{ghent.participant_id}/appointments"
    response = api_as("coordinator").post(
        base,
        {
            "referral_id": ghent.pk,
            "kind": "coffee",
            "starts_at": _iso(days=1),
            "with_user": "outsider",
        },
    )
    assert response.status_code == 400
    assert "with_user" in _errors(response)
    response = api_as("coordinator").post(
        base, {"referral_id": ghent.pk, "kind": "coffee", "starts_at": _iso(days=1)}
    )
    assert response.status_code == 400 and "kind" in _errors(response)
    assert not Appointment.objects.exists()


def test_reschedule_books_the_new_appointment(api_as, ghent):
    client = api_as("coordinator")
    base = f"/api/participants/{ghent.participant_id}/appointments"
    first = client.post(
        base, {"referral_id": ghent.pk, "kind": "treatment_session", "starts_at": _iso(days=1)}
    ).json()
    moved = client.post(
        f"{base}/{first['id']}/reschedule", {"starts_at": _iso(days=4), "version": 1}
    )
    assert moved.status_code == 201, moved.content
    old = Appointment.objects.get(pk=first["id"])
    assert old.outcome == "rescheduled" and old.rescheduled_to_id == moved.json()["id"]


def test_a_test_with_results_and_its_interpretation_travel_together(api_as, dtto):
    client = api_as("probation")
    base = f"/api/participants/{dtto.participant_id}/drug-tests"
    body = {
        "referral_id": dtto.pk,
        "collected_at": _iso(hours=-60),
        "specimen": "urine",
        "purpose": "forensic",
        "witnessed": True,
        "results_received_at": _iso(hours=-1),
        "results": [
            {
                "substance": "opiates",
                "result": "positive",
                "confirmed": True,
                "confirmation_method": "LC/MS",
            }
        ],
    }
    refused = client.post(
        base, {**body, "results": [{"substance": "kratom", "result": "positive"}]}
    )
    assert refused.status_code == 400
    assert "'kratom' is not a substance of the panel" in _errors(refused)["results"]
    assert not DrugTest.objects.exists()
    created = client.post(base, body)
    assert created.status_code == 201, created.content
    test = created.json()
    assert test["turnaround_hours"] == 59.0 and test["category"] == "drug_tests"
    url = f"{base}/{test['id']}/interpretation"
    note = "A lapse after a bereavement; attending every session."
    assert client.post(url, {"interpretation": note}).status_code == 428
    assert (
        api_as("coordinator").post(url, {"interpretation": note, "version": 1}).status_code == 403
    )
    done = client.post(url, {"interpretation": note, "version": 1})
    assert done.status_code == 200 and done.json()["interpretation"] == note
    # The DTTO's court receives test results: the judge reads the result with its reading, and
    # the read is audited.
    judge = api_as("judge").get(base)
    assert judge.status_code == 200
    item = judge.json()["items"][0]
    assert item["interpretation"] == note and item["results"][0]["result"] == "positive"
    entry = AuditEntry.objects.filter(action="read", username="judge").latest("id")
    assert entry.categories == ["drug_tests"] and entry.participant_ids == [dtto.participant_id]


def test_the_ghent_court_reads_no_test_results(api_as, ghent):
    base = f"/api/participants/{ghent.participant_id}/drug-tests"
    recorded = api_as("coordinator").post(
        base,
        {
            "referral_id": ghent.pk,
            "collected_at": _iso(hours=-3),
            "specimen": "oral_fluid",
            "purpose": "forensic",
        },
    )
    assert recorded.status_code == 201, recorded.content
    assert api_as("coordinator").get(base).json()["count"] == 1
    refused = api_as("judge").get(base)
    assert refused.status_code == 403
    assert AuditEntry.objects.filter(action="denied", username="judge").exists()
