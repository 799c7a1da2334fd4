"""The pathway state machine, as pure functions: no database, so the service functions, the
synthetic-data generator and the property-based tests share one set of rules.

Referral ─► Screening ─► Eligibility ─► Assessment ─► Recommendation ─► Decision ─► Episode
─► Exit ─► Follow-up ─► Closed. A person can leave at any step before the episode; the reason is
data (R3). The recommended and the imposed disposal are recorded separately (R3).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from turnpoint import dates
from turnpoint.accounts.models import Role
from turnpoint.errors import InvalidInput, Problem
from turnpoint.programmes.eligibility import RuleResult

from .models import Disposal, State

S = State
FORWARD = {
    S.REFERRAL: S.SCREENING,
    S.SCREENING: S.ELIGIBILITY,
    S.ELIGIBILITY: S.ASSESSMENT,
    S.ASSESSMENT: S.RECOMMENDATION,
    S.RECOMMENDATION: S.DECISION,
    S.DECISION: S.EPISODE,
    S.EPISODE: S.EXIT,
    S.EXIT: S.FOLLOW_UP,
    S.FOLLOW_UP: S.CLOSED,
}
PRE_EPISODE = (S.REFERRAL, S.SCREENING, S.ELIGIBILITY, S.ASSESSMENT, S.RECOMMENDATION, S.DECISION)
TERMINAL = (S.CLOSED, S.LEFT)
# `Choices.values` builds a new list on every call; the bulk generator plans ~700,000 steps.
_STATES = frozenset(State.values)
_DISPOSALS = frozenset(Disposal.values)

LEAVE_REASONS = {
    "screened_out": "Screening found no drug use linked to the offending",
    "not_eligible": "Not eligible under the programme's rules",
    "not_suitable": "Assessed as not suitable",
    "declined": "The participant declined or did not consent",
    "did_not_attend": "Did not attend",
    "recommended_other": "Another disposal was recommended",
    "prosecution_declined": "The prosecution did not agree to diversion",
    "court_other_disposal": "The court imposed another disposal",
    "withdrawn": "The referrer withdrew the referral",
    "moved_away": "Moved out of the area",
    "custody": "Remanded or sentenced to custody",
    "died": "Died",
    "other": "Other (the reason says what)",
}


def allowed_next(state: str) -> tuple[str, ...]:
    """Next states from `state`, in the order they are offered to staff."""
    state = State(state)
    nxt: list[str] = []
    if state in FORWARD:
        nxt.append(FORWARD[state])
    if state == S.EXIT:
        nxt.append(S.CLOSED)  # no follow-up is possible (e.g. the person died)
    if state in PRE_EPISODE:
        nxt.append(S.LEFT)
    return tuple(nxt)


def describe_refusal(state: str, to_state: str) -> str:
    options = ", ".join(State(s).label for s in allowed_next(state)) or "none (the pathway ended)"
    return (
        f"A referral at '{State(state).label}' cannot move to '{State(to_state).label}'. "
        f"Allowed next steps: {options}."
    )


class RulesNotMet(InvalidInput):
    """A well-formed step that breaks one of the programme's rules and carries no override
    the acting role may give. Every problem names the rule in plain words."""


# Who may override a programme's rules when its file does not say (docs/programmes.md).
DEFAULT_OVERRIDE_ROLES = (Role.COORDINATOR.value,)
_ROLE_LABELS = dict(Role.choices)


def role_label(role: str) -> str:
    return str(_ROLE_LABELS.get(role, role or "user without a role")).lower()


def _day(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


@dataclass
class Step:
    """A validated transition, ready to be written by a service or a bulk writer."""

    from_state: str
    to_state: str
    kind: str
    occurred_on: date
    reason_code: str = ""
    reason: str = ""
    data: dict = field(default_factory=dict)


def plan_step(
    *,
    eligibility: Sequence[RuleResult] = (),
    started_on: date | None = None,
    phase_started_on: date | None = None,
    phase_min_weeks: Sequence[int] = (),
    max_duration_weeks: int | None = None,
    exit_outcomes: Mapping[str, str] | None = None,
    override_reason: str = "",
    override_role: str = "",
    override_roles: Sequence[str] = DEFAULT_OVERRIDE_ROLES,
    **request,
) -> tuple[Step | None, list[Problem]]:
    """Check one requested step against the rules. Returns the step or every problem found.

    `request` is what `plan_shape` takes (the state, the step asked for, its date and facts).
    The programme's own rules are checked on a step that is otherwise right
    (`programme_rules_broken`): the eligibility results when leaving Eligibility for
    Assessment, the phases' minimum lengths, the minimum before a completion and the maximum
    duration. A broken rule refuses the step unless `override_reason` is given by a role in
    `override_roles`; the step then records the override in `data["override"]`."""
    step, problems = plan_shape(**request)
    if step is None:
        return step, problems
    if step.from_state == S.ELIGIBILITY and step.to_state == S.ASSESSMENT:
        step.data["eligibility"] = [{"reason": r.reason, "passed": r.passed} for r in eligibility]
    broken = programme_rules_broken(
        state=step.from_state, to_state=step.to_state, occurred_on=step.occurred_on,
        eligibility=eligibility, phase_number=request.get("phase_number"),
        current_phase=request.get("current_phase"), started_on=started_on,
        phase_started_on=phase_started_on, phase_min_weeks=phase_min_weeks,
        max_duration_weeks=max_duration_weeks,
        exit_outcome=(exit_outcomes or {}).get(step.data.get("exit_type", ""), ""),
    )  # fmt: skip
    if not broken:
        return step, []
    problems = _override(broken, override_reason, override_role, override_roles, step.data)
    return (None, problems) if problems else (step, [])


def plan_shape(
    *,
    state: str,
    to_state: str,
    occurred_on: date,
    last_occurred_on: date,
    today: date,
    reason_code: str = "",
    reason: str = "",
    recommended_disposal: str = "",
    imposed_disposal: str = "",
    exit_type: str = "",
    exit_types: tuple[str, ...] = (),
    phase_number: int | None = None,
    current_phase: int | None = None,
    phase_count: int = 0,
    has_participation_consent: bool = False,
    participation_consent_signed_on: date | None = None,
) -> tuple[Step | None, list[Problem]]:
    """Check a step's order, dates and facts. Returns the step or every problem found."""
    problems: list[Problem] = []
    if to_state not in _STATES:
        return None, [Problem("to_state", f"'{to_state}' is not a pathway state")]
    reason = reason.strip()
    if occurred_on > today:
        problems.append(Problem("occurred_on", "is in the future"))
    if occurred_on < last_occurred_on:
        problems.append(
            Problem("occurred_on", f"is before the previous step ({last_occurred_on.isoformat()})")
        )

    if to_state == state == S.EPISODE:
        kind = "phase"
        if phase_number is None:
            problems.append(Problem("phase_number", "is required to change phase"))
        elif not 1 <= phase_number <= phase_count:
            problems.append(Problem("phase_number", f"must be between 1 and {phase_count}"))
        elif phase_number == current_phase:
            problems.append(Problem("phase_number", "is already the current phase"))
        if not reason:
            problems.append(Problem("reason", "is required: say why the phase changes"))
        data: dict[str, object] = {"phase_number": phase_number, "from_phase": current_phase}
        return _result(state, to_state, kind, occurred_on, reason_code, reason, data, problems)

    if to_state not in allowed_next(state):
        return None, [Problem("to_state", describe_refusal(state, to_state))]

    data = {}
    kind = "advance"
    if to_state == S.LEFT:
        kind = "left"
        if reason_code not in LEAVE_REASONS:
            choices = ", ".join(LEAVE_REASONS)
            problems.append(Problem("reason_code", f"must be one of: {choices}"))
        elif reason_code == "other" and not reason:
            problems.append(Problem("reason", "is required when the reason code is 'other'"))
        if state == S.DECISION:
            if imposed_disposal not in _DISPOSALS or imposed_disposal == Disposal.PROGRAMME:
                problems.append(
                    Problem("imposed_disposal", "must name the disposal imposed instead")
                )
            data["imposed_disposal"] = imposed_disposal
    elif to_state == S.DECISION:
        if recommended_disposal not in _DISPOSALS:
            problems.append(Problem("recommended_disposal", "is required for a recommendation"))
        data["recommended_disposal"] = recommended_disposal
    elif to_state == S.EPISODE:
        if imposed_disposal != Disposal.PROGRAMME:
            problems.append(
                Problem("imposed_disposal", "must be this programme to start an episode")
            )
        if not has_participation_consent:
            reason = "record the participant's informed consent to take part first"
            problems.append(Problem("participation_consent", reason))
        problems += dates.in_order(
            "occurred_on", occurred_on, participation_consent_signed_on,
            "the day the participant signed their consent to take part",
            why="an episode starts only once they have agreed to take part",
        )  # fmt: skip
        data["imposed_disposal"] = Disposal.PROGRAMME
        data["phase_number"] = 1
    elif to_state == S.EXIT:
        if exit_type not in exit_types:
            problems.append(Problem("exit_type", f"must be one of: {', '.join(exit_types)}"))
        if not reason:
            problems.append(Problem("reason", "is required: say why the episode ended"))
        data["exit_type"] = exit_type
    elif to_state == S.CLOSED and state == S.EXIT and not reason:
        problems.append(Problem("reason", "is required to close without follow-up"))
    return _result(state, to_state, kind, occurred_on, reason_code, reason, data, problems)


def _result(state, to_state, kind, occurred_on, reason_code, reason, data, problems):
    if problems:
        return None, problems
    return Step(state, to_state, kind, occurred_on, reason_code, reason, data), []


def programme_rules_broken(
    *,
    state: str,
    to_state: str,
    occurred_on: date,
    eligibility: Sequence[RuleResult] = (),
    phase_number: int | None = None,
    current_phase: int | None = None,
    started_on: date | None = None,
    phase_started_on: date | None = None,
    phase_min_weeks: Sequence[int] = (),
    max_duration_weeks: int | None = None,
    exit_outcome: str = "",
) -> list[str]:
    """The programme rules a well-formed step would break, each in plain words (pure).

    - leaving Eligibility for Assessment: every eligibility rule must be met;
    - a phase change to a later phase: the minimum lengths of the current phase and of any phase
      skipped must have passed since the current phase began;
    - an exit whose outcome is 'completed': the phases' minimum lengths together must have passed
      since the episode started;
    - a phase change or an exit dated after the episode's start plus the maximum duration."""
    broken: list[str] = []
    if state == S.ELIGIBILITY and to_state == S.ASSESSMENT:
        broken += [r.reason for r in eligibility if not r.passed]
    on_programme = state == S.EPISODE and to_state in (S.EPISODE, S.EXIT)
    if not on_programme or started_on is None:
        return broken
    if to_state == S.EPISODE and phase_number and current_phase and phase_number > current_phase:
        weeks = sum(phase_min_weeks[current_phase - 1 : phase_number - 1])
        began = phase_started_on or started_on
        if occurred_on < began + timedelta(weeks=weeks):
            if phase_number == current_phase + 1:
                what = f"phase {current_phase} lasts at least {weeks} weeks"
            else:
                what = (
                    f"phases {current_phase} to {phase_number - 1} last at least {weeks} weeks "
                    "together"
                )
            broken.append(f"{what}; phase {current_phase} began on {_day(began)}")
    if to_state == S.EXIT and exit_outcome == "completed":
        weeks = sum(phase_min_weeks)
        if occurred_on < started_on + timedelta(weeks=weeks):
            broken.append(
                f"completion comes after at least {weeks} weeks on the programme (the phases' "
                f"minimum lengths); the episode started on {_day(started_on)}"
            )
    late = max_duration_weeks is not None and occurred_on > started_on + timedelta(
        weeks=max_duration_weeks
    )
    if late:
        broken.append(
            f"the programme lasts at most {max_duration_weeks} weeks; the episode started "
            f"on {_day(started_on)}"
        )
    return broken


def _override(broken, override_reason, override_role, override_roles, data) -> list[Problem]:
    """Record an override of the broken rules in `data`, or the problems refusing the step."""
    reason = override_reason.strip()
    if override_role not in override_roles:
        allowed = " or the ".join(role_label(r) for r in override_roles)
        return [
            Problem(
                "override_reason",
                f"cannot be accepted from the {role_label(override_role)}:"
                f" a programme rule is not met ({rule}), and only the {allowed} may "
                "override it",
            )
            for rule in broken
        ]
    if not reason:
        return [
            Problem(
                "override_reason",
                f"is required to go on although a programme rule is not met: {rule}",
            )
            for rule in broken
        ]
    data["override"] = {"rules": list(broken), "reason": reason, "role": override_role}
    return []


def journey_rules_broken(
    steps: Sequence,
    *,
    phase_min_weeks: Sequence[int],
    max_duration_weeks: int | None,
    exit_outcomes: Mapping[str, str],
) -> list[tuple[int | None, str]]:
    """(step id, rule) for each programme rule the steps in effect break that the step's own
    recorded override does not cover (pure). The eligibility step is judged by the results it
    recorded; used to check a correction, which may move a step past a rule."""
    found: list[tuple[int | None, str]] = []
    started: date | None = None
    phase_started: date | None = None
    phase: int | None = None
    for t in steps:
        data = t.data or {}
        eligibility = [RuleResult(r["reason"], r["passed"]) for r in data.get("eligibility", [])]
        broken = programme_rules_broken(
            state=t.from_state, to_state=t.to_state, occurred_on=t.occurred_on,
            eligibility=eligibility,
            phase_number=data.get("phase_number") if t.kind == "phase" else None,
            current_phase=phase, started_on=started, phase_started_on=phase_started,
            phase_min_weeks=phase_min_weeks, max_duration_weeks=max_duration_weeks,
            exit_outcome=exit_outcomes.get(data.get("exit_type", ""), ""),
        )  # fmt: skip
        covered = set((data.get("override") or {}).get("rules") or ())
        found += [(t.pk, rule) for rule in broken if rule not in covered]
        if t.to_state == S.EPISODE:
            if t.kind == "advance":
                started, phase = t.occurred_on, 1
            else:
                phase = data.get("phase_number")
            phase_started = t.occurred_on
    return found


def override_problems(
    rules: Sequence[str], override_reason: str, override_role: str, override_roles: Sequence[str]
) -> tuple[dict | None, list[Problem]]:
    """The override recording `rules`, or the problems refusing it (pure)."""
    data: dict = {}
    problems = _override(list(rules), override_reason, override_role, override_roles, data)
    return data.get("override"), problems
