"""Recording and revoking consents to share through the API (security.md SEC-06 to SEC-11,
SEC-39): the sharing pages' service, for the programme team and the treatment provider."""

from datetime import date, timedelta

import pytest

from turnpoint.sharing.models import AuditEntry, ShareConsent
from turnpoint.sharing.reach import decide_for

from .helpers import errors_by_field


def url(participant_id) -> str:
    return f"/api/participants/{participant_id}/share-consents"


@pytest.fixture
def participant(make_referral):
    return make_referral().participant


@pytest.fixture
def consent(users):
    def make(**overrides) -> dict:
        body = {
            "recipient_agency": users["judge"].agency_id,
            "recipient_role": "judge",
            "categories": ["clinical"],
            "purposes": ["court_review"],
            "expires_at": (date.today() + timedelta(days=90)).isoformat(),
            "revocation_statement": "You can withdraw this consent at any time.",
            "revocation_method": "Tell your key worker or write to the programme team.",
            "signature_method": "written",
            "signed_by": "Robin Example",
            "signed_on": date.today().isoformat(),
        }
        body.update(overrides)
        return body

    return make


def test_the_treatment_provider_records_a_consent_that_opens_to_the_judge(
    api_as, participant, consent, users
):
    judge = users["judge"]
    assert not decide_for(judge, "clinical", participant)
    response = api_as("clinician").post(url(participant.pk), consent())
    assert response.status_code == 201, response.content
    stored = ShareConsent.objects.get(participant=participant)
    assert response.json()["id"] == stored.pk
    assert stored.disclosing_agency == users["clinician"].agency
    assert decide_for(judge, "clinical", participant)
    listed = api_as("clinician").get(url(participant.pk)).json()
    assert [c["id"] for c in listed["items"]] == [stored.pk]


@pytest.mark.parametrize("role", ["judge", "prosecutor", "defence"])
def test_a_court_role_is_refused(api_as, participant, consent, role):
    response = api_as(role).post(url(participant.pk), consent())
    assert response.status_code == 403
    assert api_as(role).get(url(participant.pk)).status_code == 403
    assert not ShareConsent.objects.exists()
    assert AuditEntry.objects.filter(action="denied").count() == 2


def test_a_category_the_agency_does_not_hold_is_named(api_as, participant, consent):
    response = api_as("coordinator").post(url(participant.pk), consent())
    assert response.status_code == 400
    assert "is held by the treatment provider" in errors_by_field(response)["categories"]
    response = api_as("clinician").post(url(participant.pk), consent(expires_at=None))
    assert errors_by_field(response) == {"expires_at": "is not a date (use YYYY-MM-DD)"}
    response = api_as("clinician").post(url(participant.pk), consent(recipient_role="x" * 40))
    assert errors_by_field(response)["recipient_role"].startswith("must be one of: ")
    assert not ShareConsent.objects.exists()


def test_out_of_reach_is_not_found(api_as, participant, consent):
    assert api_as("outsider").post(url(participant.pk), consent()).status_code == 404
    assert api_as("outsider").get(url(participant.pk)).status_code == 404
    assert not ShareConsent.objects.exists()


def test_a_repeat_with_the_same_key_records_one_consent(api_as, participant, consent):
    client = api_as("clinician")
    first = client.post(url(participant.pk), consent(), **{"Idempotency-Key": "share-1"})
    second = client.post(url(participant.pk), consent(), **{"Idempotency-Key": "share-1"})
    assert (first.status_code, second.status_code) == (201, 201)
    assert second["Idempotent-Replayed"] == "true" and second.json() == first.json()
    assert ShareConsent.objects.count() == 1


def test_revoking_stops_sharing_at_once(api_as, participant, consent, users, make_referral):
    client = api_as("clinician")
    consent_id = client.post(url(participant.pk), consent()).json()["id"]
    revoke = f"{url(participant.pk)}/{consent_id}/revoke"
    assert api_as("judge").post(revoke, {"how": "x"}).status_code == 403
    assert client.post(revoke, {"how": " "}).status_code == 400
    response = client.post(revoke, {"how": "Wrote to the programme team."})
    assert response.status_code == 200
    assert response.json()["revocation_how"] == "Wrote to the programme team."
    assert not decide_for(users["judge"], "clinical", participant)
    assert client.post(revoke, {"how": "Again"}).status_code == 409
    assert api_as("outsider").post(revoke, {"how": "x"}).status_code == 404
    other = make_referral(given_name="Alex").participant
    assert client.post(f"{url(other.pk)}/{consent_id}/revoke", {"how": "x"}).status_code == 404
