"""Advancement criteria per phase: the `advancement:` mapping of a phase in a programme file
(docs/programmes.md, "Advancement criteria"), its vocabulary and how the loader checks it. Pure:
no database. turnpoint.supervision.advancement evaluates the criteria against a participant's
facts (R22: advancement is proposed to the team and celebrated with the participant).

The vocabulary, every criterion optional but at least one given:

- `days_in_phase: N`: at least N days in the phase; never shorter than the phase's minimum
  length (`min_weeks` times 7), which applies whether or not it is written;
- `attendance: {percent: P, days: N}`: at least P% of the appointments with an outcome in the
  last N days attended (excused ones are left out; with none due, the criterion is not met);
- `negative_tests: {weeks: N}`: every forensic test of the last N weeks negative, with at least
  one test in each of those weeks; only in a phase that tests (`tests_per_week` above 0);
- `goals_achieved: N`: at least N goals of the recovery plan achieved;
- `engagement: {sessions: N, days: M}`: at least N treatment sessions attended in the last M days.
"""

CRITERIA = ("days_in_phase", "attendance", "negative_tests", "goals_achieved", "engagement")
ATTENDANCE_KEYS = ("percent", "days")
NEGATIVE_KEYS = ("weeks",)
ENGAGEMENT_KEYS = ("sessions", "days")
MAX_DAYS = 3650


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_mapping(value, keys, path, say, limits) -> None:
    if not isinstance(value, dict):
        say(path, f"must be a mapping with {', '.join(keys)}")
        return
    for key in value:
        if key not in keys:
            say(f"{path}.{key}", f"unknown key (expected one of: {', '.join(keys)})")
    for key in keys:
        if key not in value:
            say(f"{path}.{key}", "is required")
            continue
        low, high = limits[key]
        if not _whole(value[key]) or not low <= value[key] <= high:
            say(f"{path}.{key}", f"must be a whole number from {low} to {high}")


def advancement_check(data: dict, say) -> None:
    """Check every phase's `advancement:`; `say(path, reason)` names the phase and criterion."""
    phases = data.get("phases")
    if not isinstance(phases, list):
        return
    for i, phase in enumerate(phases):
        if not isinstance(phase, dict) or "advancement" not in phase:
            continue
        name = phase.get("name", i + 1)
        path = f"phases[{i}].advancement"
        rules = phase["advancement"]
        if i == len(phases) - 1:
            say(path, f"phase '{name}' is the last phase: there is no phase to advance to")
            continue
        if not isinstance(rules, dict) or not rules:
            say(
                path,
                f"phase '{name}': must be a mapping of at least one criterion "
                f"({', '.join(CRITERIA)})",
            )
            continue
        for key in rules:
            if key not in CRITERIA:
                say(
                    f"{path}.{key}",
                    f"phase '{name}': '{key}' is not a criterion (one of: {', '.join(CRITERIA)})",
                )

        def at(criterion, reason, _path=path, _name=name):
            say(f"{_path}.{criterion}", f"phase '{_name}': {reason}")

        if "days_in_phase" in rules:
            days = rules["days_in_phase"]
            minimum = phase.get("min_weeks", 0) * 7 if _whole(phase.get("min_weeks")) else 0
            if not _whole(days) or not 1 <= days <= MAX_DAYS:
                at("days_in_phase", f"must be a whole number of days from 1 to {MAX_DAYS}")
            elif days < minimum:
                at(
                    "days_in_phase",
                    f"{days} days is shorter than the phase's minimum length "
                    f"({phase['min_weeks']} weeks, {minimum} days)",
                )
        if "attendance" in rules:
            _check_mapping(
                rules["attendance"],
                ATTENDANCE_KEYS,
                f"{path}.attendance",
                lambda p, r, n=name: say(p, f"phase '{n}': {r}"),
                {"percent": (1, 100), "days": (7, 365)},
            )
        if "negative_tests" in rules:
            tests = phase.get("tests_per_week")
            if isinstance(tests, (int, float)) and tests <= 0:
                at("negative_tests", "the phase does not test (tests_per_week is 0)")
            _check_mapping(
                rules["negative_tests"],
                NEGATIVE_KEYS,
                f"{path}.negative_tests",
                lambda p, r, n=name: say(p, f"phase '{n}': {r}"),
                {"weeks": (1, 52)},
            )
        if "goals_achieved" in rules:
            goals = rules["goals_achieved"]
            if not _whole(goals) or not 1 <= goals <= 20:
                at("goals_achieved", "must be a whole number of goals from 1 to 20")
        if "engagement" in rules:
            _check_mapping(
                rules["engagement"],
                ENGAGEMENT_KEYS,
                f"{path}.engagement",
                lambda p, r, n=name: say(p, f"phase '{n}': {r}"),
                {"sessions": (1, 100), "days": (7, 365)},
            )
