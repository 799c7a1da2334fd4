"""The pathway state machine, as pure functions: no database, so the service functions, the
synthetic-data generator and the property-based tests share one set of rules.

Referral ─► Screening ─► Eligibility ─► Assessment ─► Recommendation ─► Decision ─► Episode
─► Exit ─► Follow-up ─► Closed. A person can leave at any step before the episode; the reason is
data (R3). The recommended and the imposed disposal are recorded separately (R3).
"""

from dataclasses import dataclass, field
from datetime import date

from turnpoint.errors import Problem

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
) -> tuple[Step | None, list[Problem]]:
    """Check one requested step against the rules. Returns the step or every problem found."""
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
