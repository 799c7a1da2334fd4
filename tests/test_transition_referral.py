"""Moving a referral along the pathway through the service function (R3, R4)."""

from datetime import date, timedelta

import pytest
from participation_helpers import consent_to_take_part

from turnpoint.errors import Conflict, InvalidInput
from turnpoint.journeys.models import Episode, Referral, Transition
from turnpoint.journeys.selectors import referral_timeliness
from turnpoint.journeys.services import referral_transition
from turnpoint.sharing.models import AuditEntry
from turnpoint.sharing.rules import PolicyDenied

TO_DECISION = ["screening", "eligibility", "assessment", "recommendation"]


def walk(referral, user, steps, start):
    for i, state in enumerate(steps):
        kwargs = {"recommended_disposal": "programme"} if state == "decision" else {}
        referral_transition(
            referral,
            acting_user=user,
            to_state=state,
            occurred_on=start + timedelta(days=i),
            **kwargs,
        )


def test_referral_reaches_an_active_episode_with_every_step_recorded(make_referral, coordinator):
    referral = make_referral()
    start = referral.referral_date
    walk(referral, coordinator, [*TO_DECISION, "decision"], start)
    with pytest.raises(InvalidInput, match="informed consent to take part"):
        referral_transition(
            referral, acting_user=coordinator, to_state="episode", imposed_disposal="programme",
            occurred_on=start + timedelta(days=10),
        )  # fmt: skip
    consent_to_take_part(referral, coordinator)
    referral_transition(
        referral,
        acting_user=coordinator,
        to_state="episode",
        imposed_disposal="programme",
        occurred_on=start + timedelta(days=10),
    )
    stored = Referral.objects.get(pk=referral.pk)
    assert stored.state == "episode"
    assert stored.recommended_disposal == "programme"
    assert stored.imposed_disposal == "programme"
    steps = list(stored.transitions.values_list("from_state", "to_state"))
    assert steps[0] == ("", "referral")
    assert steps[-1] == ("decision", "episode")
    assert len(steps) == 7
    episode = Episode.objects.get(referral=referral)
    assert (episode.phase_number, episode.started_on) == (1, start + timedelta(days=10))
    timeliness = referral_timeliness(stored)
    assert timeliness.referral_to_start_days == 10
    assert timeliness.referral_to_assessment_days == 3
    assert timeliness.offence_to_referral_days == 30


def test_illegal_transition_names_current_state_and_allowed_steps(make_referral, coordinator):
    referral = make_referral()
    with pytest.raises(InvalidInput) as excinfo:
        referral_transition(referral, acting_user=coordinator, to_state="episode")
    message = str(excinfo.value)
    assert "'Referred'" in message
    assert "Screening" in message and "Left the pathway" in message
    assert Transition.objects.filter(referral=referral).count() == 1
    assert Referral.objects.get(pk=referral.pk).state == "referral"


def test_leaving_requires_a_reason_code(make_referral, coordinator):
    referral = make_referral()
    with pytest.raises(InvalidInput) as excinfo:
        referral_transition(referral, acting_user=coordinator, to_state="left")
    assert excinfo.value.problems[0].field == "reason_code"
    referral_transition(referral, acting_user=coordinator, to_state="left", reason_code="declined")
    assert Referral.objects.get(pk=referral.pk).state == "left"
    assert Transition.objects.filter(referral=referral, reason_code="declined").exists()


def test_recommended_and_imposed_disposals_are_kept_apart(make_referral, coordinator):
    referral = make_referral()
    walk(referral, coordinator, [*TO_DECISION], referral.referral_date)
    referral_transition(
        referral, acting_user=coordinator, to_state="decision", recommended_disposal="programme"
    )
    referral_transition(
        referral,
        acting_user=coordinator,
        to_state="left",
        reason_code="court_other_disposal",
        imposed_disposal="custody",
    )
    stored = Referral.objects.get(pk=referral.pk)
    assert (stored.recommended_disposal, stored.imposed_disposal) == ("programme", "custody")


def test_stale_version_is_refused_and_changes_nothing(make_referral, coordinator):
    referral = make_referral()
    version = referral.version
    referral_transition(referral, acting_user=coordinator, to_state="screening",
                        expected_version=version)  # fmt: skip
    with pytest.raises(Conflict):
        referral_transition(referral, acting_user=coordinator, to_state="eligibility",
                            expected_version=version)  # fmt: skip
    assert Referral.objects.get(pk=referral.pk).state == "screening"


def test_future_date_is_refused(make_referral, coordinator):
    referral = make_referral()
    with pytest.raises(InvalidInput) as excinfo:
        referral_transition(referral, acting_user=coordinator, to_state="screening",
                            occurred_on=date.today() + timedelta(days=1))  # fmt: skip
    assert excinfo.value.problems[0].field == "occurred_on"


def test_court_roles_cannot_move_the_pathway(make_referral, users):
    referral = make_referral()
    with pytest.raises(PolicyDenied):
        referral_transition(referral, acting_user=users["judge"], to_state="screening")


def test_every_transition_is_audited(make_referral, coordinator):
    referral = make_referral()
    before = AuditEntry.objects.count()
    referral_transition(referral, acting_user=coordinator, to_state="screening")
    entry = AuditEntry.objects.latest("id")
    assert AuditEntry.objects.count() == before + 1
    assert (entry.action, entry.username) == ("transition", "coordinator")
    assert entry.participant_ids == [referral.participant_id]


def test_an_episode_cannot_start_before_the_consent_to_take_part_was_signed(
    make_referral, coordinator
):
    referral = make_referral()
    start = referral.referral_date
    walk(referral, coordinator, [*TO_DECISION, "decision"], start)
    consent = consent_to_take_part(referral, coordinator)
    consent.signed_on = start + timedelta(days=8)  # signed after the day asked for below
    consent.save(update_fields=["signed_on"])
    with pytest.raises(InvalidInput) as refused:
        referral_transition(
            referral, acting_user=coordinator, to_state="episode", imposed_disposal="programme",
            occurred_on=start + timedelta(days=6),
        )  # fmt: skip
    [problem] = refused.value.problems
    assert problem.field == "occurred_on"
    assert problem.reason.startswith(
        "is before the day the participant signed their consent to take part"
    )
    assert not Episode.objects.filter(referral=referral).exists()
    referral_transition(
        referral, acting_user=coordinator, to_state="episode", imposed_disposal="programme",
        occurred_on=start + timedelta(days=8),
    )  # fmt: skip
    assert Episode.objects.get(referral=referral).started_on == start + timedelta(days=8)
