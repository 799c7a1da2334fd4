"""Corrections leave a trace: a step recorded in error is corrected or withdrawn by its author or
a coordinator, with a reason; the step stays, the referral and episode follow the steps in
effect, and the audit log names the step (docs/journeys.md, "Correcting a step")."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from participation_helpers import consent_to_take_part

from turnpoint.errors import Conflict, InvalidInput
from turnpoint.journeys.corrections import transition_correct, transition_withdraw
from turnpoint.journeys.effective import derive, effective_steps
from turnpoint.journeys.models import Episode, Referral, Transition
from turnpoint.journeys.selectors import referral_timeliness
from turnpoint.journeys.services import referral_transition
from turnpoint.sharing.models import AuditEntry
from turnpoint.sharing.rules import PolicyDenied

TODAY = date(2026, 6, 15)
START = TODAY - timedelta(days=40)  # the referral date below


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime(2026, 6, 15, 12, 0), tick=False):
        yield


@pytest.fixture
def referral(make_referral):
    return make_referral(on=TODAY - timedelta(days=10))  # referred 40 days ago


def step(referral, user, to_state, day, **kwargs):
    return referral_transition(
        referral, acting_user=user, to_state=to_state, occurred_on=START + timedelta(days=day),
        **kwargs,
    )  # fmt: skip


def to_decision(referral, user):
    for day, state in enumerate(["screening", "eligibility", "assessment", "recommendation"], 1):
        step(referral, user, state, day)
    return step(referral, user, "decision", 5, recommended_disposal="programme")


def to_episode(referral, user):
    to_decision(referral, user)
    consent_to_take_part(referral, user)
    return step(referral, user, "episode", 6, imposed_disposal="programme")


def stored(referral):
    return Referral.objects.get(pk=referral.pk)


def test_author_corrects_a_date_and_the_step_as_recorded_stays(referral, users):
    author = users["casemanager"]
    screening = step(referral, author, "screening", 1)
    step(referral, author, "eligibility", 5)
    version = stored(referral).version
    row = transition_correct(
        screening, acting_user=author, reason="Typed the wrong day", expected_version=version,
        occurred_on=START + timedelta(days=3),
    )  # fmt: skip
    assert row.kind == "correction" and row.corrects_id == screening.pk
    original = Transition.objects.get(pk=screening.pk)
    assert original.occurred_on == START + timedelta(days=1)  # never changed
    effective = {t.pk: t for t in effective_steps(referral.transitions.all())}
    assert effective[screening.pk].occurred_on == START + timedelta(days=3)
    assert stored(referral).version == version + 1
    audit = AuditEntry.objects.filter(action="correct").get()
    assert audit.object_id == str(row.pk)
    assert audit.detail["corrects"] == screening.pk
    assert audit.detail["changes"]["occurred_on"] == [
        (START + timedelta(days=1)).isoformat(),
        (START + timedelta(days=3)).isoformat(),
    ]


def test_coordinator_corrects_another_staff_members_step(referral, users):
    decision = to_decision(referral, users["casemanager"])
    transition_correct(decision, acting_user=users["coordinator"], reason="The team recommended "
                       "another order", recommended_disposal="other_community")  # fmt: skip
    assert stored(referral).recommended_disposal == "other_community"
    assert Transition.objects.get(pk=decision.pk).data["recommended_disposal"] == "programme"


def test_another_staff_member_who_did_not_record_it_is_refused(referral, users):
    screening = step(referral, users["casemanager"], "screening", 1)
    with pytest.raises(PolicyDenied, match="only the person who recorded this step"):
        transition_correct(screening, acting_user=users["probation"], reason="x",
                           occurred_on=START + timedelta(days=2))  # fmt: skip
    with pytest.raises(PolicyDenied):
        transition_withdraw(screening, acting_user=users["probation"], reason="x")
    assert not Transition.objects.filter(kind__in=["correction", "withdrawal"]).exists()


def test_court_roles_cannot_correct_even_their_team_s_steps(referral, users):
    screening = step(referral, users["coordinator"], "screening", 1)
    with pytest.raises(PolicyDenied):
        transition_correct(screening, acting_user=users["judge"], reason="x",
                           occurred_on=START + timedelta(days=2))  # fmt: skip


def test_reason_is_required(referral, coordinator):
    screening = step(referral, coordinator, "screening", 1)
    with pytest.raises(InvalidInput) as excinfo:
        transition_correct(screening, acting_user=coordinator, reason="  ",
                           occurred_on=START + timedelta(days=2))  # fmt: skip
    assert [p.field for p in excinfo.value.problems] == ["reason"]
    with pytest.raises(InvalidInput) as excinfo:
        transition_withdraw(screening, acting_user=coordinator, reason="")
    assert [p.field for p in excinfo.value.problems] == ["reason"]
    assert stored(referral).state == "screening"


def test_a_corrected_date_out_of_order_or_in_the_future_is_refused_in_plain_words(
    referral, coordinator
):
    step(referral, coordinator, "screening", 1)
    eligibility = step(referral, coordinator, "eligibility", 3)
    step(referral, coordinator, "assessment", 6)
    for day, words in ((0, "is before the step before it"), (7, "is after the step after it")):
        with pytest.raises(InvalidInput) as excinfo:
            transition_correct(eligibility, acting_user=coordinator, reason="wrong day",
                               occurred_on=START + timedelta(days=day))  # fmt: skip
        problem = excinfo.value.problems[0]
        assert problem.field == "occurred_on" and problem.reason.startswith(words)
    latest = Transition.objects.filter(to_state="assessment").get()
    with pytest.raises(InvalidInput, match="is in the future"):
        transition_correct(latest, acting_user=coordinator, reason="wrong day",
                           occurred_on=TODAY + timedelta(days=1))  # fmt: skip
    assert not Transition.objects.filter(kind="correction").exists()


def test_stale_version_is_a_conflict_and_changes_nothing(referral, coordinator):
    screening = step(referral, coordinator, "screening", 1)
    stale = stored(referral).version - 1
    with pytest.raises(Conflict):
        transition_correct(screening, acting_user=coordinator, reason="x", expected_version=stale,
                           occurred_on=START + timedelta(days=2))  # fmt: skip
    with pytest.raises(Conflict):
        transition_withdraw(screening, acting_user=coordinator, reason="x", expected_version=stale)
    assert stored(referral).state == "screening"
    assert not Transition.objects.filter(kind__in=["correction", "withdrawal"]).exists()


def test_only_the_latest_step_can_be_withdrawn(referral, coordinator):
    screening = step(referral, coordinator, "screening", 1)
    eligibility = step(referral, coordinator, "eligibility", 2)
    with pytest.raises(InvalidInput, match="only the latest step can be withdrawn"):
        transition_withdraw(screening, acting_user=coordinator, reason="wrong referral")
    transition_withdraw(eligibility, acting_user=coordinator, reason="Eligibility not yet checked")
    assert stored(referral).state == "screening"
    # Back at screening, the next step may be dated before the withdrawn one.
    step(referral, coordinator, "eligibility", 1)
    assert stored(referral).state == "eligibility"
    assert AuditEntry.objects.filter(action="withdraw").get().detail["withdraws"] == eligibility.pk


def test_withdrawing_a_withdrawn_or_the_received_step_is_refused(referral, coordinator):
    screening = step(referral, coordinator, "screening", 1)
    transition_withdraw(screening, acting_user=coordinator, reason="recorded on the wrong person")
    with pytest.raises(InvalidInput, match="was withdrawn"):
        transition_correct(screening, acting_user=coordinator, reason="x",
                           occurred_on=START + timedelta(days=2))  # fmt: skip
    created = Transition.objects.get(referral=referral, kind="created")
    with pytest.raises(InvalidInput, match="referral's receipt"):
        transition_withdraw(created, acting_user=coordinator, reason="x")


def test_withdrawing_the_episode_start_removes_the_episode(referral, coordinator):
    start = to_episode(referral, coordinator)
    assert Episode.objects.filter(referral=referral).exists()
    transition_withdraw(start, acting_user=coordinator, reason="The court adjourned the decision")
    after = stored(referral)
    assert after.state == "decision" and after.imposed_disposal == ""
    assert not Episode.objects.filter(referral=referral).exists()
    assert referral_timeliness(after).referral_to_start_days is None
    # Started again later: one episode, from the new date.
    step(referral, coordinator, "episode", 8, imposed_disposal="programme")
    assert Episode.objects.get(referral=referral).started_on == START + timedelta(days=8)


def test_withdrawing_a_phase_change_restores_the_phase_and_an_exit_reopens(referral, coordinator):
    to_episode(referral, coordinator)
    # Days after the start: before the phases' minimum lengths, so each step is an override.
    phase = step(referral, coordinator, "episode", 9, phase_number=2, reason="Stable",
                 override_reason="Early, as the court agreed")  # fmt: skip
    ended = step(referral, coordinator, "exit", 12, exit_type="completed", reason="Completed",
                 override_reason="Early, as the court agreed")  # fmt: skip
    transition_withdraw(ended, acting_user=coordinator, reason="Recorded on the wrong referral")
    episode = Episode.objects.get(referral=referral)
    assert (episode.ended_on, episode.exit_type, episode.phase_number) == (None, "", 2)
    assert stored(referral).state == "episode"
    transition_withdraw(phase, acting_user=coordinator, reason="Phase review not held yet")
    assert Episode.objects.get(referral=referral).phase_number == 1


def test_correcting_an_exit_updates_the_episode(referral, coordinator):
    to_episode(referral, coordinator)
    ended = step(referral, coordinator, "exit", 12, exit_type="completed", reason="Completed",
                 override_reason="Early, as the court agreed")  # fmt: skip
    transition_correct(
        ended,
        acting_user=coordinator,
        reason="The court stopped it",
        exit_type="stopped_by_court",
        occurred_on=START + timedelta(days=13),
    )
    episode = Episode.objects.get(referral=referral)
    assert episode.exit_type == "stopped_by_court"
    assert episode.ended_on == START + timedelta(days=13)
    with pytest.raises(InvalidInput) as excinfo:
        transition_correct(ended, acting_user=coordinator, reason="x", exit_type="made_up")
    assert excinfo.value.problems[0].field == "exit_type"


def test_a_value_the_step_does_not_record_is_refused(referral, coordinator):
    screening = step(referral, coordinator, "screening", 1)
    with pytest.raises(InvalidInput) as excinfo:
        transition_correct(screening, acting_user=coordinator, reason="x", exit_type="completed")
    assert excinfo.value.problems[0].field == "exit_type"
    with pytest.raises(InvalidInput, match="nothing to correct"):
        transition_correct(screening, acting_user=coordinator, reason="x",
                           occurred_on=START + timedelta(days=1))  # fmt: skip


def test_cached_state_follows_the_steps_in_effect(referral, coordinator):
    left = step(referral, coordinator, "left", 2, reason_code="declined")
    transition_correct(left, acting_user=coordinator, reason="They moved", reason_code="moved_away")
    after = stored(referral)
    derived = derive(effective_steps(after.transitions.all()))
    assert after.state == derived.state == "left"
    transition_withdraw(left, acting_user=coordinator, reason="They did not leave")
    assert stored(referral).state == "referral"


def test_a_reason_with_a_hidden_direction_control_is_refused(referral, coordinator):
    screening = step(referral, coordinator, "screening", 1)
    with pytest.raises(InvalidInput) as excinfo:
        transition_withdraw(screening, acting_user=coordinator, reason="typo \u202e fixed")
    assert [p.field for p in excinfo.value.problems] == ["reason"]
    assert "U+202E" in excinfo.value.problems[0].reason
    assert stored(referral).state == "screening"
