"""The actions the participant page offers for a referral: one per allowed next step of the state
machine (`machine.allowed_next`), plus a phase change during an episode, each with the fields
that step needs. The state machine and `referral_transition` still decide; this only decides
what to ask."""

from dataclasses import dataclass, field, replace

from turnpoint.journeys import machine
from turnpoint.journeys.models import Disposal, State

S = State

TITLES = {
    S.SCREENING: "Start screening",
    S.ELIGIBILITY: "Check eligibility",
    S.ASSESSMENT: "Start the assessment",
    S.RECOMMENDATION: "Record the assessment as done",
    S.DECISION: "Record the recommendation",
    S.EPISODE: "Start on the programme",
    S.EXIT: "End the episode",
    S.FOLLOW_UP: "Start follow-up",
    S.CLOSED: "Close the record",
    S.LEFT: "Record that the participant left the pathway",
}

HINTS = {
    S.RECOMMENDATION: "The assessment is complete; the team now prepares its recommendation.",
    S.DECISION: "What the team recommends; the decision-maker decides next.",
    S.EPISODE: "The decision-maker imposed this programme; the episode starts in phase 1.",
    S.LEFT: "Leaving is data, not failure: the reason helps the programme see where people "
    "fall off the pathway.",
}


@dataclass(frozen=True)
class Action:
    key: str  # posted back, and used in element ids: "screening", "left", "phase", ...
    to_state: str
    title: str
    hint: str = ""
    fields: tuple[str, ...] = ("occurred_on", "reason")
    required: tuple[str, ...] = ()
    choices: dict = field(default_factory=dict)
    fixed: dict = field(default_factory=dict)  # service arguments the action itself implies
    primary: bool = False


OVERRIDE_HINT = (
    "A phase change before the phase's minimum length, a completion before the phases' minimum "
    "lengths, or either after the programme's maximum duration needs an override reason."
)


def referral_actions(referral, *, episode=None, phases=(), eligibility=()) -> list[Action]:
    """Every step a member of the referral's team could record next, primary step first.

    `eligibility`: the programme's rules checked against the referral (at the eligibility
    step); a rule not met adds the override reason to the step that moves on."""
    actions = []
    for to_state in machine.allowed_next(referral.state):
        action = _action(referral, to_state, episode=episode)
        failed = [r.reason for r in eligibility if not r.passed]
        if referral.state == S.ELIGIBILITY and to_state == S.ASSESSMENT and failed:
            hint = (
                f"Not met: {'; '.join(failed)}. To go on all the same, give an override "
                "reason (only the roles the programme allows may override its rules)."
            )
            action = replace(action, hint=hint, fields=(*action.fields, "override_reason"))
        actions.append(action)
    if referral.state == S.EPISODE and episode is not None and len(phases) > 1:
        actions.append(
            Action(
                key="phase",
                to_state=S.EPISODE,
                title="Change phase",
                hint="Moving back a phase is a legitimate response, not a sanction. "
                + OVERRIDE_HINT,
                fields=("phase_number", "occurred_on", "reason", "override_reason"),
                required=("phase_number", "reason"),
                choices={
                    "phase_number": [("", "Choose the phase")]
                    + [
                        (p.number, f"Phase {p.number}: {p.name}")
                        for p in phases
                        if p.number != episode.phase_number
                    ]
                },
            )
        )
    return actions


def _action(referral, to_state: str, *, episode) -> Action:
    state = referral.state
    title = TITLES[to_state]
    hint = HINTS.get(to_state, "")
    primary = to_state == machine.FORWARD.get(state)
    if to_state == S.LEFT:
        fields = ["reason_code", "occurred_on", "reason"]
        required = ["reason_code"]
        choices = {}
        if state == S.DECISION:
            fields.insert(1, "imposed_disposal")
            required.append("imposed_disposal")
            choices["imposed_disposal"] = [("", "Choose the disposal")] + [
                c for c in Disposal.choices if c[0] != Disposal.PROGRAMME
            ]
        return Action(
            key="left",
            to_state=to_state,
            title=title,
            hint=hint,
            fields=tuple(fields),
            required=tuple(required),
            choices=choices,
        )
    if to_state == S.DECISION:
        return Action(
            key=to_state,
            to_state=to_state,
            title=title,
            hint=hint,
            fields=("recommended_disposal", "occurred_on", "reason"),
            required=("recommended_disposal",),
            primary=primary,
        )
    if to_state == S.EPISODE:
        return Action(
            key=to_state,
            to_state=to_state,
            title=title,
            hint=hint,
            fixed={"imposed_disposal": Disposal.PROGRAMME},
            primary=primary,
        )
    if to_state == S.EXIT:
        exit_types = referral.programme.exit_types
        return Action(
            key=to_state,
            to_state=to_state,
            title=title,
            hint=OVERRIDE_HINT,
            fields=("exit_type", "occurred_on", "reason", "override_reason"),
            required=("exit_type", "reason"),
            choices={
                "exit_type": [("", "Choose how it ended")]
                + [(e["code"], e["label"]) for e in exit_types]
            },
        )
    if to_state == S.CLOSED and state == S.EXIT:
        return Action(
            key=to_state,
            to_state=to_state,
            title="Close without follow-up",
            hint="Only when no follow-up is possible; say why.",
            required=("reason",),
        )
    return Action(key=to_state, to_state=to_state, title=title, hint=hint, primary=primary)
