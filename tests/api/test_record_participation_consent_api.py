"""Recording the participant's consent to take part through the API: the page's service and
rules (only before the episode, one current consent, only roles that record legal facts)."""

from datetime import date

import pytest

from turnpoint.journeys.models import Episode
from turnpoint.sharing.models import AuditEntry, ParticipationConsent

from .helpers import TO_EPISODE, errors_by_field, walk


def consent_body(**overrides) -> dict:
    body = {
        "alternatives_explained": "Ordinary prosecution and the sentence the court would pass.",
        "coercion": "legal_pressure",
        "agreed_max_weeks": 30,
        "custodial_weeks_replaced": 30,
        "non_completion_explained": "The case returns to the court.",
        "right_to_withdraw_explained": True,
        "signed_by": "Robin Example",
        "signed_on": date.today().isoformat(),
    }
    body.update(overrides)
    return body


def url(referral) -> str:
    return f"/api/referrals/{referral.pk}/participation-consents"


def test_a_coordinator_records_consent_and_the_episode_can_start(api_as, make_referral):
    referral = make_referral()
    client = api_as("coordinator")
    walk(client, referral.pk, TO_EPISODE[:-1])
    response = client.post(url(referral), consent_body())
    assert response.status_code == 201, response.content
    body = response.json()
    consent = ParticipationConsent.objects.get(referral=referral)
    assert body["id"] == consent.pk
    assert (body["coercion"], body["agreed_max_weeks"], body["recorded_by"]) == (
        "legal_pressure", 30, "coordinator"
    )  # fmt: skip
    assert body["withdrawn_at"] is None
    assert AuditEntry.objects.filter(
        action="create", object_type__icontains="participationconsent", object_id=str(consent.pk)
    ).exists()
    step = client.post(f"/api/referrals/{referral.pk}/transitions", TO_EPISODE[-1])
    assert step.status_code == 201, step.content
    assert Episode.objects.get(referral=referral).ended_on is None


@pytest.mark.parametrize("role", ["judge", "clinician", "prosecutor", "defence"])
def test_a_role_that_does_not_record_legal_facts_is_refused(api_as, make_referral, role):
    referral = make_referral()
    response = api_as(role).post(url(referral), consent_body())
    assert response.status_code == 403
    assert errors_by_field(response)[""]
    assert not ParticipationConsent.objects.filter(referral=referral).exists()
    denied = AuditEntry.objects.filter(action="denied").latest("id")
    assert denied.detail["route"] == f"POST {url(referral)}"


def test_the_services_rules_name_the_field(api_as, make_referral):
    referral = make_referral()
    response = api_as("coordinator").post(
        url(referral),
        consent_body(agreed_max_weeks=40, custodial_weeks_replaced=50,
                     right_to_withdraw_explained=False),
    )  # fmt: skip
    assert response.status_code == 400
    problems = errors_by_field(response)
    assert problems["agreed_max_weeks"] == "is longer than the programme's maximum of 35 weeks"
    assert problems["right_to_withdraw_explained"] == "the right to withdraw must be explained"
    assert not ParticipationConsent.objects.filter(referral=referral).exists()


def test_longer_than_the_custody_it_replaces_is_refused(api_as, make_referral):
    referral = make_referral()
    response = api_as("coordinator").post(
        url(referral), consent_body(agreed_max_weeks=20, custodial_weeks_replaced=12)
    )
    assert response.status_code == 400
    assert "12 weeks of custody" in errors_by_field(response)["agreed_max_weeks"]


def test_missing_and_unknown_fields_are_named(api_as, make_referral):
    referral = make_referral()
    body = consent_body(recorded_by="someone else")
    del body["signed_by"]
    response = api_as("coordinator").post(url(referral), body)
    assert response.status_code == 400
    assert errors_by_field(response) == {
        "signed_by": "is required",
        "recorded_by": "is not a field you can set",
    }


def test_out_of_reach_is_not_found(api_as, make_referral):
    referral = make_referral()
    response = api_as("outsider").post(url(referral), consent_body())
    assert response.status_code == 404
    assert api_as("coordinator").post("/api/referrals/999999/participation-consents",
                                      consent_body()).status_code == 404  # fmt: skip
    assert not ParticipationConsent.objects.exists()


def test_a_second_consent_and_one_after_the_episode_are_conflicts(api_as, make_referral):
    referral = make_referral()
    client = api_as("coordinator")
    assert client.post(url(referral), consent_body()).status_code == 201
    again = client.post(url(referral), consent_body())
    assert again.status_code == 409
    assert "already has a consent to take part" in errors_by_field(again)[""]
    walk(client, referral.pk, TO_EPISODE[:-1])
    assert (
        client.post(f"/api/referrals/{referral.pk}/transitions", TO_EPISODE[-1]).status_code == 201
    )
    consent = ParticipationConsent.objects.get(referral=referral)
    client.post(f"{url(referral)}/{consent.pk}/withdraw", {"how": "Told the team in person."})
    late = client.post(url(referral), consent_body())
    assert late.status_code == 409
    assert "before the episode starts" in errors_by_field(late)[""]
    assert ParticipationConsent.objects.filter(referral=referral).count() == 1


def test_a_repeat_with_the_same_key_records_one_consent(api_as, make_referral):
    referral = make_referral()
    client = api_as("casemanager")
    first = client.post(url(referral), consent_body(), **{"Idempotency-Key": "consent-1"})
    second = client.post(url(referral), consent_body(), **{"Idempotency-Key": "consent-1"})
    assert (first.status_code, second.status_code) == (201, 201)
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert ParticipationConsent.objects.filter(referral=referral).count() == 1


def test_withdrawing_records_how_and_a_second_withdrawal_conflicts(api_as, make_referral):
    referral = make_referral()
    client = api_as("coordinator")
    consent_id = client.post(url(referral), consent_body()).json()["id"]
    withdraw = f"{url(referral)}/{consent_id}/withdraw"
    assert api_as("judge").post(withdraw, {"how": "Told the judge."}).status_code == 403
    assert client.post(withdraw, {"how": " "}).status_code == 400
    response = client.post(withdraw, {"how": "Told her key worker in person."})
    assert response.status_code == 200
    assert response.json()["withdrawn_how"] == "Told her key worker in person."
    assert ParticipationConsent.objects.get(pk=consent_id).withdrawn_at is not None
    assert client.post(withdraw, {"how": "Again."}).status_code == 409
    assert api_as("outsider").post(withdraw, {"how": "x"}).status_code == 404
    other = make_referral(given_name="Alex")
    assert client.post(f"{url(other)}/{consent_id}/withdraw", {"how": "x"}).status_code == 404


def test_the_list_shows_legal_facts_only_to_roles_that_read_them(api_as, make_referral):
    referral = make_referral()
    api_as("coordinator").post(url(referral), consent_body())
    judge = api_as("judge").get(url(referral))
    assert judge.status_code == 200
    assert judge.json()["items"][0]["coercion"] == "legal_pressure"
    clinician = api_as("clinician").get(url(referral)).json()
    assert clinician["count"] == 1
    assert set(clinician["items"][0]) == {"id", "referral_id", "participant_id"}
    assert api_as("outsider").get(url(referral)).status_code == 404
