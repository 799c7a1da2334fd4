"""The response and phase pages: recording a response from the guide's options in the proposed
order, the responses list with the ratio, what a judge sees, the participant page's section and
deciding a phase proposal (turnpoint/web/response_views.py)."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from supervision_helpers import on_episode

from turnpoint.journeys.models import Episode, Transition
from turnpoint.supervision.models import PhaseProposal, Response
from turnpoint.supervision.response_services import response_options, response_record


@pytest.fixture
def dtto(users, programmes, make_referral, coordinator):
    """On the Scottish DTTO for 20 days (the court receives test results there)."""
    for user in users.values():
        user.programmes.add(programmes["scotland-dtto"])
    referral = on_episode(
        make_referral(
            programme=programmes["scotland-dtto"],
            source="court",
            given_name="Dana",
            family_name="Moffat",
        ),
        coordinator,
    )
    began = timezone.localdate() - timedelta(days=20)
    Episode.objects.filter(referral=referral).update(started_on=began)
    Transition.objects.filter(referral=referral).update(occurred_on=began)
    return referral


@pytest.fixture
def ghent(make_referral, coordinator):
    return on_episode(make_referral(), coordinator)


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def _day(prefix: str, day: date) -> dict:
    return {f"{prefix}-day": day.day, f"{prefix}-month": day.month, f"{prefix}-year": day.year}


def test_options_come_in_the_guides_order_and_the_response_is_recorded(page_as, dtto):
    client = page_as("probation")
    url = f"/participants/{dtto.participant_id}/responses/new/"
    day = timezone.localdate() - timedelta(days=2)
    shown = client.get(url, {"behaviour": "positive_test", **_day("behaviour_on", day)})
    page = text(shown)
    assert shown.status_code == 200 and "service adjustment first, not a sanction" in page
    first = response_options(dtto, "positive_test", day).options[0]
    assert first.kind == "service_adjustment"
    html = shown.content.decode()
    labels = re.findall(
        r'<label class="govuk-label govuk-radios__label"[^>]*>\s*([^<]+?)\s*</label>', html
    )
    assert labels and labels[0].startswith("Service adjustment")
    refused = client.post(
        url,
        {
            "behaviour": "positive_test",
            "referral": dtto.pk,
            **_day("behaviour_on", day),
            "option": "A holiday",
            **_day("responded_on", timezone.localdate()),
        },
    )
    assert refused.status_code == 400 and "Response must be one of the options shown" in text(
        refused
    )
    done = client.post(
        url,
        {
            "behaviour": "positive_test",
            "referral": dtto.pk,
            **_day("behaviour_on", day),
            "option": first.text,
            **_day("responded_on", timezone.localdate()),
        },
    )
    assert done.status_code == 302
    response = Response.objects.get()
    assert (response.kind, response.days_between) == ("service_adjustment", 2)
    listed = text(client.get(f"/participants/{dtto.participant_id}/responses/"))
    assert "Positive test result" in listed and first.text in listed


def test_a_future_behaviour_is_refused_by_name(page_as, dtto):
    day = timezone.localdate() + timedelta(days=3)
    refused = page_as("probation").get(
        f"/participants/{dtto.participant_id}/responses/new/",
        {"behaviour": "missed_appointment", **_day("behaviour_on", day)},
    )
    page = text(refused)
    assert refused.status_code == 200 and "Record the response" in page  # offered: the day is
    # checked when the response is recorded, against the day it is recorded.
    first = response_options(dtto, "missed_appointment", day).options[0]
    posted = page_as("probation").post(
        f"/participants/{dtto.participant_id}/responses/new/",
        {
            "behaviour": "missed_appointment",
            "referral": dtto.pk,
            **_day("behaviour_on", day),
            "option": first.text,
            **_day("responded_on", day),
        },
    )
    assert posted.status_code == 400 and "is in the future" in text(posted)
    assert not Response.objects.exists()


def test_the_ratio_and_what_a_judge_sees(page_as, ghent, users):
    today = timezone.localdate()
    for behaviour, kind in (
        ("attended_all_sessions", "incentive"),
        ("substance_use_disclosed", "service_adjustment"),
    ):
        option = next(
            o for o in response_options(ghent, behaviour, today).options if o.kind == kind
        )
        response_record(
            acting_user=users["coordinator"],
            referral=ghent,
            behaviour=behaviour,
            behaviour_on=today,
            option=option.text,
        )
    mine = text(page_as("coordinator").get(f"/participants/{ghent.participant_id}/responses/"))
    assert "Told the team about substance use" in mine
    assert "No sanction given" in mine and "Meets the target" in mine
    # The Ghent court receives no test results: the judge sees the incentive, not the response
    # to substance use.
    judge = text(page_as("judge").get(f"/participants/{ghent.participant_id}/responses/"))
    assert "Attended every appointment" in judge
    assert "Told the team about substance use" not in judge
    section = text(page_as("coordinator").get(f"/participants/{ghent.participant_id}/"))
    assert "Responses and phases" in section and "2 responses recorded" in section
    ratios = text(page_as("coordinator").get("/responses/ratios/"))
    assert "Ghent" in ratios and "No sanction given" in ratios


def test_accepting_a_proposal_on_its_page_moves_the_phase(page_as, ghent, users):
    Transition.objects.filter(referral=ghent).update(
        occurred_on=timezone.localdate() - timedelta(days=60)
    )
    proposal = PhaseProposal.objects.create(
        episode=ghent.episode,
        referral=ghent,
        participant=ghent.participant,
        phase_number=1,
        to_phase_number=2,
        proposed_on=timezone.localdate(),
        criteria=[
            {
                "criterion": "days_in_phase",
                "met": True,
                "category": "pathway",
                "text": "60 days in the phase of the 42 needed",
            }
        ],
    )
    listed = text(page_as("coordinator").get("/phase-proposals/"))
    assert "Dana" not in listed and "60 days in the phase" in listed
    assert "Move to phase 2" in text(page_as("coordinator").get(f"/phase-proposals/{proposal.pk}/"))
    refused = page_as("coordinator").post(
        f"/phase-proposals/{proposal.pk}/", {"decision": "decline", "version": "1"}
    )
    assert refused.status_code == 400 and "Reason is required" in text(refused)
    done = page_as("coordinator").post(
        f"/phase-proposals/{proposal.pk}/", {"decision": "accept", "version": "1"}
    )
    assert done.status_code == 302
    assert Episode.objects.get(pk=ghent.episode.pk).phase_number == 2
    page = text(page_as("coordinator").get(f"/participants/{ghent.participant_id}/"))
    assert "Milestone" in page and "Every advancement criterion of the phase was met" in page
    assert (
        page_as("judge")
        .post(f"/phase-proposals/{proposal.pk}/", {"decision": "accept", "version": "2"})
        .status_code
        == 403
    )
