"""Evaluating a phase's advancement criteria (docs/supervision.md, "Phases"). Pure: no
database. The daily evaluation (supervision/phases.py) gathers every running episode's facts in
a few queries and calls `advancement_due` for each; the criteria are the phase's `advancement:`
in the programme file, checked by turnpoint/programmes/advancement.py.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from turnpoint.sharing.categories import Category

# The reason code of a phase change accepted from a proposal of the daily evaluation: the
# timeline shows it as a milestone, celebrated with the participant (R22).
ADVANCEMENT_REASON = "advancement_criteria_met"

# The category of what each criterion tells: a reader who may not read it does not see it.
CRITERION_CATEGORY = {
    "days_in_phase": Category.PATHWAY,
    "attendance": Category.ATTENDANCE,
    "engagement": Category.ATTENDANCE,
    "negative_tests": Category.DRUG_TESTS,
    "goals_achieved": Category.PLAN,
}


@dataclass(frozen=True)
class EpisodeFacts:
    """What the criteria are evaluated against, for one episode on one day. The windowed counts
    are keyed by the window's length (days, or weeks for tests)."""

    phase_number: int
    phase_count: int
    phase_name: str
    min_days: int  # the phase's minimum length (min_weeks times 7)
    rules: Mapping  # the phase's `advancement:` (empty: nothing is proposed)
    days_in_phase: int
    # window in days -> (attended, due): appointments with an outcome, excused ones left out
    attendance: Mapping[int, tuple[int, int]] = field(default_factory=dict)
    # window in days -> treatment sessions attended
    sessions: Mapping[int, int] = field(default_factory=dict)
    # window in weeks -> (weeks with a forensic test, tests with a result other than negative)
    tests: Mapping[int, tuple[int, int]] = field(default_factory=dict)
    goals_achieved: int = 0


@dataclass(frozen=True)
class Criterion:
    criterion: str
    met: bool
    text: str
    category: str

    def as_dict(self) -> dict:
        return {
            "criterion": self.criterion,
            "met": self.met,
            "text": self.text,
            "category": self.category,
        }


@dataclass(frozen=True)
class Proposal:
    due: bool  # every criterion met: propose the next phase
    to_phase_number: int | None
    met: tuple[Criterion, ...]
    unmet: tuple[Criterion, ...]
    why: str


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _evaluate(name: str, rule, facts: EpisodeFacts) -> Criterion:
    category = str(CRITERION_CATEGORY[name])
    if name == "days_in_phase":
        needed = max(rule, facts.min_days)
        have = facts.days_in_phase
        return Criterion(
            name,
            have >= needed,
            f"{_plural(have, 'day')} in the phase of the {needed} needed",
            category,
        )
    if name == "attendance":
        attended, due = facts.attendance.get(rule["days"], (0, 0))
        percent = round(100 * attended / due) if due else None
        shown = f"{percent}%" if percent is not None else "no appointments"
        met = due > 0 and 100 * attended >= rule["percent"] * due
        return Criterion(
            name,
            met,
            f"attended {attended} of {due} appointments in the last "
            f"{rule['days']} days ({shown}; {rule['percent']}% needed)",
            category,
        )
    if name == "engagement":
        have = facts.sessions.get(rule["days"], 0)
        return Criterion(
            name,
            have >= rule["sessions"],
            f"{_plural(have, 'treatment session')} attended in the last "
            f"{rule['days']} days ({rule['sessions']} needed)",
            category,
        )
    if name == "negative_tests":
        weeks = rule["weeks"]
        tested, other = facts.tests.get(weeks, (0, 0))
        met = tested >= weeks and other == 0
        if other:
            text = f"{_plural(other, 'test')} in the last {_plural(weeks, 'week')} not negative"
        else:
            text = (
                f"negative results in {tested} of the last {_plural(weeks, 'week')} "
                f"(a negative test needed in each)"
            )
        return Criterion(name, met, text, category)
    if name == "goals_achieved":
        have = facts.goals_achieved
        return Criterion(
            name,
            have >= rule,
            f"{_plural(have, 'goal')} of the recovery plan achieved ({rule} needed)",
            category,
        )
    raise ValueError(f"'{name}' is not an advancement criterion")


def advancement_due(facts: EpisodeFacts) -> Proposal:
    """Evaluate the phase's criteria: due when every one is met. The last phase, or a phase with
    no criteria, is never due. The phase minimum applies even when `days_in_phase` is not
    written."""
    if facts.phase_number >= facts.phase_count:
        return Proposal(False, None, (), (), "the last phase: there is no phase to advance to")
    if not facts.rules:
        return Proposal(False, None, (), (), f"'{facts.phase_name}' has no advancement criteria")
    rules = dict(facts.rules)
    rules.setdefault("days_in_phase", facts.min_days or 1)
    results = [_evaluate(name, rules[name], facts) for name in rules]
    met = tuple(c for c in results if c.met)
    unmet = tuple(c for c in results if not c.met)
    if unmet:
        why = "not yet: " + "; ".join(c.text for c in unmet)
    else:
        why = "every advancement criterion of the phase is met"
    return Proposal(not unmet, facts.phase_number + 1, met, unmet, why)
