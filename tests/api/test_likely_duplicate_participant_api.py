"""POST /api/participants refuses a likely duplicate with 409 naming the candidates the caller
may see, unless the request says it is a different person; merge and unmerge by the API."""

from turnpoint.people.models import Participant

from .helpers import ApiClient, new_participant_body


def test_a_likely_duplicate_is_refused_with_409_naming_the_candidates(api_as):
    client = api_as("coordinator")
    first = client.post("/api/participants", new_participant_body())
    assert first.status_code == 201, first.content
    again = client.post("/api/participants", new_participant_body(given_name="JO"))
    assert again.status_code == 409, again.content
    body = again.json()
    assert body["candidates"] == [{
        "id": first.json()["id"], "reference": first.json()["reference"], "name": "Jo Sample",
        "date_of_birth": "1988-02-03",
        "reasons": ["the same name and the same date of birth"],
    }]  # fmt: skip
    assert body["errors"][0]["field"] == "different_person"
    assert Participant.objects.count() == 1


def test_different_person_true_creates_the_record(api_as):
    client = api_as("coordinator")
    assert client.post("/api/participants", new_participant_body()).status_code == 201
    body = new_participant_body(different_person=True)
    response = client.post("/api/participants", body, **{"Idempotency-Key": "k-1"})
    assert response.status_code == 201, response.content
    again = client.post("/api/participants", body, **{"Idempotency-Key": "k-1"})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert Participant.objects.count() == 2


def test_a_repeat_with_the_same_key_is_replayed_not_refused_as_a_duplicate(api_as):
    client = api_as("coordinator")
    first = client.post("/api/participants", new_participant_body(), **{"Idempotency-Key": "k"})
    again = client.post("/api/participants", new_participant_body(), **{"Idempotency-Key": "k"})
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]


def test_no_candidate_outside_the_callers_reach_is_named(api_as, outsider, other_programme):
    assert (
        api_as("coordinator").post("/api/participants", new_participant_body()).status_code == 201
    )
    outsider.role = "coordinator"
    outsider.save()
    body = new_participant_body()
    body["referral"]["programme"] = other_programme.slug
    response = ApiClient(outsider).post("/api/participants", body)
    assert response.status_code == 201, response.content
    assert Participant.objects.count() == 2


def test_the_same_identifier_is_a_likely_duplicate(api_as):
    client = api_as("coordinator")
    police = [{"kind": "police", "value": "2019/0012345A"}]
    assert (
        client.post("/api/participants", new_participant_body(identifiers=police)).status_code
        == 201
    )
    same = [{"kind": "police", "value": "2019 0012345 a"}]
    other = new_participant_body(given_name="Kim", family_name="Other",
                                 date_of_birth="1970-01-01", identifiers=same)  # fmt: skip
    response = client.post("/api/participants", other)
    assert response.status_code == 409
    assert response.json()["candidates"][0]["reasons"] == [
        "the same Police National Computer number or police reference"
    ]


def test_a_bad_identifier_is_named_by_its_path(api_as):
    body = new_participant_body(identifiers=[{"kind": "court_case", "value": "T1"},
                                             {"kind": "prison", "value": "?!"}])  # fmt: skip
    response = api_as("coordinator").post("/api/participants", body)
    assert response.status_code == 400
    assert response.json()["errors"] == [{
        "field": "identifiers.1.value",
        "reason": "may contain only letters, digits, spaces, hyphens and slashes",
    }]  # fmt: skip
    assert not Participant.objects.exists()


def test_merge_and_unmerge_through_the_api(api_as):
    client = api_as("coordinator")
    kept = client.post("/api/participants", new_participant_body()).json()["id"]
    other = client.post("/api/participants", new_participant_body(different_person=True))
    duplicate = other.json()["id"]
    assert api_as("casemanager").post(f"/api/participants/{kept}/merge",
                                      {"duplicate": duplicate}).status_code == 403  # fmt: skip
    merged = client.post(f"/api/participants/{kept}/merge", {"duplicate": duplicate})
    assert merged.status_code == 201, merged.content
    assert merged.json()["moved"] == {"journeys.Referral": 1}
    assert client.get(f"/api/participants/{duplicate}").status_code == 404
    assert len(client.get(f"/api/participants/{kept}").json()["referrals"]) == 2
    undone = client.post(f"/api/participants/{kept}/unmerge", {"merge": merged.json()["id"]})
    assert undone.status_code == 200, undone.content
    assert client.get(f"/api/participants/{duplicate}").status_code == 200
    assert len(client.get(f"/api/participants/{kept}").json()["referrals"]) == 1


def test_a_judge_reads_legal_identifiers_but_no_health_number(api_as):
    created = api_as("coordinator").post("/api/participants", new_participant_body(
        identifiers=[{"kind": "court_case", "value": "T20240001"}]))  # fmt: skip
    pk = created.json()["id"]
    added = api_as("clinician").post(f"/api/participants/{pk}/identifiers",
                                     {"kind": "nhs", "value": "943 476 5919"})  # fmt: skip
    assert added.status_code == 201, added.content
    judge = api_as("judge").get(f"/api/participants/{pk}").json()
    assert [(i["kind"], i["value"]) for i in judge["identifiers"]] == [("court_case", "T20240001")]
    clinician = api_as("clinician").get(f"/api/participants/{pk}").json()
    assert clinician["identifiers"] == [
        {"id": added.json()["id"], "kind": "nhs", "value": "943 476 5919"}
    ]
    wrong = api_as("clinician").post(f"/api/participants/{pk}/identifiers",
                                     {"kind": "nhs", "value": "943 476 5918"})  # fmt: skip
    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["field"] == "value"
