"""Checks that dates make sense: against today, against the person's birth, against a plausible
floor and against each other. Pure functions, no database: every service that takes a date from
a person (pages, API and CLI all go through them) asks these, so all refuse alike.

Each check returns a list of `Problem`s (empty when the date is fine) whose reason reads after
the field's name, in plain words: "Offence date is before the participant's date of birth
(4 May 1990)". A check given no date (None) finds nothing: whether a date is required is the
service's own rule.
"""

from datetime import date, datetime, timedelta

from django.utils import timezone

from turnpoint.errors import Problem

# No date anyone types into Turnpoint is earlier than this: the oldest participant the people
# service accepts is 110, so anything earlier is a mistyped year.
FLOOR = date(1900, 1, 1)


def day_of(value: date | datetime) -> date:
    """The calendar day of a date, or of a datetime in the local time zone."""
    if isinstance(value, datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


def spoken(day: date | datetime) -> str:
    """A day as people write it: 7 December 2026."""
    d = day_of(day)
    return f"{d.day} {d:%B %Y}"


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the month's last day when it is shorter (31 Jan + 1 = 28
    or 29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    following = date(year + (month == 12), month % 12 + 1, 1)
    last = (following - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def not_future(field: str, value: date | datetime | None, *, today: date) -> list[Problem]:
    if value is not None and day_of(value) > today:
        return [Problem(field, "is in the future")]
    return []


def not_before_floor(field: str, value: date | datetime | None) -> list[Problem]:
    if value is not None and day_of(value) < FLOOR:
        return [Problem(field, f"is before {spoken(FLOOR)}: check the year")]
    return []


def not_before_birth(field: str, value: date | datetime | None, born: date | None) -> list[Problem]:
    if value is not None and born is not None and day_of(value) < born:
        return [Problem(field, f"is before the participant's date of birth ({spoken(born)})")]
    return []


def in_order(
    field: str, value: date | datetime | None, earlier: date | datetime | None, what: str,
    *, strictly: bool = False, why: str = "",
) -> list[Problem]:  # fmt: skip
    """`value` is on or after `earlier` (after it, when `strictly`); `what` names `earlier` in
    words ("the date it was signed"), `why` (optional) says why the order matters."""
    if value is None or earlier is None:
        return []
    later_day, earlier_day = day_of(value), day_of(earlier)
    because = f": {why}" if why else ""
    if strictly and later_day <= earlier_day:
        return [Problem(field, f"must be after {what} ({spoken(earlier_day)}){because}")]
    if later_day < earlier_day:
        return [Problem(field, f"is before {what} ({spoken(earlier_day)}){because}")]
    return []


def entered_date(
    field: str, value: date | datetime | None, *, today: date, born: date | None = None,
    future_allowed: bool = False,
) -> list[Problem]:  # fmt: skip
    """The checks every date of an event gets: not before the floor, not before the
    participant was born and (unless `future_allowed`) not in the future. One problem at most:
    the first that applies."""
    for problems in (
        not_before_floor(field, value),
        not_before_birth(field, value, born),
        [] if future_allowed else not_future(field, value, today=today),
    ):
        if problems:
            return problems
    return []


def not_after(field: str, value: date | datetime | None, latest: date, why: str) -> list[Problem]:
    """`value` is on or before `latest`; `why` says in words where the limit comes from."""
    if value is not None and day_of(value) > latest:
        return [Problem(field, f"must be on or before {spoken(latest)}: {why}")]
    return []
