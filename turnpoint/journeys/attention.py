"""What on a caseload row needs attention, most urgent first (docs/web.md, "Caseload").

Pure functions over a row's state, dates and programme: no database. The caseload orders its
rows in the database by the same rules (`journeys/caseload.py`, `attention_rank`), since the list
is paged; this module says in words what each shown row needs.

In order of urgency:
0. the 14 days after release from custody, a high overdose-risk window (evidence.md R20;
   `supervision/custody.py`), with the number of the release plan's tasks still open that the
   reader may see;
1. a step overdue against the programme's timeliness targets (`timeliness:` in the programme
   file; R4: slow processing is made visible, since delay breaks the person's link between their
   drug use and its consequences);
2. consent to take part not recorded at the decision stage, before a start (R12);
3. the minimum time in the current phase reached (`min_weeks` of the phase), so the team can
   review whether the participant moves on.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from .models import State

S = State

RELEASE_WINDOW, OVERDUE, CONSENT_MISSING, PHASE_MINIMUM, NOTHING = 0, 1, 2, 3, 9

# Before the assessment is complete (the step to Recommendation completes it, as in
# selectors.referral_timeliness), before the referral reaches the decision stage, before the start.
_BEFORE_ASSESSMENT = (S.REFERRAL, S.SCREENING, S.ELIGIBILITY, S.ASSESSMENT)
_BEFORE_DECISION = (*_BEFORE_ASSESSMENT, S.RECOMMENDATION)
_BEFORE_START = (*_BEFORE_DECISION, S.DECISION)


@dataclass(frozen=True)
class Target:
    key: str  # the key under `timeliness:` in the programme file
    step: str  # what is due, in words
    counted_from: str  # "referral" or "offence"
    pending: tuple[str, ...]  # the states in which the step is still to come


TARGETS = (
    Target("referral_to_assessment_days", "Assessment", "referral", _BEFORE_ASSESSMENT),
    Target("referral_to_decision_days", "Recommendation to the decision-maker", "referral",
           _BEFORE_DECISION),
    Target("referral_to_start_days", "Start on the programme", "referral", _BEFORE_START),
    Target("offence_to_start_days", "Start on the programme", "offence", _BEFORE_START),
)  # fmt: skip
TARGET_KEYS = tuple(t.key for t in TARGETS)


def targets_of(definition: dict) -> dict[str, int]:
    """The programme's timeliness targets in days, by key; a programme file without
    `timeliness:` (or without a key) has no target for that step, so it is never overdue."""
    given = definition.get("timeliness") or {}
    return {key: given[key] for key in TARGET_KEYS if isinstance(given.get(key), int)}


def phase_minimums(definition: dict) -> dict[int, int]:
    """Phase number (from 1, in the file's order, as the loader numbers them) -> minimum days in
    it, from the programme's definition."""
    return {i: p["min_weeks"] * 7 for i, p in enumerate(definition.get("phases") or [], start=1)}


def phase_names(definition: dict) -> dict[int, str]:
    return {i: p["name"] for i, p in enumerate(definition.get("phases") or [], start=1)}


@dataclass(frozen=True)
class Facts:
    """What the rules need to know about a caseload row's referral and its episode."""

    state: str
    referral_date: date
    offence_date: date
    phase_number: int | None = None
    phase_started_on: date | None = None  # the last phase change, else the episode's start
    # Whether a current consent to take part is recorded; None when the reader may not know
    # (the consent is a legal fact), so it is never asked.
    has_participation_consent: bool | None = None
    # In the 14 days after release: how many tasks of the release plan are open (of the
    # categories the reader may see); None when not in the window or the reader may not know.
    release_tasks_open: int | None = None


@dataclass(frozen=True)
class Attention:
    rank: int
    text: str


def due_date(target: Target, facts: Facts, days: int) -> date:
    start = facts.referral_date if target.counted_from == "referral" else facts.offence_date
    return start + timedelta(days=days)


def attention(
    facts: Facts, *, targets: dict[str, int], phase_days: dict[int, int], phase_name: str = "",
    today: date,
) -> Attention | None:  # fmt: skip
    """The most urgent thing the row needs, in words, or None."""
    if facts.release_tasks_open is not None:
        n = facts.release_tasks_open
        tasks = "no tasks" if n == 0 else f"{n} task{'s' if n != 1 else ''}"
        return Attention(
            RELEASE_WINDOW, f"In the 14 days after release with {tasks} open: high overdose risk"
        )
    overdue = [
        (due_date(t, facts, targets[t.key]), t)
        for t in TARGETS
        if t.key in targets and facts.state in t.pending
        and due_date(t, facts, targets[t.key]) < today
    ]  # fmt: skip
    if overdue:
        due, target = min(overdue, key=lambda pair: pair[0])
        late = (today - due).days
        since = "referral" if target.counted_from == "referral" else "the offence"
        return Attention(
            OVERDUE,
            f"{target.step} overdue by {late} day{'s' if late != 1 else ''} "
            f"(target: {targets[target.key]} days from {since})",
        )
    if facts.state == S.DECISION and facts.has_participation_consent is False:
        return Attention(
            CONSENT_MISSING, "Consent to take part not recorded: needed before a start"
        )
    minimum = phase_days.get(facts.phase_number or 0)
    if facts.state == S.EPISODE and minimum is not None and facts.phase_started_on is not None:
        days_in = (today - facts.phase_started_on).days
        if days_in >= minimum:
            weeks = days_in // 7
            name = f" ({phase_name})" if phase_name else ""
            return Attention(
                PHASE_MINIMUM,
                f"Phase minimum reached: {weeks} week{'s' if weeks != 1 else ''} in phase "
                f"{facts.phase_number}{name}, minimum {minimum // 7}; review whether to move on",
            )
    return None


# The pathway is open until the participant exits it: days since referral are shown only then.
OPEN_STATES = frozenset(
    {S.REFERRAL, S.SCREENING, S.ELIGIBILITY, S.ASSESSMENT, S.RECOMMENDATION, S.DECISION, S.EPISODE}
)


def days_since_referral(state: str, referral_date: date, today: date) -> int | None:
    """Days since the referral while the pathway is open; None after exit, closed or left."""
    return (today - referral_date).days if state in OPEN_STATES else None
