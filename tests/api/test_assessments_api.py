"""Assessments through the API (docs/api.md, "Assessments"): the catalogue, starting an
administration, saving answers with the version read, finishing and scoring, recording an
external assessment, and listing only what the reader may read."""

from datetime import date

import pytest

from turnpoint.assessments.models import Administration
from turnpoint.sharing.models import AuditEntry

from .helpers import errors_by_field

BARC = {f"barc_{n}": 4 for n in range(1, 11)}


@pytest.fixture
def participant(make_referral):
    return make_referral().participant


def start(client, participant, instrument_id="barc-10", **extra):
    body = {"instrument_id": instrument_id, "setting": "intake",
            "administered_on": date.today().isoformat(), **extra}  # fmt: skip
    return client.post(f"/api/participants/{participant.pk}/administrations", body)


def test_the_catalogue_lists_instruments_with_their_licence_and_items(api_as):
    client = api_as("analyst")  # holds no participant data: any signed-in member of staff
    listed = client.get("/api/instruments").json()
    ids = {i["id"] for i in listed["items"]}
    assert {"barc-10", "tp-readiness", "tp-life-domains"} <= ids
    assert all("items" not in i for i in listed["items"])
    barc = client.get("/api/instruments/barc-10").json()
    assert barc["category"] == "strengths" and barc["licence"]["statement"]
    assert [i["id"] for i in barc["items"]][:2] == ["barc_1", "barc_2"]
    assert barc["items"][0]["options"][0]["label"]
    missing = client.get("/api/instruments/no-such-thing")
    assert missing.status_code == 404


def test_start_save_and_complete_with_the_version_read(api_as, participant):
    client = api_as("coordinator")
    started = start(client, participant)
    assert started.status_code == 201, started.content
    body = started.json()
    assert body["status"] == "in_progress" and body["version"] == 1
    url = f"/api/administrations/{body['id']}"
    assert client.patch(url, {"answers": {"barc_1": 5}}).status_code == 428
    saved = client.patch(url, {"answers": {"barc_1": 5}, "version": 1})
    assert saved.status_code == 200 and saved.json()["answers"] == {"barc_1": 5}
    assert saved.headers["ETag"] == '"2"'
    stale = client.patch(url, {"answers": {"barc_1": 2}}, **{"If-Match": '"1"'})
    assert stale.status_code == 412
    refused = client.patch(url, {"answers": {"barc_2": 9}, "version": 2})
    assert refused.status_code == 400 and set(errors_by_field(refused)) == {"barc_2"}
    done = client.post(f"{url}/complete", {"answers": BARC, "version": 2})
    assert done.status_code == 200, done.content
    total = next(s for s in done.json()["scores"]["scales"] if s["id"] == "total")
    assert total["score"] == 40
    again = client.post(f"{url}/complete", {"answers": BARC, "version": 3})
    assert again.status_code == 409
    assert Administration.objects.get(pk=body["id"]).status == "complete"


def test_a_judge_lists_no_strengths_and_cannot_reach_the_administration(api_as, participant):
    administration = start(api_as("coordinator"), participant).json()
    judge = api_as("judge")
    listed = judge.get(f"/api/participants/{participant.pk}/assessments").json()
    assert listed == {"administrations": [], "external_assessments": []}
    url = f"/api/administrations/{administration['id']}"
    assert judge.patch(url, {"answers": {"barc_1": 1}, "version": 1}).status_code == 404
    assert start(judge, participant).status_code == 403


def test_an_external_assessment_is_recorded_and_listed(api_as, participant):
    client = api_as("probation")
    url = f"/api/participants/{participant.pk}/external-assessments"
    refused = client.post(url, {"tool": "", "assessed_on": date.today().isoformat()})
    assert refused.status_code == 400 and {"tool", "level"} <= set(errors_by_field(refused))
    made = client.post(url, {"tool": "LSI-R", "level": "medium", "total": "23",
                             "assessed_on": date.today().isoformat()})  # fmt: skip
    assert made.status_code == 201, made.content
    listed = client.get(f"/api/participants/{participant.pk}/assessments").json()
    assert [e["tool"] for e in listed["external_assessments"]] == ["LSI-R"]
    assert AuditEntry.objects.filter(object_type="externalassessment", action="create").exists()


def test_a_repeated_start_with_the_same_idempotency_key_starts_one(api_as, participant):
    client = api_as("coordinator")
    first = start(client, participant, **{})
    assert first.status_code == 201
    key = {"Idempotency-Key": "start-barc-once"}
    body = {"instrument_id": "barc-10", "setting": "review",
            "administered_on": date.today().isoformat()}  # fmt: skip
    url = f"/api/participants/{participant.pk}/administrations"
    one, two = client.post(url, body, **key), client.post(url, body, **key)
    assert one.status_code == two.status_code == 201 and one.json() == two.json()
    assert Administration.objects.filter(participant=participant).count() == 2


def test_an_administration_reads_as_a_fhir_questionnaire_response(api_as, participant):
    client = api_as("coordinator")
    made = start(client, participant).json()
    url = f"/api/administrations/{made['id']}"
    client.post(f"{url}/complete", {"answers": BARC, "version": 1})
    resource = client.get(f"{url}/fhir").json()
    assert resource["resourceType"] == "QuestionnaireResponse"
    assert resource["status"] == "completed" and len(resource["item"]) == 10
    assert resource["subject"]["reference"] == f"Patient/{participant.reference}"
    assert api_as("judge").get(f"{url}/fhir").status_code == 404
