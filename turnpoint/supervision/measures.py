"""Pure measures over appointments and tests: no database, everything passed in.

- `key_worker_consistency`: of the sessions a participant attended in the last 90 days, the
  share seen by their key worker, so the consistency of the key worker is visible (R17: the
  relationship with one worker is part of what helps).
- `turnaround_hours` / `turnaround_missed`: how long a test's results took to come back, and
  whether that missed the 48-hour target.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .panel import TURNAROUND_TARGET_HOURS

# The appointments at which the participant "sees" someone: a test or a hearing is not a
# working relationship with a worker.
SESSION_KINDS = frozenset({"treatment_session", "supervision_meeting"})
CONSISTENCY_DAYS = 90


@dataclass(frozen=True)
class Consistency:
    attended: int  # sessions attended in the window
    with_key_worker: int  # of those, seen by the key worker
    days: int = CONSISTENCY_DAYS

    @property
    def share(self) -> float | None:
        """with_key_worker / attended; None when nothing was attended (no share to show)."""
        return self.with_key_worker / self.attended if self.attended else None

    @property
    def percent(self) -> int | None:
        share = self.share
        return None if share is None else round(share * 100)


def key_worker_consistency(
    appointments, key_worker_id, *, today: date, days: int = CONSISTENCY_DAYS
) -> Consistency:
    """Count the sessions (treatment sessions and supervision meetings) attended from `days`
    before `today` up to today, and those seen by the key worker (`with_user_id` equal to
    `key_worker_id`). Each appointment needs `kind`, `outcome`, `starts_at` (a date or
    datetime) and `with_user_id`. With no key worker, none is with them."""
    since = today - timedelta(days=days)
    attended = with_key_worker = 0
    for a in appointments:
        day = a.starts_at.date() if isinstance(a.starts_at, datetime) else a.starts_at
        if a.kind not in SESSION_KINDS or a.outcome != "attended" or not since < day <= today:
            continue
        attended += 1
        if key_worker_id is not None and a.with_user_id == key_worker_id:
            with_key_worker += 1
    return Consistency(attended, with_key_worker, days)


def turnaround_hours(collected_at: datetime, received_at: datetime | None) -> float | None:
    """Hours from collection to the results coming back, to one decimal; None while awaited."""
    if received_at is None:
        return None
    return round((received_at - collected_at).total_seconds() / 3600, 1)


def turnaround_missed(
    collected_at: datetime,
    received_at: datetime | None,
    *,
    now: datetime,
    target_hours: int = TURNAROUND_TARGET_HOURS,
) -> bool:
    """Whether the results came back (or, still awaited, are already) later than the target."""
    end = received_at if received_at is not None else now
    return end - collected_at > timedelta(hours=target_hours)
