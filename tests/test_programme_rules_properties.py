"""Property-based tests: no sequence of pathway steps reaches a state the programme's rules forbid
without a recorded override, with a reason, by a role the programme allows.

The oracle below restates the rules from docs/journeys.md independently of the machine: leaving
Eligibility for Assessment needs every eligibility rule met; a move to a later phase needs the
minimum lengths of the phases it leaves behind; a completion needs the phases' minimum lengths
together; a phase change or an exit needs to fall within the maximum duration."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from participation_helpers import consent_to_take_part

from turnpoint.errors import InvalidInput
from turnpoint.journeys import machine
from turnpoint.journeys.models import Referral, State
from turnpoint.journeys.services import referral_transition
from turnpoint.programmes.eligibility import RuleResult, eligibility_check

S = State
ROLES = ("coordinator", "case_manager", "judge", "")
REASONS = ("", "   ", "The team agreed, for the reasons in the case notes")
EXITS = {"completed": "completed", "graduated": "completed", "stopped": "unsuccessful"}

programmes = st.fixed_dictionaries(
    {
        "phase_min_weeks": st.lists(st.integers(1, 12), min_size=2, max_size=4),
        "slack_weeks": st.integers(0, 20),
        "override_roles": st.sampled_from([("coordinator",), ("coordinator", "case_manager")]),
        "eligibility": st.lists(
            st.builds(
                RuleResult, st.sampled_from(["Aged 18 or over", "No violence"]), st.booleans()
            ),
            max_size=3,
        ),
    }
)
steps = st.fixed_dictionaries(
    {
        # Mostly the next step, so that sequences reach episodes; sometimes anything.
        "to_state": st.sampled_from(["next"] * 10 + ["phase"] * 6 + ["exit"] * 3 + [*S.values]),
        "days": st.one_of(st.integers(0, 30), st.integers(0, 200)),
        "phase_number": st.integers(1, 4),
        "exit_type": st.sampled_from(list(EXITS)),
        "recommended_disposal": st.just("programme"),
        "imposed_disposal": st.just("programme"),
        "reason": st.sampled_from(["", "Agreed at review"]),
        "reason_code": st.sampled_from(["", "declined"]),
        "override_reason": st.sampled_from(REASONS[1:] + REASONS),
        "override_role": st.sampled_from(ROLES[:1] * 3 + ROLES),
    }
)


def expected_broken(state, step, *, eligibility, started_on, phase_started_on, current_phase,
                    phase_min_weeks, max_weeks, outcomes=EXITS) -> bool:  # fmt: skip
    """Whether the step, as the oracle reads the rules, breaks one of them."""
    on = step.occurred_on
    if state == S.ELIGIBILITY and step.to_state == S.ASSESSMENT:
        return any(not r.passed for r in eligibility)
    if state != S.EPISODE or step.to_state not in (S.EPISODE, S.EXIT):
        return False
    if on > started_on + timedelta(weeks=max_weeks):
        return True
    if step.kind == "phase" and step.data["phase_number"] > current_phase:
        needed = sum(phase_min_weeks[current_phase - 1 : step.data["phase_number"] - 1])
        return on < phase_started_on + timedelta(weeks=needed)
    if step.to_state == S.EXIT and outcomes[step.data["exit_type"]] == "completed":
        return on < started_on + timedelta(weeks=sum(phase_min_weeks))
    return False


@settings(max_examples=300)
@given(programmes, st.sampled_from([S.REFERRAL, S.ELIGIBILITY, S.EPISODE]),
       st.lists(steps, max_size=40))  # fmt: skip
def test_no_step_breaks_a_programme_rule_without_a_recorded_override(programme, start, requests):
    mins = programme["phase_min_weeks"]
    max_weeks = sum(mins) + programme["slack_weeks"]
    allowed = programme["override_roles"]
    state, last = start, date(2024, 1, 1)
    phase = started_on = phase_started_on = None
    if start == S.EPISODE:  # an episode that started on `last`, in phase 1
        phase, started_on, phase_started_on = 1, last, last
    for req in requests:
        req = dict(req)
        on = last + timedelta(days=req.pop("days"))
        if req["to_state"] == "next":
            req["to_state"] = machine.FORWARD.get(state, S.EPISODE)
        if req["to_state"] == "phase":
            req["to_state"] = S.EPISODE  # a phase change when on programme
        step, problems = machine.plan_step(
            state=state, occurred_on=on, last_occurred_on=last, today=date(2030, 1, 1),
            exit_types=tuple(EXITS), exit_outcomes=EXITS, current_phase=phase,
            phase_count=len(mins), has_participation_consent=True,
            eligibility=programme["eligibility"], started_on=started_on,
            phase_started_on=phase_started_on, phase_min_weeks=mins,
            max_duration_weeks=max_weeks, override_roles=allowed, **req,
        )  # fmt: skip
        if step is None:
            assert problems and all(p.field and p.reason for p in problems)
            continue
        broken = expected_broken(
            state, step, eligibility=programme["eligibility"], started_on=started_on,
            phase_started_on=phase_started_on, current_phase=phase, phase_min_weeks=mins,
            max_weeks=max_weeks,
        )  # fmt: skip
        override = step.data.get("override")
        if broken:
            assert override is not None, (state, step)
            assert override["reason"] and override["reason"] == override["reason"].strip()
            assert override["role"] in allowed and override["rules"]
        else:
            assert override is None
        if step.from_state == S.ELIGIBILITY and step.to_state == S.ASSESSMENT:
            assert [r["passed"] for r in step.data["eligibility"]] == [
                r.passed for r in programme["eligibility"]
            ]
        if step.to_state == S.EPISODE:
            if step.kind == "advance":
                started_on, phase = step.occurred_on, 1
            else:
                phase = step.data["phase_number"]
            phase_started_on = step.occurred_on
        state, last = step.to_state, step.occurred_on


facts = st.fixed_dictionaries(
    {
        "age": st.integers(15, 40),
        "offence_category": st.sampled_from(["acquisitive", "violence", "drug_possession"]),
        "drug_related_type": st.sampled_from(["economic_compulsive", "unknown"]),
    }
)
service_steps = st.fixed_dictionaries(
    {
        "to_state": st.sampled_from(["next", "next", S.EPISODE, S.EXIT, S.LEFT]),
        "weeks": st.integers(0, 20),
        "phase_number": st.one_of(st.none(), st.integers(1, 3)),
        "exit_type": st.sampled_from(["completed", "participant_withdrew"]),
        "override_reason": st.sampled_from(REASONS),
        "by": st.sampled_from(["coordinator", "casemanager"]),
    }
)


@pytest.mark.django_db
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(facts, st.lists(service_steps, min_size=1, max_size=12))
def test_stored_pathways_keep_the_rules_or_carry_an_override(make_referral, users, facts, asks):
    with time_machine.travel(datetime(2026, 6, 15, 12, tzinfo=UTC), tick=False):
        referral = make_referral(
            on=date(2024, 1, 1), offence_category=facts["offence_category"],
            drug_related_type=facts["drug_related_type"],
        )  # fmt: skip
        person = referral.participant
        person.date_of_birth = referral.offence_date - timedelta(days=facts["age"] * 366)
        person.save(update_fields=["date_of_birth"])
        coordinator = users["coordinator"]
        day = referral.referral_date
        for to_state in (S.SCREENING, S.ELIGIBILITY):
            day += timedelta(days=1)
            referral_transition(referral, acting_user=coordinator, to_state=to_state,
                                occurred_on=day)  # fmt: skip
        consent_to_take_part(referral, coordinator)
        rules = eligibility_check(referral.programme, Referral.objects.get(pk=referral.pk))
        for ask in asks:
            day += timedelta(weeks=ask["weeks"])
            state = Referral.objects.get(pk=referral.pk).state
            to_state = ask["to_state"]
            if to_state == "next":
                to_state = machine.FORWARD.get(state, S.EPISODE)
            if to_state == S.EXIT and state == S.EPISODE and ask["phase_number"]:
                to_state = S.EPISODE  # a phase change instead
            try:
                referral_transition(
                    referral, acting_user=users[ask["by"]], to_state=to_state, occurred_on=day,
                    phase_number=ask["phase_number"], exit_type=ask["exit_type"],
                    reason="Recorded at the review", reason_code="declined",
                    recommended_disposal="programme", imposed_disposal="programme",
                    override_reason=ask["override_reason"],
                )  # fmt: skip
            except InvalidInput as exc:
                assert exc.problems
    programme = referral.programme
    mins = list(programme.phases.order_by("number").values_list("min_weeks", flat=True))
    outcomes = {e["code"]: e["outcome"] for e in programme.exit_types}
    started = phase_started = phase = None
    for t in Referral.objects.get(pk=referral.pk).transitions.order_by("id")[1:]:
        step = machine.Step(t.from_state, t.to_state, t.kind, t.occurred_on, data=t.data)
        broken = expected_broken(
            t.from_state, step, eligibility=rules, started_on=started,
            phase_started_on=phase_started, current_phase=phase, phase_min_weeks=mins,
            max_weeks=programme.max_duration_weeks, outcomes=outcomes,
        )  # fmt: skip
        override = t.data.get("override")
        if broken:
            assert override and override["reason"].strip()
            assert override["role"] in programme.override_roles
            assert t.acting_user.role == override["role"]
        else:
            assert override is None
        if t.to_state == S.EPISODE:
            started = started or t.occurred_on
            phase = t.data["phase_number"]
            phase_started = t.occurred_on
