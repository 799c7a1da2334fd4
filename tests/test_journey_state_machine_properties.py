"""Property-based tests: whatever staff ask for, the pathway never reaches an illegal state (R3)."""

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from participation_helpers import consent_to_take_part

from turnpoint.errors import InvalidInput
from turnpoint.journeys import machine
from turnpoint.journeys.corrections import transition_correct, transition_withdraw
from turnpoint.journeys.effective import derive, effective_steps
from turnpoint.journeys.models import Disposal, Episode, Referral, State, Transition
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


# Corrections and withdrawals (docs/journeys.md, "Correcting a step") ----------------------------


def forward(state: str, phase: int, choice: int) -> dict:
    """A well-formed next step from `state`, so that sequences reach episodes and exits."""
    if state == State.RECOMMENDATION:
        return {"to_state": "decision", "recommended_disposal": "programme"}
    if state == State.DECISION:
        return {"to_state": "episode", "imposed_disposal": "programme"}
    if state == State.EPISODE and choice % 3:
        return {"to_state": "episode", "phase_number": 2 if phase == 1 else 1, "reason": "review"}
    if state == State.EPISODE:
        return {"to_state": "exit", "exit_type": "completed", "reason": "done"}
    return {"to_state": machine.FORWARD.get(State(state), state)}


fixes = st.one_of(
    st.tuples(st.just("step"), requests),
    st.tuples(st.just("forward"), st.integers(0, 5)),
    st.tuples(st.just("forward"), st.integers(0, 5)),
    st.tuples(st.just("forward"), st.integers(0, 5)),
    st.tuples(st.just("withdraw"), st.integers(0, 20)),
    st.tuples(
        st.just("correct"),
        st.fixed_dictionaries(
            {
                "which": st.integers(0, 20),
                "days": st.integers(-10, 10),
                "exit_type": st.sampled_from([None, "completed", "transferred", "made-up"]),
                "recommended_disposal": st.sampled_from([None, *Disposal.values]),
                "reason_code": st.sampled_from([None, "declined", "moved_away", "bogus"]),
            }
        ),
    ),
)


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(fixes, min_size=1, max_size=30))
def test_no_sequence_of_steps_and_corrections_leaves_the_referral_inconsistent(
    make_referral, coordinator, actions
):
    referral = make_referral(on=date.today() - timedelta(days=400))
    consent_to_take_part(referral, coordinator)
    for kind, req in actions:
        rows = list(Transition.objects.filter(referral=referral))
        in_effect = [t for t in effective_steps(rows) if t.kind != "created"]
        try:
            if kind == "step":
                req = dict(req)
                days = req.pop("days")
                req.pop("has_participation_consent")
                last = max(t.occurred_on for t in effective_steps(rows))
                referral_transition(
                    referral,
                    acting_user=coordinator,
                    occurred_on=last + timedelta(days=max(days, 0)),
                    **req,
                )
            elif kind == "forward":
                episode = Episode.objects.filter(referral=referral).first()
                last = max(t.occurred_on for t in effective_steps(rows))
                referral.refresh_from_db()
                ask = forward(referral.state, episode.phase_number if episode else 1, req)
                referral_transition(referral, acting_user=coordinator,
                                    occurred_on=last + timedelta(days=req), **ask)  # fmt: skip
            elif in_effect and kind == "withdraw":
                # Mostly the latest; sometimes an earlier one, which is refused.
                target = in_effect[-1] if req % 3 else in_effect[req % len(in_effect)]
                transition_withdraw(
                    Transition.objects.get(pk=target.pk), acting_user=coordinator, reason="error"
                )
            elif in_effect:
                target = in_effect[req["which"] % len(in_effect)]
                values = {k: v for k, v in req.items() if k not in ("which", "days") and v}
                transition_correct(
                    Transition.objects.get(pk=target.pk), acting_user=coordinator,
                    reason="recorded in error",
                    occurred_on=target.occurred_on + timedelta(days=req["days"]), **values,
                )  # fmt: skip
        except InvalidInput as exc:
            assert exc.problems and all(p.reason for p in exc.problems)
    stored = Referral.objects.get(pk=referral.pk)
    rows = list(stored.transitions.all())
    steps = effective_steps(rows)
    # The steps in effect form a legal chain, in date order, none in the future.
    state, last = State.REFERRAL, stored.referral_date
    for t in steps[1:]:
        assert t.from_state == state
        assert t.to_state in machine.allowed_next(state) or (
            t.kind == "phase" and state == "episode"
        )
        assert last <= t.occurred_on <= date.today()
        state, last = t.to_state, t.occurred_on
    derived = derive(steps)
    assert stored.state == state == derived.state
    assert (stored.recommended_disposal, stored.imposed_disposal) == (
        derived.recommended_disposal, derived.imposed_disposal,
    )  # fmt: skip
    episode = Episode.objects.filter(referral=referral).first()
    if derived.episode_started_on is None:
        assert episode is None
    else:
        assert episode is not None
        assert (episode.started_on, episode.phase_number, episode.ended_on, episode.exit_type) == (
            derived.episode_started_on, derived.phase_number, derived.ended_on, derived.exit_type,
        )  # fmt: skip
        assert (episode.ended_on is None) == (state == State.EPISODE)
    # Every row written bumped the version once: nothing half-written.
    assert stored.version == len(rows)
