"""On the participant page: the eligibility step shows the programme's rules not met and asks for
an override reason; a refusal names the rule next to that field; an override, once recorded, is
shown on the journey in words."""

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from turnpoint.journeys.models import Referral
from turnpoint.journeys.services import referral_transition

from .helpers import date_fields, text, walk

ADULT_RULE = "Adults aged 18 or over"


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(datetime(2026, 6, 15, 12, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def under_age(make_referral, coordinator):
    referral = make_referral(given_name="Robin", family_name="Example")
    participant = referral.participant
    participant.date_of_birth = referral.offence_date - timedelta(days=16 * 366)
    participant.save(update_fields=["date_of_birth"])
    walk(referral, coordinator, "eligibility")
    return referral


def post_assessment(client, referral, **fields):
    referral.refresh_from_db()
    data = {"action": "assessment", "expected_version": referral.version,
            **date_fields("occurred_on", referral.referral_date + timedelta(days=3)),
            **fields}  # fmt: skip
    return client.post(f"/referrals/{referral.pk}/transition/", data)


def field_error(response, field_id) -> str:
    body = html.unescape(text(response))
    found = re.search(rf'id="{field_id}-error"[^>]*>(.*?)</p>', body, re.S)
    assert found, f"no error shown for {field_id}"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def test_the_eligibility_step_shows_the_rule_not_met_and_asks_for_a_reason(page_as, under_age):
    url = f"/participants/{under_age.participant_id}/"
    page = html.unescape(text(page_as("coordinator").get(url)))
    assert f"Not met: {ADULT_RULE}." in page
    assert f'id="r{under_age.pk}-assessment-override_reason"' in page


def test_a_refusal_names_the_rule_next_to_the_override_field(page_as, under_age):
    response = post_assessment(page_as("coordinator"), under_age)
    assert response.status_code == 400
    error = field_error(response, f"r{under_age.pk}-assessment-override_reason")
    assert ADULT_RULE in error and "is required" in error
    assert Referral.objects.get(pk=under_age.pk).state == "eligibility"


def test_a_role_that_may_not_override_is_told_who_may(page_as, under_age):
    response = post_assessment(page_as("casemanager"), under_age,
                               override_reason="It fits the programme")  # fmt: skip
    assert response.status_code == 400
    error = field_error(response, f"r{under_age.pk}-assessment-override_reason")
    assert "only the programme coordinator may override it" in error
    assert Referral.objects.get(pk=under_age.pk).state == "eligibility"


def test_the_override_is_recorded_and_shown_on_the_journey(page_as, under_age):
    client = page_as("coordinator")
    response = post_assessment(client, under_age, override_reason="Turns 18 next month")
    assert response.status_code == 302
    page = html.unescape(text(client.get(f"/participants/{under_age.participant_id}/")))
    timeline = page.split(f'id="referral-{under_age.pk}-timeline"')[1]
    assert (
        "Override by the programme coordinator: Turns 18 next month — rule not met: "
        f"{ADULT_RULE}" in timeline
    )


def test_a_correction_into_an_early_completion_asks_for_an_override(
    page_as, make_referral, coordinator
):
    referral = make_referral(given_name="Sam", family_name="Example")
    walk(referral, coordinator, "episode")
    referral.refresh_from_db()
    ended = referral_transition(
        referral, acting_user=coordinator, to_state="exit",
        occurred_on=referral.referral_date + timedelta(days=10),
        exit_type="participant_withdrew", reason="Chose to stop",
    )  # fmt: skip
    client = page_as("coordinator")
    url = f"/referrals/{referral.pk}/steps/{ended.pk}/correct/"
    form = {"expected_version": Referral.objects.get(pk=referral.pk).version,
            **date_fields("occurred_on", ended.occurred_on), "step_reason": "Chose to stop",
            "exit_type": "completed", "reason": "Recorded the wrong ending"}  # fmt: skip
    refused = client.post(url, form)
    assert refused.status_code == 400
    error = field_error(refused, "id_override_reason")
    assert "completion comes after at least 26 weeks on the programme" in error
    saved = client.post(url, {**form, "override_reason": "The court ended it as completed"})
    assert saved.status_code == 302
    page = html.unescape(text(client.get(f"/participants/{referral.participant_id}/")))
    assert "Override by the programme coordinator: The court ended it as completed" in page
