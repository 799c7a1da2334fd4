"""Read-side helpers: the timeline and the timeliness figures, computed from transitions (R4)."""

from dataclasses import dataclass
from datetime import date

from .effective import effective_steps
from .models import Referral, State


@dataclass(frozen=True)
class Timeliness:
    offence_to_referral_days: int
    referral_to_assessment_days: int | None
    referral_to_start_days: int | None
    offence_to_start_days: int | None


def referral_timeliness(referral: Referral, transitions=None) -> Timeliness:
    """Days between the dates that matter (R4: Ghent about 6 months offence to diversion).

    Assessment is dated by the step that completed it (assessment → recommendation). Computed
    from the steps in effect: a withdrawn step counts for nothing, a corrected one by its
    corrected date."""
    rows = effective_steps(transitions if transitions is not None else referral.transitions.all())
    completed_assessment = _first(rows, State.RECOMMENDATION)
    started = _first(rows, State.EPISODE)
    return Timeliness(
        offence_to_referral_days=(referral.referral_date - referral.offence_date).days,
        referral_to_assessment_days=_days(referral.referral_date, completed_assessment),
        referral_to_start_days=_days(referral.referral_date, started),
        offence_to_start_days=_days(referral.offence_date, started),
    )


def _first(rows, to_state) -> date | None:
    return next(
        (t.occurred_on for t in rows if t.to_state == to_state and t.kind == "advance"), None
    )


def _days(start: date, end: date | None) -> int | None:
    return None if end is None else (end - start).days
