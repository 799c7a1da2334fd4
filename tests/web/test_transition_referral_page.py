"""Recording the next step of a referral from the participant page: one form per allowed step,
refused steps named by field, stale pages refused, court roles offered nothing."""

import re
from datetime import timedelta

import pytest
from participation_helpers import consent_to_take_part

from turnpoint.journeys.models import Episode, Referral, Transition

from .helpers import date_fields, text, walk


@pytest.fixture
def referral(make_referral):
    return make_referral(given_name="Robin", family_name="Example")


def post(client, referral, action, **fields):
    referral.refresh_from_db()
    day = fields.pop("day", referral.referral_date + timedelta(days=1))
    data = {
        "action": action,
        "expected_version": referral.version,
        **date_fields("occurred_on", day),
    }
    data.update(fields)
    return client.post(f"/referrals/{referral.pk}/transition/", data)


def stored(referral):
    return Referral.objects.get(pk=referral.pk)


def summary(response) -> list[tuple[str, str]]:
    body = text(response).split('class="govuk-error-summary"')[1].split("</ul>")[0]
    return re.findall(r'<li>(?:<a href="#([^"]+)">)?([^<]+)', body)


def test_coordinator_starts_screening(page_as, referral, coordinator):
    response = post(page_as("coordinator"), referral, "screening", reason="Seen at the station")
    assert response.status_code == 302
    assert (
        response["Location"] == f"/participants/{referral.participant_id}/#referral-{referral.pk}"
    )
    after = stored(referral)
    assert after.state == "screening" and after.version == referral.version + 1
    step = after.transitions.latest("id")
    assert (step.from_state, step.to_state, step.acting_user) == (
        "referral",
        "screening",
        coordinator,
    )
    assert step.occurred_on == referral.referral_date + timedelta(days=1)
    assert step.reason == "Seen at the station"


def test_success_message_and_timeline_show_the_step(page_as, referral):
    client = page_as("coordinator")
    post(client, referral, "screening")
    html = text(client.get(f"/participants/{referral.participant_id}/"))
    assert "Start screening: recorded for Robin Example." in html
    assert "Moved to screening" in html


def test_page_offers_one_form_per_allowed_step(page_as, referral):
    html = text(page_as("coordinator").get(f"/participants/{referral.participant_id}/"))
    offered = re.findall(r'name="action" value="([^"]+)"', html)
    assert offered == ["screening", "left"]


def test_recommendation_needs_a_disposal_and_is_stored(page_as, referral, coordinator):
    walk(referral, coordinator, "recommendation")
    client = page_as("coordinator")
    day = referral.referral_date + timedelta(days=5)
    refused = post(client, referral, "decision", day=day)
    assert refused.status_code == 400
    assert summary(refused) == [
        (f"r{referral.pk}-decision-recommended_disposal", "Select the recommended disposal")
    ]
    assert stored(referral).state == "recommendation"
    accepted = post(client, referral, "decision", day=day, recommended_disposal="programme")
    assert accepted.status_code == 302
    assert stored(referral).recommended_disposal == "programme"


def test_starting_the_programme_needs_consent_to_take_part(page_as, referral, coordinator):
    walk(referral, coordinator, "decision")
    response = post(
        page_as("coordinator"), referral, "episode", day=referral.referral_date + timedelta(days=6)
    )
    assert response.status_code == 400
    assert "informed consent to take part" in text(response)
    assert stored(referral).state == "decision"
    assert not Episode.objects.filter(referral=referral).exists()


def test_starting_the_programme_opens_an_episode(page_as, referral, coordinator):
    walk(referral, coordinator, "decision")
    consent_to_take_part(referral, coordinator)
    response = post(
        page_as("coordinator"), referral, "episode", day=referral.referral_date + timedelta(days=6)
    )
    assert response.status_code == 302
    after = stored(referral)
    assert (after.state, after.imposed_disposal) == ("episode", "programme")
    episode = Episode.objects.get(referral=referral)
    assert (episode.phase_number, episode.started_on) == (
        1,
        referral.referral_date + timedelta(days=6),
    )


def test_leaving_the_pathway_records_the_reason(page_as, referral):
    response = post(
        page_as("coordinator"),
        referral,
        "left",
        reason_code="declined",
        reason="Chose another service",
    )
    assert response.status_code == 302
    after = stored(referral)
    step = after.transitions.latest("id")
    assert after.state == "left"
    assert (step.kind, step.reason_code, step.reason) == (
        "left",
        "declined",
        "Chose another service",
    )


def test_leaving_without_a_reason_is_refused_and_changes_nothing(page_as, referral):
    response = post(page_as("coordinator"), referral, "left")
    assert response.status_code == 400
    assert summary(response) == [
        (f"r{referral.pk}-left-reason_code", "Select why the participant left the pathway")
    ]
    html = text(response)
    assert "<title>Error: Robin Example" in html
    assert f'<details class="govuk-details tp-action" id="r{referral.pk}-left" open>' in html
    after = stored(referral)
    assert (after.state, after.version) == ("referral", referral.version)
    assert Transition.objects.filter(referral=referral).count() == 1


def test_service_problem_is_shown_against_its_field(page_as, referral):
    """The date rule lives in the state machine; the page shows its answer by the field."""
    day = referral.referral_date - timedelta(days=3)
    response = post(page_as("coordinator"), referral, "screening", day=day)
    assert response.status_code == 400
    expected = (
        f"Date it happened is before the previous step ({referral.referral_date.isoformat()})"
    )
    assert summary(response) == [(f"r{referral.pk}-screening-occurred_on-day", expected)]
    assert stored(referral).state == "referral"


def test_stale_page_is_refused_with_a_clear_message(page_as, referral, coordinator):
    client = page_as("coordinator")
    old_version = referral.version
    walk(referral, coordinator, "screening")  # someone else moved it on meanwhile
    response = client.post(
        f"/referrals/{referral.pk}/transition/",
        {"action": "screening", "expected_version": old_version,
         **date_fields("occurred_on", referral.referral_date + timedelta(days=2))},
    )  # fmt: skip
    assert response.status_code == 409
    assert "Someone else changed this referral since you opened the page" in text(response)
    after = stored(referral)
    assert (after.state, after.version) == ("screening", old_version + 1)
    assert Transition.objects.filter(referral=referral).count() == 2


def test_step_not_available_now_is_refused(page_as, referral):
    response = post(page_as("coordinator"), referral, "episode")
    assert response.status_code == 400
    assert "That step is not available for a referral at &#x27;Referred&#x27;" in text(response)
    assert stored(referral).state == "referral"


def test_phase_change_moves_the_episode_on(page_as, referral, coordinator):
    walk(referral, coordinator, "episode")
    response = post(
        page_as("coordinator"), referral, "phase", day=referral.referral_date + timedelta(days=8),
        phase_number=2, reason="Engaged well for six weeks",
        override_reason="Engaged well before the episode began",  # before phase 1's minimum
    )  # fmt: skip
    assert response.status_code == 302
    assert Episode.objects.get(referral=referral).phase_number == 2
    assert stored(referral).transitions.latest("id").kind == "phase"


def test_ending_the_episode_needs_an_exit_type_and_reason(page_as, referral, coordinator):
    walk(referral, coordinator, "episode")
    client = page_as("coordinator")
    day = referral.referral_date + timedelta(days=9)
    refused = post(client, referral, "exit", day=day)
    assert {anchor for anchor, _ in summary(refused)} == {
        f"r{referral.pk}-exit-exit_type",
        f"r{referral.pk}-exit-reason",
    }
    accepted = post(
        client, referral, "exit", day=day, exit_type="completed", reason="All phases done",
        override_reason="Completed early with the court's agreement",
    )  # fmt: skip
    assert accepted.status_code == 302
    assert Episode.objects.get(referral=referral).exit_type == "completed"


@pytest.mark.parametrize("username", ["judge", "prosecutor", "defence", "clinician"])
def test_roles_that_may_not_change_the_pathway_are_refused(page_as, referral, username):
    client = page_as(username)
    assert "/transition/" not in text(client.get(f"/participants/{referral.participant_id}/"))
    response = post(client, referral, "screening")
    assert response.status_code == 403
    assert stored(referral).state == "referral"


def test_outsider_gets_404_and_changes_nothing(page_as, referral):
    response = post(page_as("outsider"), referral, "screening")
    assert response.status_code == 404
    assert stored(referral).state == "referral"


def test_get_is_not_allowed(page_as, referral):
    assert page_as("coordinator").get(f"/referrals/{referral.pk}/transition/").status_code == 405
