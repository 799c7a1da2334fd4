"""A correction is held to the programme's rules like a new step: moving a completion before
the phases' minimum lengths, or a phase change before its phase's minimum, needs an override
reason from a role the programme allows, recorded on the correction (ghent-dtc: phases of 6, 12
and 8 weeks)."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from participation_helpers import consent_to_take_part

from turnpoint.journeys.corrections import transition_correct
from turnpoint.journeys.machine import RulesNotMet
from turnpoint.journeys.models import Episode
from turnpoint.journeys.services import referral_transition

START = date(2025, 6, 2)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(datetime(2026, 6, 15, 12, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def on_programme(make_referral, coordinator):
    referral = make_referral(on=START - timedelta(days=30))
    day = START - timedelta(days=10)
    for i, state in enumerate(["screening", "eligibility", "assessment", "recommendation"]):
        referral_transition(referral, acting_user=coordinator, to_state=state,
                            occurred_on=day + timedelta(days=i))  # fmt: skip
    referral_transition(referral, acting_user=coordinator, to_state="decision",
                        occurred_on=day + timedelta(days=5),
                        recommended_disposal="programme")  # fmt: skip
    consent_to_take_part(referral, coordinator)
    referral_transition(referral, acting_user=coordinator, to_state="episode", occurred_on=START,
                        imposed_disposal="programme")  # fmt: skip
    return referral


def test_moving_a_completion_before_the_minimum_needs_an_override(on_programme, users):
    coordinator = users["coordinator"]
    ended = referral_transition(on_programme, acting_user=coordinator, to_state="exit",
                                occurred_on=START + timedelta(weeks=30), exit_type="completed",
                                reason="Done")  # fmt: skip
    early = START + timedelta(weeks=20)
    with pytest.raises(RulesNotMet) as refused:
        transition_correct(ended, acting_user=coordinator, reason="Wrong day",
                           occurred_on=early)  # fmt: skip
    assert "completion comes after at least 26 weeks" in refused.value.problems[0].reason
    assert Episode.objects.get(referral=on_programme).ended_on == START + timedelta(weeks=30)
    row = transition_correct(ended, acting_user=coordinator, reason="Wrong day",
                             occurred_on=early,
                             override_reason="The court ended it early")  # fmt: skip
    assert row.data["override"]["reason"] == "The court ended it early"
    assert row.data["override"]["role"] == "coordinator"
    assert "completion comes after at least 26 weeks" in row.data["override"]["rules"][0]
    assert Episode.objects.get(referral=on_programme).ended_on == early


def test_a_correction_that_keeps_the_rules_needs_no_override(on_programme, coordinator):
    ended = referral_transition(on_programme, acting_user=coordinator, to_state="exit",
                                occurred_on=START + timedelta(weeks=30), exit_type="completed",
                                reason="Done")  # fmt: skip
    row = transition_correct(ended, acting_user=coordinator, reason="Wrong day",
                             occurred_on=START + timedelta(weeks=27))  # fmt: skip
    assert "override" not in row.data


def test_changing_an_exit_to_a_completion_before_the_minimum_needs_an_override(
    on_programme, coordinator
):
    ended = referral_transition(on_programme, acting_user=coordinator, to_state="exit",
                                occurred_on=START + timedelta(weeks=10),
                                exit_type="participant_withdrew", reason="Stopped")  # fmt: skip
    with pytest.raises(RulesNotMet):
        transition_correct(ended, acting_user=coordinator, reason="Wrong type",
                           exit_type="completed")  # fmt: skip
    assert Episode.objects.get(referral=on_programme).exit_type == "participant_withdrew"
