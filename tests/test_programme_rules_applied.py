"""A programme's rules are applied at every step, not only stored: eligibility when leaving the
eligibility step, phase minimum lengths, completion before the minimum and the maximum
duration. A step that breaks one is refused naming the rule, or recorded as an override with a
reason by a role the programme allows (ghent-dtc: phases of 6, 12 and 8 weeks, at most 35)."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from participation_helpers import consent_to_take_part

from turnpoint.errors import InvalidInput
from turnpoint.journeys.machine import RulesNotMet
from turnpoint.journeys.models import Episode, Referral
from turnpoint.journeys.services import referral_transition
from turnpoint.sharing.models import AuditEntry

TODAY = date(2026, 6, 15)
START = date(2025, 6, 2)  # the episode starts here; long enough ago for every case below
ADULT_RULE = "Adults aged 18 or over"
VIOLENCE_RULE = "Serious violence in the current case excludes the person"


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(datetime(2026, 6, 15, 12, tzinfo=UTC), tick=False):
        yield


def move(referral, user, to_state, on, **extra):
    return referral_transition(referral, acting_user=user, to_state=to_state, occurred_on=on,
                               **extra)  # fmt: skip


def to_eligibility(referral, user):
    move(referral, user, "screening", referral.referral_date + timedelta(days=1))
    move(referral, user, "eligibility", referral.referral_date + timedelta(days=2))


def on_programme(referral, user):
    day = START - timedelta(days=10)
    for i, state in enumerate(["screening", "eligibility", "assessment", "recommendation"]):
        move(referral, user, state, day + timedelta(days=i))
    move(referral, user, "decision", day + timedelta(days=5), recommended_disposal="programme")
    consent_to_take_part(referral, user)
    move(referral, user, "episode", START, imposed_disposal="programme")


@pytest.fixture
def young(make_referral):
    """Aged 17 at the offence, and charged with violence: two of Ghent's rules are not met."""
    referral = make_referral(on=START - timedelta(days=30), offence_category="violence")
    participant = referral.participant
    participant.date_of_birth = referral.offence_date - timedelta(days=17 * 365 + 30)
    participant.save(update_fields=["date_of_birth"])
    return referral


@pytest.fixture
def eligible(make_referral):
    return make_referral(on=START - timedelta(days=30))


def test_a_person_who_meets_the_rules_moves_on_with_the_rules_recorded(eligible, coordinator):
    to_eligibility(eligible, coordinator)
    step = move(eligible, coordinator, "assessment", eligible.referral_date + timedelta(days=3))
    assert step.data["eligibility"] == [
        {"reason": ADULT_RULE, "passed": True},
        {"reason": "The offending is linked to the person's drug use", "passed": True},
        {"reason": VIOLENCE_RULE, "passed": True},
    ]
    assert "override" not in step.data


def test_the_eligibility_step_is_refused_naming_each_rule_not_met(young, coordinator):
    to_eligibility(young, coordinator)
    with pytest.raises(RulesNotMet) as refused:
        move(young, coordinator, "assessment", young.referral_date + timedelta(days=3))
    reasons = [p.reason for p in refused.value.problems]
    assert [p.field for p in refused.value.problems] == ["override_reason", "override_reason"]
    assert ADULT_RULE in reasons[0] and VIOLENCE_RULE in reasons[1]
    assert all("programme rule is not met" in r for r in reasons)
    stored = Referral.objects.get(pk=young.pk)
    assert (stored.state, stored.version) == ("eligibility", 3)


def test_the_coordinator_overrides_with_a_reason_and_it_is_recorded(young, coordinator):
    to_eligibility(young, coordinator)
    before = AuditEntry.objects.count()
    reason = "  Turns 18 next month; the court asked for the programme  "
    day = young.referral_date + timedelta(days=3)
    step = move(young, coordinator, "assessment", day, override_reason=reason)
    assert step.data["override"] == {
        "rules": [ADULT_RULE, VIOLENCE_RULE],
        "reason": "Turns 18 next month; the court asked for the programme",
        "role": "coordinator",
    }
    assert [r["passed"] for r in step.data["eligibility"]] == [False, True, False]
    assert Referral.objects.get(pk=young.pk).state == "assessment"
    assert AuditEntry.objects.count() == before + 1


def test_an_override_from_a_role_the_programme_does_not_allow_is_refused(young, users):
    case_manager = users["casemanager"]
    to_eligibility(young, case_manager)
    with pytest.raises(RulesNotMet) as refused:
        move(young, case_manager, "assessment", young.referral_date + timedelta(days=3),
             override_reason="The team thinks it is right")  # fmt: skip
    reason = refused.value.problems[0].reason
    assert "case manager" in reason and ADULT_RULE in reason
    assert "only the programme coordinator may override it" in reason
    assert Referral.objects.get(pk=young.pk).state == "eligibility"


def test_the_programme_file_decides_who_may_override(young, users, programme):
    programme.definition = {**programme.definition, "overrides": {"roles": ["case_manager"]}}
    programme.save(update_fields=["definition"])
    to_eligibility(young, users["casemanager"])
    with pytest.raises(RulesNotMet):
        move(young, users["coordinator"], "assessment", young.referral_date + timedelta(days=3),
             override_reason="Agreed at the team meeting")  # fmt: skip
    step = move(young, users["casemanager"], "assessment", young.referral_date + timedelta(days=3),
                override_reason="Agreed at the team meeting")  # fmt: skip
    assert step.data["override"]["role"] == "case_manager"


def test_a_phase_change_before_the_minimum_needs_an_override(eligible, coordinator):
    on_programme(eligible, coordinator)
    early = START + timedelta(weeks=6) - timedelta(days=1)
    with pytest.raises(RulesNotMet) as refused:
        move(eligible, coordinator, "episode", early, phase_number=2, reason="Doing well")
    assert "phase 1 lasts at least 6 weeks; phase 1 began on 2 June 2025" in (
        refused.value.problems[0].reason
    )
    assert Episode.objects.get(referral=eligible).phase_number == 1
    step = move(eligible, coordinator, "episode", early, phase_number=2, reason="Doing well",
                override_reason="Stable for five weeks; the team agreed")  # fmt: skip
    assert step.data["override"]["rules"] == [
        "phase 1 lasts at least 6 weeks; phase 1 began on 2 June 2025"
    ]


def test_a_phase_change_on_the_minimum_needs_none_and_skipping_counts_both(eligible, coordinator):
    on_programme(eligible, coordinator)
    step = move(eligible, coordinator, "episode", START + timedelta(weeks=6), phase_number=2,
                reason="Six weeks done")  # fmt: skip
    assert "override" not in step.data
    # Back to phase 1 is a response, not progress: no minimum applies to it.
    back = START + timedelta(weeks=7)
    move(eligible, coordinator, "episode", back, phase_number=1, reason="Needs more support")
    # From phase 1 (re-entered on `back`) straight to phase 3: phases 1 and 2, 18 weeks.
    with pytest.raises(RulesNotMet) as refused:
        move(eligible, coordinator, "episode", back + timedelta(weeks=17), phase_number=3,
             reason="Ready")  # fmt: skip
    assert "phases 1 to 2 last at least 18 weeks together" in refused.value.problems[0].reason
    move(eligible, coordinator, "episode", back + timedelta(weeks=18), phase_number=3,
         reason="Ready")  # fmt: skip
    assert Episode.objects.get(referral=eligible).phase_number == 3


def test_completion_before_the_minimum_needs_an_override(eligible, coordinator):
    on_programme(eligible, coordinator)
    early = START + timedelta(weeks=26) - timedelta(days=1)
    with pytest.raises(RulesNotMet) as refused:
        move(eligible, coordinator, "exit", early, exit_type="completed", reason="Done")
    assert "completion comes after at least 26 weeks on the programme" in (
        refused.value.problems[0].reason
    )
    # An exit that is not a completion has no minimum.
    step = move(eligible, coordinator, "exit", early, exit_type="participant_withdrew",
                reason="Chose to stop")  # fmt: skip
    assert "override" not in step.data


def test_completion_on_the_minimum_is_accepted(eligible, coordinator):
    on_programme(eligible, coordinator)
    step = move(eligible, coordinator, "exit", START + timedelta(weeks=26),
                exit_type="completed", reason="Done")  # fmt: skip
    assert "override" not in step.data


def test_steps_after_the_maximum_duration_need_an_override(eligible, coordinator):
    on_programme(eligible, coordinator)
    late = START + timedelta(weeks=35, days=1)
    with pytest.raises(RulesNotMet) as refused:
        move(eligible, coordinator, "episode", late, phase_number=2, reason="Late")
    assert refused.value.problems[-1].reason.endswith(
        "the programme lasts at most 35 weeks; the episode started on 2 June 2025"
    )
    with pytest.raises(RulesNotMet):
        move(eligible, coordinator, "exit", late, exit_type="completed", reason="Done")
    step = move(eligible, coordinator, "exit", late, exit_type="completed", reason="Done",
                override_reason="Hearings were postponed by the court for a month")  # fmt: skip
    assert step.data["override"]["rules"] == [
        "the programme lasts at most 35 weeks; the episode started on 2 June 2025"
    ]


def test_other_problems_come_before_the_rules_and_nothing_changes(young, coordinator):
    to_eligibility(young, coordinator)
    with pytest.raises(InvalidInput) as refused:
        move(young, coordinator, "assessment", TODAY + timedelta(days=1))
    assert not isinstance(refused.value, RulesNotMet)
    assert [p.field for p in refused.value.problems] == ["occurred_on"]
    assert Referral.objects.get(pk=young.pk).state == "eligibility"
