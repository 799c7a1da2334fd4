"""POST /api/participants/{id}/identifiers/{id}/withdraw and .../contact-details/{id}/withdraw:
the row is kept and given under `withdrawn_identifiers` / `withdrawn_contact_details`."""

from turnpoint.people.models import ExternalIdentifier

from .helpers import new_participant_body


def _participant_with_a_prison_number(api_as):
    created = api_as("coordinator").post("/api/participants", new_participant_body(
        identifiers=[{"kind": "prison", "value": "A1234BC"}],
        contact_details=[{"kind": "phone", "value": "+44 20 7946 0000"}]))  # fmt: skip
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    body = api_as("coordinator").get(f"/api/participants/{pk}").json()
    return pk, body["identifiers"][0]["id"], body["contact_details"][0]["id"]


def test_withdraw_an_identifier_and_read_it_under_withdrawn(api_as):
    pk, identifier, _ = _participant_with_a_prison_number(api_as)
    client = api_as("coordinator")
    url = f"/api/participants/{pk}/identifiers/{identifier}/withdraw"
    done = client.post(url, {"reason": "Mistyped"}, **{"Idempotency-Key": "w-1"})
    assert done.status_code == 200, done.content
    assert done.json()["withdrawn_reason"] == "Mistyped"
    assert done.json()["withdrawn_by"] == "coordinator"
    replay = client.post(url, {"reason": "Mistyped"}, **{"Idempotency-Key": "w-1"})
    assert replay.status_code == 200 and replay.json() == done.json()
    read = client.get(f"/api/participants/{pk}").json()
    assert read["identifiers"] == []
    assert [
        (i["id"], i["value"], i["withdrawn_reason"]) for i in read["withdrawn_identifiers"]
    ] == [(identifier, "A1234BC", "Mistyped")]
    again = client.post(url, {"reason": "Again"})
    assert again.status_code == 400
    assert again.json()["errors"][0]["field"] == "reason"
    assert ExternalIdentifier.objects.get(pk=identifier).withdrawn_reason == "Mistyped"


def test_a_reason_is_required(api_as):
    pk, identifier, _ = _participant_with_a_prison_number(api_as)
    url = f"/api/participants/{pk}/identifiers/{identifier}/withdraw"
    refused = api_as("coordinator").post(url, {"reason": " "})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "reason"
    assert ExternalIdentifier.objects.get(pk=identifier).withdrawn_at is None


def test_a_coordinator_cannot_withdraw_a_health_number_and_a_judge_sees_none(api_as):
    pk, _, _ = _participant_with_a_prison_number(api_as)
    added = api_as("clinician").post(f"/api/participants/{pk}/identifiers",
                                     {"kind": "nhs", "value": "943 476 5919"})  # fmt: skip
    nhs = added.json()["id"]
    url = f"/api/participants/{pk}/identifiers/{nhs}/withdraw"
    assert api_as("coordinator").post(url, {"reason": "Wrong"}).status_code == 404
    assert api_as("judge").post(url, {"reason": "Wrong"}).status_code == 404
    assert api_as("clinician").post(url, {"reason": "Wrong person"}).status_code == 200
    judge = api_as("judge").get(f"/api/participants/{pk}").json()
    assert judge["withdrawn_identifiers"] == []


def test_a_judge_reads_but_may_not_withdraw_and_an_outsider_finds_nothing(api_as):
    pk, identifier, contact = _participant_with_a_prison_number(api_as)
    url = f"/api/participants/{pk}/identifiers/{identifier}/withdraw"
    assert api_as("judge").post(url, {"reason": "Wrong"}).status_code == 403
    assert api_as("outsider").post(url, {"reason": "Wrong"}).status_code == 404
    contact_url = f"/api/participants/{pk}/contact-details/{contact}/withdraw"
    assert api_as("outsider").post(contact_url, {"reason": "Old"}).status_code == 404
    assert api_as("judge").post(contact_url, {"reason": "Old"}).status_code == 403
    done = api_as("coordinator").post(contact_url, {"reason": "Old number"})
    assert done.status_code == 200, done.content
    read = api_as("coordinator").get(f"/api/participants/{pk}").json()
    assert read["contact_details"] == []
    assert read["withdrawn_contact_details"][0]["withdrawn_reason"] == "Old number"
    # An identifier of another participant is not found under this one.
    _, other_identifier, _ = _participant_with_a_prison_number_for(api_as, "Other")
    wrong = f"/api/participants/{pk}/identifiers/{other_identifier}/withdraw"
    assert api_as("coordinator").post(wrong, {"reason": "x"}).status_code == 404


def _participant_with_a_prison_number_for(api_as, family_name):
    created = api_as("coordinator").post("/api/participants", new_participant_body(
        family_name=family_name, date_of_birth="1960-05-05",
        identifiers=[{"kind": "court_case", "value": "T1999"}],
        contact_details=[{"kind": "email", "value": "x@example.com"}]))  # fmt: skip
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    body = api_as("coordinator").get(f"/api/participants/{pk}").json()
    return pk, body["identifiers"][0]["id"], body["contact_details"][0]["id"]
