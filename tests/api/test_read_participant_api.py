"""Reading one participant through the API: reach, minimum necessary, audit."""

import pytest

from turnpoint.people.models import Participant
from turnpoint.sharing.categories import TREATMENT
from turnpoint.sharing.models import AuditEntry
from turnpoint.sharing.reach import readable_categories

from .helpers import LEGAL_KEYS, REACHING, ROLES, TREATMENT_KEYS, all_keys, errors_by_field


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_a_participant_only_within_reach(api_as, make_referral, role):
    referral = make_referral()
    response = api_as(role).get(f"/api/participants/{referral.participant_id}")
    if role in REACHING:
        assert response.status_code == 200
        assert response.json()["given_name"] == "Robin"
    else:
        assert response.status_code == 404
        assert "Robin" not in response.content.decode()
        assert response.json() == {"errors": [{"field": "", "reason": "not found"}]}


def test_missing_and_forbidden_participants_get_the_same_answer(api_as, make_referral):
    referral = make_referral()
    client = api_as("outsider")
    forbidden = client.get(f"/api/participants/{referral.participant_id}")
    missing = client.get("/api/participants/999999")
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.content == missing.content


def test_the_judge_sees_identity_and_legal_facts_but_no_treatment_keys(api_as, make_referral):
    referral = make_referral(offence_summary="Shoplifting, twice")
    body = api_as("judge").get(f"/api/participants/{referral.participant_id}").json()
    keys = all_keys(body)
    assert not keys & TREATMENT_KEYS
    assert not keys & {c.value for c in TREATMENT}
    assert body["referrals"][0]["offence_summary"] == "Shoplifting, twice"


def test_the_clinician_gets_no_legal_facts(api_as, make_referral):
    referral = make_referral(offence_summary="Shoplifting, twice")
    response = api_as("clinician").get(f"/api/participants/{referral.participant_id}")
    body = response.json()
    assert body["referrals"][0]["state"] == "referral"
    assert not all_keys(body) & LEGAL_KEYS
    assert "Shoplifting" not in response.content.decode()


def test_no_field_of_an_unreadable_category_reaches_any_role(api_as, make_referral, users):
    """SEC-04 for every role that reaches the participant: each key shown belongs to a category
    the policy lets that role read (the category of each key comes from the API's shapes)."""
    from turnpoint.api.participants import PARTICIPANT
    from turnpoint.api.referrals import REFERRAL

    referral = make_referral()
    category_of = {}
    for shape in (PARTICIPANT, REFERRAL):
        for category, names in shape.by_category.items():
            category_of.update(dict.fromkeys(names, category))
    for role in REACHING:
        body = api_as(role).get(f"/api/participants/{referral.participant_id}").json()
        readable = readable_categories(users[role], programme=referral.programme)
        shown = {category_of[k] for k in all_keys(body) if k in category_of}
        assert shown <= readable, role


def test_reading_legal_facts_writes_one_audit_row(api_as, make_referral):
    referral = make_referral()
    before = AuditEntry.objects.filter(action="read").count()
    api_as("prosecutor").get(f"/api/participants/{referral.participant_id}")
    rows = AuditEntry.objects.filter(action="read")
    assert rows.count() == before + 1
    row = rows.latest("id")
    assert (row.username, row.participant_ids, row.categories) == (
        "prosecutor",
        [referral.participant_id],
        ["legal"],
    )


def test_the_clinician_reads_no_sensitive_category_so_no_audit_row(api_as, make_referral):
    referral = make_referral()
    api_as("clinician").get(f"/api/participants/{referral.participant_id}")
    assert not AuditEntry.objects.filter(action="read").exists()


def test_the_etag_is_the_version(api_as, make_referral):
    referral = make_referral()
    response = api_as("coordinator").get(f"/api/participants/{referral.participant_id}")
    stored = Participant.objects.get(pk=referral.participant_id)
    assert response["ETag"] == f'"{stored.version}"'
    assert response.json()["version"] == stored.version
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("pk", [0, -3, 2**63, 10**30])
def test_ids_no_database_can_hold_are_not_found(api_as, make_referral, pk):
    make_referral()
    client = api_as("coordinator")
    for path in (f"/api/participants/{pk}", f"/api/referrals/{pk}", f"/api/episodes/{pk}",
                 f"/api/referrals/{pk}/transitions"):  # fmt: skip
        assert client.get(path).status_code == 404, path


def test_an_id_that_is_not_a_number_is_named(api_as, users):
    response = api_as("coordinator").get("/api/participants/abc")
    assert response.status_code == 400
    assert errors_by_field(response) == {"participant_id": "is not a whole number"}
