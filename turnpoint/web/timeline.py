"""The journey as a timeline: one entry per recorded transition (STYLE.md rule 4), newest first,
as the MoJ timeline component expects. Pure presentation: no queries."""

from dataclasses import dataclass
from datetime import date

from turnpoint.journeys.machine import LEAVE_REASONS, role_label
from turnpoint.journeys.models import Disposal, Source, State, Transition

K = Transition.Kind


@dataclass(frozen=True)
class Entry:
    title: str
    occurred_on: date
    by: str
    details: tuple[str, ...]
    reason: str


def timeline_entries(transitions, *, programme, phase_names: dict[int, str]) -> list[Entry]:
    entries = [_entry(t, programme, phase_names) for t in transitions]
    entries.reverse()
    return entries


def _entry(t, programme, phase_names) -> Entry:
    data = t.data or {}
    details: list[str] = []
    if t.kind == K.CREATED:
        title = "Referral received"
        if data.get("source") in Source.values:
            details.append(f"Referred by: {Source(data['source']).label}")
    elif t.kind == K.LEFT:
        title = "Left the pathway"
        details.append(f"At: {State(t.from_state).label}")
        if t.reason_code:
            details.append(f"Why: {LEAVE_REASONS.get(t.reason_code, t.reason_code)}")
    elif t.kind == K.PHASE:
        number = data.get("phase_number")
        title = f"Moved to phase {number}: {phase_names.get(number, '')}".rstrip(": ")
        if data.get("from_phase"):
            details.append(f"From phase {data['from_phase']}")
    elif t.to_state == State.EPISODE:
        title = "Started on the programme"
        details.append(f"Phase 1: {phase_names.get(1, '')}".rstrip(": "))
    elif t.to_state == State.EXIT:
        title = "Episode ended"
        exit_type = programme.exit_type(data.get("exit_type", "")) if programme else None
        if exit_type:
            details.append(f"How it ended: {exit_type['label']}")
    else:
        title = f"Moved to {State(t.to_state).label.lower()}"
    for key, label in (
        ("recommended_disposal", "Recommended"),
        ("imposed_disposal", "Imposed"),
    ):
        if data.get(key) in Disposal.values:
            details.append(f"{label}: {Disposal(data[key]).label}")
    override = data.get("override")
    if isinstance(override, dict) and override.get("reason"):
        rules = "; ".join(override.get("rules") or [])
        what = "rule not met" if len(override.get("rules") or []) == 1 else "rules not met"
        details.append(
            f"Override by the {role_label(override.get('role', ''))}: {override['reason']}"
            f" — {what}: {rules}"
        )
    by = str(t.acting_user) if t.acting_user_id else "Recorded by the system"
    return Entry(title, t.occurred_on, by, tuple(details), t.reason)
