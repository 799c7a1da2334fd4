"""The journey as a timeline: one entry per recorded transition (STYLE.md rule 4), newest
recorded first, as the MoJ timeline component expects. A step corrected or withdrawn stays, tagged
as such, and its correction or withdrawal has an entry of its own saying what changed and why
(docs/journeys.md). Pure presentation: no queries."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from turnpoint.journeys.effective import FIX_KINDS, journey_of
from turnpoint.journeys.machine import LEAVE_REASONS, role_label
from turnpoint.journeys.models import Disposal, Source, State, Transition
from turnpoint.supervision.advancement import ADVANCEMENT_REASON

K = Transition.Kind


@dataclass(frozen=True)
class Entry:
    title: str
    occurred_on: date
    by: str
    details: tuple[str, ...]
    reason: str
    pk: int | None = None
    status: str = ""  # "corrected", "withdrawn" or "" for a step; "correction", "withdrawal"
    may_correct: bool = False
    may_withdraw: bool = False
    # A phase reached because its advancement criteria were met: celebrated with the
    # participant (R22; docs/supervision.md, "Phases").
    milestone: bool = False


def timeline_entries(transitions, *, programme, phase_names: dict[int, str],
                     may_fix: Callable[[object], bool] | None = None) -> list[Entry]:  # fmt: skip
    """Every row, newest recorded first. `may_fix(step)` says whether the reader may correct or
    withdraw a step (its author or a coordinator); only steps in effect are offered, and only
    the latest one for withdrawal."""
    rows = sorted(transitions, key=lambda t: t.pk or 0)
    journey = journey_of(rows)
    by_id = {t.pk: t for t in rows}
    in_effect = {t.pk for t in journey.steps}
    latest = journey.steps[-1].pk if journey.steps else None
    entries = []
    for t in rows:
        if t.kind in FIX_KINDS:
            entries.append(_fix_entry(t, by_id, journey, programme, phase_names))
            continue
        entry = _entry(t, programme, phase_names)
        status = ("withdrawn" if t.pk in journey.withdrawals
                  else "corrected" if t.pk in journey.corrections else "")  # fmt: skip
        fixable = t.pk in in_effect and t.kind != K.CREATED and may_fix is not None and may_fix(t)
        entries.append(replace(entry, pk=t.pk, status=status, may_correct=fixable,
                               may_withdraw=fixable and t.pk == latest))  # fmt: skip
    entries.reverse()
    return entries


def _fix_entry(row, by_id, journey, programme, phase_names) -> Entry:
    """A correction or withdrawal: which step, what changed (from the values before it), why."""
    original = by_id.get(row.corrects_id)
    step = _entry(original, programme, phase_names).title if original else "a step"
    by = str(row.acting_user) if row.acting_user_id else "Recorded by the system"
    day = row.recorded_at.date()
    if row.kind == K.WITHDRAWAL:
        details = (f"Withdrew: {step}", f"Back to: {State(row.to_state).label}")
        return Entry(
            "Step withdrawn", day, by, details, row.correction_reason, row.pk, "withdrawal"
        )
    fixes = journey.corrections.get(row.corrects_id, [])
    at = fixes.index(row) if row in fixes else 0
    before = fixes[at - 1] if at else original
    details = [f"Corrected: {step}"]
    if before is not None:
        details += _changes(before, row, programme)
        if (row.data or {}).get("override") != (before.data or {}).get("override"):
            details += _override_details(row.data or {})
    return Entry("Step corrected", day, by, tuple(details), row.correction_reason, row.pk,
                 "correction")  # fmt: skip


def _changes(before, after, programme) -> list[str]:
    lines = []
    if before.occurred_on != after.occurred_on:
        lines.append(f"Date: {before.occurred_on:%d %B %Y} to {after.occurred_on:%d %B %Y}")
    if before.reason_code != after.reason_code:
        lines.append(f"Why they left: {LEAVE_REASONS.get(before.reason_code, before.reason_code)}"
                     f" to {LEAVE_REASONS.get(after.reason_code, after.reason_code)}")  # fmt: skip
    if before.reason != after.reason:
        lines.append(f"Reason: {before.reason or '(none)'} to {after.reason or '(none)'}")
    old, new = before.data or {}, after.data or {}
    for key, label in (("recommended_disposal", "Recommended"), ("imposed_disposal", "Imposed")):
        if old.get(key) != new.get(key) and new.get(key) in Disposal.values:
            was = Disposal(old[key]).label if old.get(key) in Disposal.values else "(none)"
            lines.append(f"{label}: {was} to {Disposal(new[key]).label}")
    if old.get("exit_type") != new.get("exit_type"):
        labels = {e["code"]: e["label"] for e in (programme.exit_types if programme else [])}
        lines.append(f"How it ended: {labels.get(old.get('exit_type'), old.get('exit_type'))} "
                     f"to {labels.get(new.get('exit_type'), new.get('exit_type'))}")  # fmt: skip
    return lines


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
        if t.reason_code == ADVANCEMENT_REASON:
            details.append("Every advancement criterion of the phase was met")
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
    details += _override_details(data)
    by = str(t.acting_user) if t.acting_user_id else "Recorded by the system"
    milestone = t.kind == K.PHASE and t.reason_code == ADVANCEMENT_REASON
    return Entry(title, t.occurred_on, by, tuple(details), t.reason, milestone=milestone)


def _override_details(data: dict) -> list[str]:
    """An override of the programme's rules, in words (docs/journeys.md)."""
    override = data.get("override")
    if not isinstance(override, dict) or not override.get("reason"):
        return []
    rules = override.get("rules") or []
    what = "rule not met" if len(rules) == 1 else "rules not met"
    return [
        f"Override by the {role_label(override.get('role', ''))}: {override['reason']}"
        f" — {what}: {'; '.join(rules)}"
    ]
