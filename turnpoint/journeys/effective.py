"""The effective steps of a referral: what its transitions say once corrections and withdrawals
are applied. Pure functions over rows already fetched: no queries, so the services, the pages,
the exports and the property-based tests read a journey the same way.

Transitions are append-only. A correction (kind `correction`) or a withdrawal (`withdrawal`) is a
row of its own that names the step it corrects (`corrects`); the step itself is never changed.
A step's effective values are those of its latest correction; a withdrawn step has none.
`Referral.state`, the disposals and the episode are the cached result of the effective steps
(`derive`), written again by every correction and withdrawal (docs/journeys.md).
"""

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from .models import State, Transition

K = Transition.Kind
STEP_KINDS = frozenset({K.CREATED, K.ADVANCE, K.LEFT, K.PHASE})
FIX_KINDS = frozenset({K.CORRECTION, K.WITHDRAWAL})


@dataclass(frozen=True)
class Journey:
    """Every row of a referral sorted out: the effective steps in the order taken, and for each
    original step its corrections (oldest first) and its withdrawal, if any."""

    steps: list  # effective Transition copies, in the order taken (by id)
    corrections: dict  # original id -> [correction rows], oldest first
    withdrawals: dict  # original id -> withdrawal row


def journey_of(rows: Iterable[Transition]) -> Journey:
    rows = sorted(rows, key=lambda t: t.pk or 0)
    corrections: dict[int, list] = {}
    withdrawals: dict[int, Transition] = {}
    for t in rows:
        if t.kind == K.CORRECTION and t.corrects_id is not None:
            corrections.setdefault(t.corrects_id, []).append(t)
        elif t.kind == K.WITHDRAWAL and t.corrects_id is not None:
            withdrawals.setdefault(t.corrects_id, t)
    steps = []
    for t in rows:
        if t.kind not in STEP_KINDS or t.pk in withdrawals:
            continue
        fixes = corrections.get(t.pk)
        if fixes:
            latest = fixes[-1]
            t = copy.copy(t)
            t.occurred_on = latest.occurred_on
            t.reason_code = latest.reason_code
            t.reason = latest.reason
            t.data = dict(latest.data or {})
        steps.append(t)
    return Journey(steps, corrections, withdrawals)


def effective_steps(rows: Iterable[Transition]) -> list:
    """The steps in effect, in the order taken, with their corrected values. The rows are copies
    where corrected; each keeps the id of the step it stands for."""
    return journey_of(rows).steps


def last_occurred_on(rows: Iterable[Transition], default: date) -> date:
    """The date of the latest step in effect (a next step may not be dated before it)."""
    return max((t.occurred_on for t in effective_steps(rows)), default=default)


@dataclass(frozen=True)
class Derived:
    """What the effective steps leave the referral and its episode at."""

    state: str
    recommended_disposal: str
    imposed_disposal: str
    episode_started_on: date | None  # None: no episode in effect
    phase_number: int
    ended_on: date | None
    exit_type: str


def derive(steps: list) -> Derived:
    """The referral's state, disposals and episode facts from its effective steps."""
    state = State.REFERRAL
    recommended = imposed = ""
    started: date | None = None
    phase = 1
    ended: date | None = None
    exit_type = ""
    for t in steps:
        data = t.data or {}
        if t.kind == K.CREATED:
            continue
        state = t.to_state
        if "recommended_disposal" in data:
            recommended = data["recommended_disposal"]
        if "imposed_disposal" in data:
            imposed = data["imposed_disposal"]
        if t.kind == K.ADVANCE and t.to_state == State.EPISODE:
            started, phase = t.occurred_on, 1
        elif t.kind == K.PHASE:
            phase = data.get("phase_number") or phase
        elif t.to_state == State.EXIT:
            ended, exit_type = t.occurred_on, data.get("exit_type", "")
    return Derived(str(state), recommended, imposed, started, phase, ended, exit_type)
