"""Random drug-test schedules (docs/supervision.md): every calendar week meets the phase's
frequency, every weekday is equally likely, the rest of a week is never known to be safe, the
gaps vary, and the same seed gives the same dates (All Rise Adult Drug Court Best Practice
Standards: random testing, weekends and holidays as likely as any other day).

The statistical tests draw from fixed seeds, so each gives the same answer on every run."""

import json
import math
import os
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from scipy.stats import chisquare

from turnpoint.errors import InvalidInput
from turnpoint.supervision.schedule import (
    EXTRA_CHANCE,
    Schedule,
    call_in_list,
    daily_chance,
    drug_test_schedule,
    expected_per_week,
    further_test_chance,
    required_tests,
)

MONDAY = date(2027, 1, 4)
ALPHA = 0.01  # the chi-square test's significance level


def many(per_week: int, *, participants: int, weeks: int, start: date = MONDAY, seed: int = 2026):
    return [
        drug_test_schedule(
            start=start, weeks=weeks, per_week=per_week, seed=seed, participant_id=pid
        )
        for pid in range(participants)
    ]


def by_week(schedule: Schedule) -> dict[date, list[date]]:
    weeks: dict[date, list[date]] = {}
    for day in schedule.dates:
        weeks.setdefault(day - timedelta(days=day.weekday()), []).append(day)
    return weeks


@pytest.mark.parametrize("per_week", range(1, 8))
def test_every_calendar_week_meets_the_frequency_and_a_partial_first_week_is_pro_rated(per_week):
    for offset in range(7):  # a start on each day of the week
        start = MONDAY + timedelta(days=offset)
        for schedule in many(per_week, participants=40, weeks=10, start=start, seed=offset):
            dates = schedule.dates
            assert list(dates) == sorted(set(dates))
            assert dates[0] >= start and dates[-1] <= schedule.end
            assert schedule.end.weekday() == 6
            assert (schedule.end - (start - timedelta(days=offset))).days == 10 * 7 - 1
            weeks = by_week(schedule)
            first = start - timedelta(days=offset)
            assert len(weeks.get(first, [])) >= required_tests(per_week, 7 - offset)
            for week in range(1, 10):
                assert len(weeks.get(first + timedelta(weeks=week), [])) >= per_week


def test_a_partial_first_week_is_pro_rated_rounding_up():
    assert [required_tests(2, days) for days in range(1, 8)] == [1, 1, 1, 2, 2, 2, 2]
    assert [required_tests(3, days) for days in range(1, 8)] == [1, 1, 2, 2, 3, 3, 3]
    assert required_tests(7, 3) == 3


@pytest.mark.parametrize("per_week", [1, 2, 3])
def test_every_weekday_is_about_equally_likely(per_week):
    # 600 participants x 52 weeks = 31,200 weeks. Under the design each weekday's expected count
    # is 31,200 x daily_chance: 7,131 for N = 1, 11,143 for N = 2, 15,154 for N = 3 (q = 0.1).
    schedules = many(per_week, participants=600, weeks=52)
    counts = Counter(day.weekday() for s in schedules for day in s.dates)
    observed = [counts[d] for d in range(7)]
    expected = 600 * 52 * daily_chance(per_week)
    # Uniform across weekdays (Saturday and Sunday included), at the stated alpha.
    assert chisquare(observed).pvalue > ALPHA, observed
    for count in observed:  # and each weekday near its expected count (within 5 standard errors)
        assert abs(count - expected) < 5 * math.sqrt(expected), (observed, expected)
    assert sum(observed) / (600 * 52) == pytest.approx(expected_per_week(per_week), abs=0.05)


def test_the_chi_square_test_would_see_weekends_left_out():
    # The same check on a schedule that avoids Saturday and Sunday rejects it: the test has power.
    schedules = many(2, participants=600, weeks=52)
    counts = Counter(day.weekday() for s in schedules for day in s.dates)
    weekdays_only = [counts[d] + (counts[5] + counts[6]) // 5 if d < 5 else 0 for d in range(7)]
    assert chisquare(weekdays_only).pvalue < ALPHA


@pytest.mark.parametrize("per_week", [1, 2, 3, 5])
def test_after_the_nth_test_of_a_week_the_rest_of_the_week_is_not_safe(per_week):
    later_tests = later_days = 0
    by_position: dict[int, list[int]] = {}
    for schedule in many(per_week, participants=400, weeks=52, seed=7):
        for week_start, days in by_week(schedule).items():
            nth = (days[per_week - 1] - week_start).days
            for later in range(nth + 1, 7):
                tested = int(week_start + timedelta(days=later) in days)
                later_tests += tested
                later_days += 1
                by_position.setdefault(later, []).append(tested)
    stated = further_test_chance(per_week)
    assert stated >= EXTRA_CHANCE
    rate = later_tests / later_days
    error = math.sqrt(stated * (1 - stated) / later_days)
    assert abs(rate - stated) < 5 * error, (rate, stated)
    # Every remaining day keeps at least the chance q of a test.
    for day, seen in by_position.items():
        if len(seen) > 500:
            low = EXTRA_CHANCE - 5 * math.sqrt(EXTRA_CHANCE * (1 - EXTRA_CHANCE) / len(seen))
            assert sum(seen) / len(seen) > low, (day, sum(seen) / len(seen))


def test_the_stated_further_test_chance_for_each_frequency():
    # Exact values over the 128 patterns of a week, with q = 0.1 (docs/supervision.md).
    stated = [round(further_test_chance(n), 3) for n in range(1, 7)]
    assert stated == [0.162, 0.219, 0.275, 0.329, 0.384, 0.438]
    assert further_test_chance(7) is None
    assert further_test_chance(2, 0.2) > further_test_chance(2, 0.1)


@pytest.mark.parametrize("per_week", range(1, 7))
def test_the_gaps_between_tests_are_not_fixed(per_week):
    spread = Counter()
    for schedule in many(per_week, participants=50, weeks=12, seed=11):
        gaps = [(b - a).days for a, b in zip(schedule.dates, schedule.dates[1:], strict=False)]
        assert len(set(gaps)) > 1, schedule.dates
        spread.update(gaps)
    assert len(spread) >= 3, spread  # at least three different gap lengths


def test_the_same_seed_gives_the_same_dates_and_participants_get_their_own_stream():
    def draw(**changes):
        values = dict(start=date(2027, 3, 10), weeks=20, per_week=2, seed=99, participant_id=17)
        return drug_test_schedule(**{**values, **changes}).dates

    assert draw() == draw()
    assert draw(participant_id="17") == draw()  # the id is read as text
    assert draw(participant_id=18) != draw()
    assert draw(seed=100) != draw()
    assert draw(participant_id=None) != draw()
    # A longer schedule begins with the dates of a shorter one.
    assert draw(weeks=40)[: len(draw())] == draw()


def test_bad_parameters_are_refused_naming_each():
    with pytest.raises(InvalidInput) as excinfo:
        drug_test_schedule(start="2027-01-04", weeks=0, per_week=8, seed=-1, extra_chance=0)
    fields = [p.field for p in excinfo.value.problems]
    assert fields == ["per_week", "weeks", "seed", "extra_chance", "start"]
    with pytest.raises(InvalidInput, match="weeks: must be a whole number of weeks from 1 to 260"):
        drug_test_schedule(start=MONDAY, weeks=261, per_week=2, seed=1)
    with pytest.raises(InvalidInput, match="per_week"):
        drug_test_schedule(start=MONDAY, weeks=1, per_week=True, seed=1)


def test_call_in_list_names_who_is_tested_on_a_day():
    schedules = many(2, participants=30, weeks=4)
    day = MONDAY + timedelta(days=9)
    called = call_in_list(day, schedules)
    assert called == [s.participant_id for s in schedules if day in s.dates]
    assert 0 < len(called) < 30
    as_mapping = {s.participant_id: list(s.dates) for s in schedules}
    assert call_in_list(day, as_mapping) == called
    assert call_in_list(MONDAY - timedelta(days=1), schedules) == []


def run(*args) -> str:
    out = StringIO()
    call_command("supervision", "test-schedule", *args, stdout=out)
    return out.getvalue()


def test_the_command_prints_the_schedule_as_iso_dates_and_json():
    payload = json.loads(run("--per-week", "3", "--weeks", "4", "--start", "2027-01-06",
                             "--seed", "5", "--json"))  # fmt: skip
    expected = drug_test_schedule(start=date(2027, 1, 6), weeks=4, per_week=3, seed=5)
    assert payload == {
        "per_week": 3, "weeks": 4, "start": "2027-01-06", "end": "2027-01-31", "seed": 5,
        "participant": None, "extra_chance": EXTRA_CHANCE,
        "dates": [d.isoformat() for d in expected.dates],
    }  # fmt: skip
    text = run("--per-week", "3", "--weeks", "4", "--start", "2027-01-06", "--seed", "5")
    assert text.split() == payload["dates"]
    other = run("--per-week", "3", "--weeks", "4", "--start", "2027-01-06", "--seed", "5",
                "--participant", "P-1")  # fmt: skip
    assert other.split() != payload["dates"]


PER_WEEK = "--per-week: must be a whole number of tests a week from 1 to 7"
WEEKS = "--weeks: must be a whole number of weeks from 1 to 260"


@pytest.mark.parametrize(
    "args, message",
    [
        ("--per-week 0 --weeks 4 --seed 1", f"{PER_WEEK} (got 0)"),
        ("--per-week 8 --weeks 4 --seed 1", f"{PER_WEEK} (got 8)"),
        ("--per-week two --weeks 4 --seed 1", f"{PER_WEEK} (got 'two')"),
        ("--per-week 2 --weeks 0 --seed 1", f"{WEEKS} (got 0)"),
        ("--per-week 2 --weeks 9999 --seed 1", f"{WEEKS} (got 9999)"),
        ("--per-week 2 --weeks 4 --seed 1 --start 2027-02-30",
         "--start: '2027-02-30' is not a date (use YYYY-MM-DD)"),
        ("--per-week 2 --weeks 4", "--seed: is required"),
        ("--per-week 2 --weeks 4 --seed -3", "--seed: must be a whole number, 0 or more (got -3)"),
    ],
)  # fmt: skip
def test_the_command_refuses_bad_input_naming_the_option(args, message):
    args = args.split()
    with pytest.raises(CommandError) as excinfo:
        run(*args)
    assert str(excinfo.value) == f"No schedule was drawn.\n  - {message}"
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("supervision", "test-schedule", *args, "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"ok": False, "errors": [message]}


def test_the_turnpoint_command_exits_1_without_a_traceback():
    command = [str(Path(sys.executable).with_name("turnpoint")), "supervision", "test-schedule"]
    env = {**os.environ, "PYTHONPATH": str(settings.BASE_DIR)}
    good = subprocess.run(
        [*command, "--per-week", "2", "--weeks", "2", "--start", "2027-01-04", "--seed", "8"],
        env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert good.returncode == 0, good.stderr
    dates = good.stdout.split()
    expected = drug_test_schedule(start=date(2027, 1, 4), weeks=2, per_week=2, seed=8)
    assert dates == [d.isoformat() for d in expected.dates]
    bad = subprocess.run(
        [*command, "--per-week", "9", "--weeks", "2", "--seed", "8"],
        env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 1
    assert "--per-week: must be a whole number of tests a week from 1 to 7 (got 9)" in bad.stderr
    assert "Traceback" not in bad.stderr
