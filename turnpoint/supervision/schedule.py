"""Random drug and alcohol test schedules (docs/supervision.md, "Random test schedules").

Pure: no database, no clock. A schedule is drawn for one participant from a seed, a start date, a
number of calendar weeks and the phase's frequency N (tests per calendar week, Monday to Sunday):

- in every full calendar week, N distinct days are chosen uniformly at random from the seven, so
  the week always has at least N tests;
- every other day of that week gets a test of its own with probability `extra_chance` (q, 0.1 by
  default), so a participant who has had N tests this week still faces a chance of at least q of
  a test on each day that remains: the rest of the week is never known to be safe;
- every day of the week, weekends and holidays included, then has the same chance of a test,
  (N + (7 - N) q) / 7, and the gaps between tests vary.

This follows the All Rise (formerly NADCP) Adult Drug Court Best Practice Standards: testing is
random, weekends and holidays are as likely as any other day, and two tests a week means about a
2-in-7 chance every day rather than weekly blocks (evidence R14 asks that a result is then read in
the context of the person's wider engagement; that is the key worker's note, not this module's).

A partial first week (a start that is not a Monday) is handled explicitly: its d days (the start
to the Sunday) get ceil(N * d / 7) tests chosen among them, plus the same chance q on each other
day. The schedule ends on the Sunday of the `weeks`-th calendar week, counting the week that
contains the start as the first.

Streams are independent per participant: the generator is seeded with numpy's SeedSequence from
the seed and a digest of the participant's id, so two participants with the same seed get
unrelated schedules and the same (seed, participant) always gets the same dates. Each week draws
the same amount of randomness, so a longer schedule begins with the dates of a shorter one.
"""

import hashlib
import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import product

import numpy as np

from turnpoint.errors import InvalidInput, Problem

# The chance of a further test on each day not among the N chosen in a week (q). With q = 0.1 a
# week holds N + (7 - N) * 0.1 tests on average: 1.6 for N = 1, 2.5 for N = 2, 3.4 for N = 3.
EXTRA_CHANCE = 0.1
MAX_PER_WEEK = 7
# Five years: longer than any programme lasts; a schedule is drawn again when a phase changes.
MAX_WEEKS = 260


@dataclass(frozen=True)
class Schedule:
    participant_id: Hashable | None
    start: date
    weeks: int
    per_week: int
    seed: int
    extra_chance: float
    dates: tuple[date, ...]

    @property
    def end(self) -> date:
        """The last day the schedule covers: the Sunday of its last calendar week."""
        return _monday(self.start) + timedelta(weeks=self.weeks, days=-1)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _is_whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def schedule_problems(*, per_week, weeks, seed, extra_chance=EXTRA_CHANCE) -> list[Problem]:
    """What is wrong with the parameters of a schedule (empty when they are fine)."""
    problems = []
    if not _is_whole(per_week) or not 1 <= per_week <= MAX_PER_WEEK:
        problems.append(Problem("per_week", f"must be a whole number of tests a week from 1 to "
                                f"{MAX_PER_WEEK} (got {per_week!r})"))  # fmt: skip
    if not _is_whole(weeks) or not 1 <= weeks <= MAX_WEEKS:
        problems.append(Problem("weeks", f"must be a whole number of weeks from 1 to "
                                f"{MAX_WEEKS} (got {weeks!r})"))  # fmt: skip
    if not _is_whole(seed) or seed < 0:
        problems.append(Problem("seed", f"must be a whole number, 0 or more (got {seed!r})"))
    if (
        not isinstance(extra_chance, int | float)
        or isinstance(extra_chance, bool)
        or not 0 < extra_chance < 1
    ):
        reason = "must be a chance above 0 and below 1, or the rest of a week could be known to be"
        problems.append(Problem("extra_chance", f"{reason} safe (got {extra_chance!r})"))
    return problems


def participant_stream(seed: int, participant_id: Hashable | None) -> np.random.Generator:
    """The random stream of one participant: SeedSequence(seed, digest of the id). The id is
    digested as text, so 42 and "42" are the same participant."""
    entropy = [seed]
    if participant_id is not None:
        digest = hashlib.sha256(str(participant_id).encode()).digest()
        entropy.append(int.from_bytes(digest[:16], "big"))
    return np.random.default_rng(np.random.SeedSequence(entropy))


def required_tests(per_week: int, days: int) -> int:
    """The least number of tests in a calendar week of which `days` are in the schedule: N for a
    full week, N pro-rated and rounded up for a partial first week (at least 1)."""
    return math.ceil(per_week * days / 7)


def drug_test_schedule(
    *,
    start: date,
    weeks: int,
    per_week: int,
    seed: int,
    participant_id: Hashable | None = None,
    extra_chance: float = EXTRA_CHANCE,
) -> Schedule:
    """The test dates of one participant, in order. Raises InvalidInput on bad parameters."""
    problems = schedule_problems(
        per_week=per_week, weeks=weeks, seed=seed, extra_chance=extra_chance
    )
    if not isinstance(start, date):
        problems.append(Problem("start", f"must be a date (got {start!r})"))
    if problems:
        raise InvalidInput(problems)
    rng = participant_stream(seed, participant_id)
    dates: list[date] = []
    first = start
    for _ in range(weeks):
        days = 7 - first.weekday()  # the first week may start mid-week; the others are full
        chosen = set(rng.choice(days, size=required_tests(per_week, days), replace=False).tolist())
        extra = rng.random(days) < extra_chance
        dates += [first + timedelta(days=i) for i in range(days) if i in chosen or extra[i]]
        first += timedelta(days=days)
    return Schedule(
        participant_id=participant_id,
        start=start,
        weeks=weeks,
        per_week=per_week,
        seed=seed,
        extra_chance=extra_chance,
        dates=tuple(dates),
    )


def call_in_list(
    day: date, schedules: Iterable[Schedule] | Mapping[Hashable, Iterable[date]]
) -> list:
    """Who is called in for a test on `day`: the participant ids whose schedule holds that day,
    in the order given. Takes Schedule objects or a mapping of participant id to dates."""
    if isinstance(schedules, Mapping):
        pairs = list(schedules.items())
    else:
        pairs = [(s.participant_id, s.dates) for s in schedules]
    return [pid for pid, dates in pairs if day in set(dates)]


def daily_chance(per_week: int, extra_chance: float = EXTRA_CHANCE) -> float:
    """The chance of a test on any one day of a full week, the same for every weekday."""
    return (per_week + (7 - per_week) * extra_chance) / 7


def expected_per_week(per_week: int, extra_chance: float = EXTRA_CHANCE) -> float:
    return per_week + (7 - per_week) * extra_chance


def further_test_chance(per_week: int, extra_chance: float = EXTRA_CHANCE) -> float | None:
    """Over full weeks whose N-th test falls before Sunday, the share of the days after that
    test which still bring a test, computed exactly over all 128 patterns of a week.

    A week with tests on the set of days x (|x| = k >= N) has probability
    C(k, N) / C(7, N) * q^(k - N) * (1 - q)^(7 - k): any N of its k days may be the chosen ones,
    the others the extra tests. Each later day is either a chosen day (sure) or has chance q, so
    the value is at least q. None when N is 7 (no day is left after the 7th test)."""
    n, q = per_week, extra_chance
    later_tests = later_days = 0.0
    for pattern in product((0, 1), repeat=7):
        k = sum(pattern)
        if k < n:
            continue
        weight = math.comb(k, n) / math.comb(7, n) * q ** (k - n) * (1 - q) ** (7 - k)
        nth = [i for i, tested in enumerate(pattern) if tested][n - 1]
        if nth < 6:
            later_tests += weight * sum(pattern[nth + 1 :])
            later_days += weight * (6 - nth)
    return later_tests / later_days if later_days else None
