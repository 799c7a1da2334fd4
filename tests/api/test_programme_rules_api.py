"""Through the API, a step that breaks one of the programme's rules is refused with 422 naming
the rule, or recorded with the override reason of a role the programme allows."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from turnpoint.journeys.models import Referral

from .helpers import TO_EPISODE, errors_by_field, walk

ADULT_RULE = "Adults aged 18 or over"


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(datetime(2026, 6, 15, 12, tzinfo=UTC), tick=False):
        yield


def steps_url(referral):
    return f"/api/referrals/{referral.pk}/transitions"


def under_age(make_referral):
    referral = make_referral()
    participant = referral.participant
    participant.date_of_birth = referral.offence_date - timedelta(days=16 * 366)
    participant.save(update_fields=["date_of_birth"])
    return referral


def test_the_eligibility_step_is_refused_with_422_naming_the_rule(api_as, make_referral):
    referral = under_age(make_referral)
    client = api_as("coordinator")
    walk(client, referral.pk, TO_EPISODE[:2])
    response = client.post(steps_url(referral), {"to_state": "assessment"})
    assert response.status_code == 422
    reason = errors_by_field(response)["override_reason"]
    assert reason == f"is required to go on although a programme rule is not met: {ADULT_RULE}"
    assert Referral.objects.get(pk=referral.pk).state == "eligibility"


def test_a_role_the_programme_does_not_allow_is_refused_with_422(api_as, make_referral):
    referral = under_age(make_referral)
    client = api_as("casemanager")
    walk(client, referral.pk, TO_EPISODE[:2])
    body = {"to_state": "assessment", "override_reason": "We think it fits"}
    response = client.post(steps_url(referral), body)
    assert response.status_code == 422
    reason = errors_by_field(response)["override_reason"]
    assert "only the programme coordinator may override it" in reason and ADULT_RULE in reason
    assert Referral.objects.get(pk=referral.pk).state == "eligibility"


def test_the_coordinators_override_is_recorded_and_returned(api_as, make_referral):
    referral = under_age(make_referral)
    client = api_as("coordinator")
    walk(client, referral.pk, TO_EPISODE[:2])
    response = client.post(steps_url(referral), {
        "to_state": "assessment", "override_reason": "Turns 18 before the first hearing",
    })  # fmt: skip
    assert response.status_code == 201, response.content
    data = response.json()["transition"]["data"]
    assert data["override"] == {"rules": [ADULT_RULE], "reason": "Turns 18 before the first "
                                "hearing", "role": "coordinator"}  # fmt: skip
    assert {"reason": ADULT_RULE, "passed": False} in data["eligibility"]
    listed = client.get(steps_url(referral)).json()["items"]
    assert listed[-1]["data"]["override"]["reason"] == "Turns 18 before the first hearing"


def test_an_early_completion_is_refused_naming_the_minimum(api_as, make_referral):
    referral = make_referral()
    client = api_as("coordinator")
    walk(client, referral.pk)
    response = client.post(steps_url(referral), {
        "to_state": "exit", "exit_type": "completed", "reason": "All done",
        "occurred_on": date.today().isoformat(),
    })  # fmt: skip
    assert response.status_code == 422
    assert (
        "completion comes after at least 26 weeks on the programme"
        in (errors_by_field(response)["override_reason"])
    )


def test_the_openapi_document_offers_the_override_reason(api_as):
    schema = api_as("coordinator").get("/api/openapi.json").json()
    body = schema["components"]["schemas"]["TransitionIn"]["properties"]
    assert "override_reason" in body
    assert "programme's rules" in body["override_reason"]["description"]


def test_a_correction_that_breaks_a_rule_is_refused_with_422_or_overridden(api_as, make_referral):
    referral = make_referral()
    client = api_as("coordinator")
    walk(client, referral.pk)
    ended = client.post(steps_url(referral), {
        "to_state": "exit", "exit_type": "participant_withdrew", "reason": "Chose to stop",
    }).json()["transition"]  # fmt: skip
    url = f"{steps_url(referral)}/{ended['id']}/correction"
    refused = client.post(url, {"reason": "Wrong type", "exit_type": "completed"})
    assert refused.status_code == 422
    assert "completion comes after at least 26 weeks" in errors_by_field(refused)["override_reason"]
    body = {"reason": "Wrong type", "exit_type": "completed",
            "override_reason": "Completed early, as the court agreed"}  # fmt: skip
    accepted = client.post(url, body)
    assert accepted.status_code == 201, accepted.content
    override = accepted.json()["transition"]["data"]["override"]
    assert (override["reason"], override["role"]) == (
        "Completed early, as the court agreed", "coordinator"
    )  # fmt: skip
