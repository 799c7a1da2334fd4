"""The outcome pages (turnpoint/web/outcome_views.py): the participant page's "Outcomes"
section, recording an event, marking a follow-up and the follow-ups due."""

from datetime import date, timedelta

import pytest
from outcome_helpers import left_programme

from turnpoint.outcomes.models import FollowUp, OutcomeEvent
from turnpoint.outcomes.services import outcome_event_record

TODAY = date.today()


@pytest.fixture
def left(make_referral, coordinator):
    referral = make_referral(offence_date=TODAY - timedelta(days=160),
                             referral_date=TODAY - timedelta(days=150))  # fmt: skip
    left_programme(referral, coordinator)
    return referral


def day(prefix: str, value: date) -> dict:
    return {f"{prefix}-day": value.day, f"{prefix}-month": value.month,
            f"{prefix}-year": value.year}  # fmt: skip


def test_a_conviction_recorded_on_the_page_shows_in_the_outcomes_section(page_as, left):
    client = page_as("coordinator")
    url = f"/participants/{left.participant_id}/outcomes/new/"
    body = {"kind": "conviction", "referral": str(left.pk), "offence_category": "acquisitive",
            "outcome": "convicted", **day("offence_date", TODAY - timedelta(days=30)),
            **day("outcome_date", TODAY - timedelta(days=2))}  # fmt: skip
    response = client.post(url, body)
    assert response.status_code == 302, response.content.decode()[:2000]
    event = OutcomeEvent.objects.get()
    assert (event.kind, event.referral, event.recorded_by.username) == (
        "conviction",
        left,
        "coordinator",
    )
    html = client.get(f"/participants/{left.participant_id}/").content.decode()
    assert f'id="outcome-event-{event.pk}"' in html and "Acquisitive" in html
    # The overdue 3-month follow-up is offered to be marked.
    three = FollowUp.objects.get(referral=left, months=3)
    assert f'href="/follow-ups/{three.pk}/"' in html and "Overdue" in html


def test_a_refused_event_names_the_fields_and_stores_nothing(page_as, left):
    response = page_as("coordinator").post(
        f"/participants/{left.participant_id}/outcomes/new/",
        {"kind": "housing", **day("effective_on", TODAY + timedelta(days=3))},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Date it happened or took effect is in the future" in html
    assert "Housing status is required: select the status" in html
    assert not OutcomeEvent.objects.exists()


def test_the_clinician_is_offered_only_the_outcomes_it_writes(page_as, left):
    html = page_as("clinician").get(f"/participants/{left.participant_id}/outcomes/new/")
    html = html.content.decode()
    assert 'value="overdose"' in html and 'value="conviction"' not in html


def test_the_judge_sees_justice_events_but_not_housing_or_follow_ups(page_as, left, coordinator):
    participant = left.participant
    outcome_event_record(acting_user=coordinator, participant=participant, kind="arrest",
                         offence_date=TODAY - timedelta(days=3),
                         outcome_date=TODAY - timedelta(days=2), offence_category="violence",
                         outcome="pending")  # fmt: skip
    housing = outcome_event_record(acting_user=coordinator, participant=participant,
                                   kind="housing", status="homeless",
                                   effective_on=TODAY)  # fmt: skip
    html = page_as("judge").get(f"/participants/{participant.pk}/").content.decode()
    assert "Violence against the person" in html
    assert f'id="outcome-event-{housing.pk}"' not in html and "Follow-ups due" not in html
    assert "Record an outcome" not in html
    assert page_as("judge").get(f"/participants/{participant.pk}/outcomes/new/").status_code == (
        403
    )


def test_a_follow_up_is_marked_from_the_list_of_those_due(page_as, left):
    client = page_as("casemanager")
    three = FollowUp.objects.get(referral=left, months=3)
    listed = client.get("/follow-ups/").content.decode()
    assert f'id="follow-up-{three.pk}"' in listed
    refused = client.post(f"/follow-ups/{three.pk}/", {"status": "declined"})
    assert refused.status_code == 400
    assert "Why it was missed or declined is required" in refused.content.decode()
    marked = client.post(f"/follow-ups/{three.pk}/",
                         {"status": "declined", "reason": "Did not want to talk."})  # fmt: skip
    assert marked.status_code == 302
    three.refresh_from_db()
    assert (three.status, three.reason) == ("declined", "Did not want to talk.")
    assert f'id="follow-up-{three.pk}"' not in client.get("/follow-ups/").content.decode()
