"""Property-based tests: whatever staff ask for, the pathway never reaches an illegal state (R3)."""

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from participation_helpers import consent_to_take_part

from turnpoint.errors import InvalidInput
from turnpoint.journeys import machine
from turnpoint.journeys.models import Disposal, Episode, Referral, State
from turnpoint.journeys.services import referral_transition

REACHABLE = {State.REFERRAL}
_frontier = [State.REFERRAL]
while _frontier:
    for nxt in machine.allowed_next(_frontier.pop()):
        if nxt not in REACHABLE:
            REACHABLE.add(nxt)
            _frontier.append(nxt)

requests = st.fixed_dictionaries(
    {
        "to_state": st.sampled_from([*State.values, "nonsense"]),
        "reason_code": st.sampled_from(["", "other", "declined", "bogus", *machine.LEAVE_REASONS]),
        "reason": st.sampled_from(["", "  ", "moved to a residential service"]),
        "recommended_disposal": st.sampled_from(["", *Disposal.values]),
        "imposed_disposal": st.sampled_from(["", *Disposal.values]),
        "exit_type": st.sampled_from(["", "completed", "died", "made-up"]),
        "phase_number": st.one_of(st.none(), st.integers(-1, 5)),
        "days": st.integers(-3, 20),
        "has_participation_consent": st.booleans(),
    }
)


def test_every_state_is_reachable_and_terminal_states_have_no_exit():
    assert set(State.values) == REACHABLE
    for state in machine.TERMINAL:
        assert machine.allowed_next(state) == ()


@given(st.lists(requests, max_size=40))
def test_pure_machine_only_takes_allowed_steps(steps):
    state, phase, last = State.REFERRAL, None, date(2025, 1, 1)
    for req in steps:
        occurred = last + timedelta(days=req.pop("days"))
        step, problems = machine.plan_step(
            state=state, occurred_on=occurred, last_occurred_on=last, today=date(2026, 1, 1),
            exit_types=("completed", "died"), current_phase=phase, phase_count=3, **req,
        )  # fmt: skip
        assert (step is None) == bool(problems)
        if step is None:
            assert all(p.field and p.reason for p in problems)
            continue
        if step.kind == "phase":
            assert state == State.EPISODE and 1 <= step.data["phase_number"] <= 3
            phase = step.data["phase_number"]
        else:
            assert step.to_state in machine.allowed_next(state)
        if step.to_state == State.LEFT:
            assert step.reason_code in machine.LEAVE_REASONS
        if step.to_state == State.EPISODE and step.kind == "advance":
            assert step.data["imposed_disposal"] == Disposal.PROGRAMME
            assert req["has_participation_consent"]
            phase = 1
        if step.to_state == State.EXIT:
            assert step.data["exit_type"] in ("completed", "died") and step.reason
        assert step.occurred_on >= last
        state, last = step.to_state, step.occurred_on


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(requests, min_size=1, max_size=15))
def test_service_never_stores_an_illegal_sequence(make_referral, coordinator, steps):
    referral = make_referral(on=date.today() - timedelta(days=400))
    consented = False
    for req in steps:
        days = req.pop("days")
        before_episode = Referral.objects.get(pk=referral.pk).state in machine.PRE_EPISODE
        if req.pop("has_participation_consent") and not consented and before_episode:
            consent_to_take_part(referral, coordinator)  # only before the episode can start
            consented = True
        try:
            referral_transition(
                referral, acting_user=coordinator,
                occurred_on=referral.referral_date + timedelta(days=max(days, 0) * 5), **req,
            )  # fmt: skip
        except InvalidInput as exc:
            assert exc.problems
    stored = Referral.objects.get(pk=referral.pk)
    # SEC-33: no episode starts without a recorded consent to take part (R12).
    assert consented or not Episode.objects.filter(referral=referral).exists()
    transitions = list(stored.transitions.order_by("id"))
    state = State.REFERRAL
    for t in transitions[1:]:
        assert t.from_state == state
        assert t.to_state in machine.allowed_next(state) or (
            t.kind == "phase" and state == "episode"
        )
        state = t.to_state
    assert stored.state == state
    assert stored.version == len(transitions)
