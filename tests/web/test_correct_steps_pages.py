"""Correcting and withdrawing a step, and changing offence details, from the staff pages: offered
to the step's author and the coordinator only, refused input shown beside its field with nothing
saved, the timeline showing both the step and its correction, earlier values by category."""

from datetime import datetime, timedelta

import pytest
import time_machine

from turnpoint.journeys.corrections import transition_correct
from turnpoint.journeys.models import Referral, Transition
from turnpoint.journeys.services import referral_transition
from turnpoint.people.services import participant_update

from .helpers import date_fields, text


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime(2026, 6, 15, 12, 0), tick=False):
        yield


@pytest.fixture
def referral(make_referral):
    return make_referral(given_name="Robin", family_name="Example")


def screened(referral, user, days=1):
    return referral_transition(
        referral,
        acting_user=user,
        to_state="screening",
        occurred_on=referral.referral_date + timedelta(days=days),
    )


def page(client, referral) -> str:
    return text(client.get(f"/participants/{referral.participant_id}/"))


def test_timeline_offers_correct_and_withdraw_to_the_author_and_the_coordinator_only(
    page_as, referral, users
):
    step = screened(referral, users["casemanager"])
    link = f"/referrals/{referral.pk}/steps/{step.pk}/correct/"
    assert link in page(page_as("casemanager"), referral)
    assert link in page(page_as("coordinator"), referral)
    assert f"/referrals/{referral.pk}/steps/{step.pk}/withdraw/" in page(
        page_as("coordinator"), referral
    )
    assert link not in page(page_as("probation"), referral)
    assert page_as("probation").get(link).status_code == 403
    assert page_as("judge").get(link).status_code == 403


def test_a_correction_is_saved_and_the_timeline_shows_both(page_as, referral, users):
    step = screened(referral, users["casemanager"])
    client = page_as("coordinator")
    url = f"/referrals/{referral.pk}/steps/{step.pk}/correct/"
    assert client.get(url).status_code == 200
    new_day = referral.referral_date + timedelta(days=3)
    response = client.post(url, {
        "expected_version": Referral.objects.get(pk=referral.pk).version,
        **date_fields("occurred_on", new_day), "step_reason": "",
        "reason": "Screening happened on the Wednesday",
    })  # fmt: skip
    assert response.status_code == 302
    html = page(client, referral)
    assert "Moved to screening" in html and "Corrected</strong>" in html
    assert "Step corrected" in html and "Why: Screening happened on the Wednesday" in html
    assert f"to {new_day:%d %B %Y}" in html
    assert Transition.objects.get(pk=step.pk).occurred_on == referral.referral_date + timedelta(1)


def test_a_refused_correction_reloads_with_the_problem_beside_the_field(page_as, referral, users):
    screened(referral, users["coordinator"], days=2)
    step = referral_transition(referral, acting_user=users["coordinator"], to_state="eligibility",
                               occurred_on=referral.referral_date + timedelta(days=4))  # fmt: skip
    client = page_as("coordinator")
    url = f"/referrals/{referral.pk}/steps/{step.pk}/correct/"
    response = client.post(url, {
        "expected_version": Referral.objects.get(pk=referral.pk).version,
        **date_fields("occurred_on", referral.referral_date + timedelta(days=1)),
        "reason": "Wrong day",
    })  # fmt: skip
    assert response.status_code == 400
    html = text(response)
    assert "Date it happened is before the step before it" in html
    assert 'href="#id_occurred_on-day"' in html
    assert 'value="Wrong day"' in html or ">Wrong day<" in html  # what was typed stays
    assert not Transition.objects.filter(kind="correction").exists()
    missing = client.post(url, {
        "expected_version": Referral.objects.get(pk=referral.pk).version,
        **date_fields("occurred_on", referral.referral_date + timedelta(days=5)), "reason": "",
    })  # fmt: skip
    assert missing.status_code == 400
    assert "Enter why you are correcting the step" in text(missing)


def test_a_stale_page_is_refused_with_nothing_saved(page_as, referral, coordinator):
    step = screened(referral, coordinator)
    response = page_as("coordinator").post(
        f"/referrals/{referral.pk}/steps/{step.pk}/withdraw/",
        {"expected_version": 1, "reason": "Recorded in error"},
    )
    assert response.status_code == 409
    assert "Someone else changed this referral" in text(response)
    assert Referral.objects.get(pk=referral.pk).state == "screening"


def test_withdrawing_the_latest_step_returns_the_referral(page_as, referral, coordinator):
    step = screened(referral, coordinator)
    client = page_as("coordinator")
    response = client.post(f"/referrals/{referral.pk}/steps/{step.pk}/withdraw/", {
        "expected_version": Referral.objects.get(pk=referral.pk).version,
        "reason": "Recorded on the wrong participant",
    })  # fmt: skip
    assert response.status_code == 302
    assert Referral.objects.get(pk=referral.pk).state == "referral"
    html = page(client, referral)
    assert "Withdrawn</strong>" in html and "Step withdrawn" in html
    # A withdrawn step is offered for nothing more.
    assert f"/steps/{step.pk}/correct/" not in html


def test_offence_details_are_edited_and_earlier_values_shown_to_legal_readers_only(
    page_as, referral, users
):
    client = page_as("coordinator")
    url = f"/referrals/{referral.pk}/offence/"
    assert url in page(client, referral)
    response = client.post(url, {
        "expected_version": referral.version, "offence_category": "fraud",
        "drug_related_type": "economic_compulsive",
        **date_fields("offence_date", referral.offence_date), "offence_summary": "",
        "reason": "Charge amended",
    })  # fmt: skip
    assert response.status_code == 302
    assert Referral.objects.get(pk=referral.pk).offence_category == "fraud"
    html = page(client, referral)
    assert f'id="referral-{referral.pk}-earlier"' in html
    assert "Acquisitive (theft, shoplifting, burglary)" in html and "Charge amended" in html
    clinician = page(page_as("clinician"), referral)
    assert f'id="referral-{referral.pk}-earlier"' not in clinician
    assert "Charge amended" not in clinician
    assert page_as("clinician").get(url).status_code == 403


def test_offence_details_refused_reload_with_the_problem(page_as, referral):
    response = page_as("coordinator").post(f"/referrals/{referral.pk}/offence/", {
        "expected_version": referral.version, "offence_category": "fraud",
        "drug_related_type": "economic_compulsive",
        **date_fields("offence_date", referral.referral_date + timedelta(days=1)),
    })  # fmt: skip
    assert response.status_code == 400
    assert "Offence date is after the referral date" in text(response)
    assert Referral.objects.get(pk=referral.pk).offence_category == "acquisitive"


def test_earlier_names_are_shown_on_the_participant_page(page_as, referral, coordinator):
    person = referral.participant
    assert 'id="earlier-identity"' not in page(page_as("casemanager"), referral)
    participant_update(person, acting_user=coordinator, expected_version=person.version,
                       family_name="Exemple", reason="Spelling")  # fmt: skip
    html = page(page_as("casemanager"), referral)
    assert 'id="earlier-identity"' in html
    assert '<td class="govuk-table__cell">Example</td>' in html and "Spelling" in html


def test_timeline_shows_an_earlier_correction_from_the_values_before_it(page_as, referral, users):
    step = screened(referral, users["coordinator"])
    for day in (2, 3):
        transition_correct(step, acting_user=users["coordinator"], reason=f"to day {day}",
                           occurred_on=referral.referral_date + timedelta(days=day))  # fmt: skip
    html = page(page_as("coordinator"), referral)
    d1, d2, d3 = (referral.referral_date + timedelta(days=n) for n in (1, 2, 3))
    assert f"{d1:%d %B %Y} to {d2:%d %B %Y}" in html
    assert f"{d2:%d %B %Y} to {d3:%d %B %Y}" in html
