"""A programme's response guide: its vocabulary and how the `responses:` section of a programme
file is checked (docs/programmes.md, "Response guide"). Pure: no database. The loader calls
`responses_check` with the whole definition; turnpoint.supervision.responses reads the checked
section to propose responses.

For each behaviour the guide lists the responses on offer, each an incentive, a service
adjustment or a sanction, graded low, moderate or high, and marks the behaviour proximal
(achievable now) or distal (too hard for now), for every phase or per phase where they differ
(evidence R15; All Rise Adult Drug Court Best Practice Standards, "goal difficulty first").
Substance use early in the programme is met with a service adjustment first, not a sanction
(evidence R14), so every behaviour that is substance use must offer a service adjustment in every
phase, and the guide states the early window (`early_substance_use`).
"""

from dataclasses import dataclass

KINDS = ("incentive", "service_adjustment", "sanction")
KIND_WORDS = {"incentive": "an incentive", "service_adjustment": "a service adjustment",
              "sanction": "a sanction"}  # fmt: skip
GRADES = ("low", "moderate", "high")
GOALS = ("proximal", "distal")


@dataclass(frozen=True)
class Behaviour:
    label: str
    achievement: bool  # answered with incentives; otherwise a concern
    substance_use: bool = False  # early on, a service adjustment comes first (R14)
    needs_testing: bool = False  # only in a programme where some phase tests


# The behaviours a guide may answer. Codes are what recorded responses link to; a programme may
# give its own label (e.g. how many weeks of negative results it recognises).
BEHAVIOURS = {
    "attended_all_sessions": Behaviour("Attended every appointment in the period", True),
    "negative_tests": Behaviour("Negative test results for several weeks in a row", True,
                                needs_testing=True),
    "goal_achieved": Behaviour("Achieved a goal of the recovery plan", True),
    "missed_appointment": Behaviour("Missed an appointment without a reason given", False),
    "positive_test": Behaviour("Positive test result", False, substance_use=True,
                               needs_testing=True),
    "specimen_not_provided": Behaviour("Did not provide a specimen when asked", False,
                                       needs_testing=True),
    "substance_use_disclosed": Behaviour("Told the team about substance use", False,
                                         substance_use=True),
    "new_offence": Behaviour("New offence alleged", False),
}  # fmt: skip
# The kinds each direction of behaviour may be answered with: incentives answer achievements;
# service adjustments and sanctions answer concerns. Treatment is decided on clinical need,
# never used as a reward (All Rise standards, "treatment is not a sanction").
ACHIEVEMENT_KINDS = ("incentive",)
CONCERN_KINDS = ("service_adjustment", "sanction")

SECTION_KEYS = {"early_substance_use": dict, "behaviours": list}
EARLY_KEYS = {"days": int, "phases": list}
BEHAVIOUR_KEYS = {"behaviour": (str, True), "label": (str, False), "goal": (str, True),
                  "options": (list, True), "phases": (list, False)}  # fmt: skip
PHASE_KEYS = {"phase": (str, True), "goal": (str, False), "options": (list, False)}
OPTION_KEYS = {"kind": (str, True), "grade": (str, True), "text": (str, True)}


def _keys(obj: dict, spec: dict, path: str, say) -> bool:
    """Unknown, missing, mistyped and empty keys; True when the mapping is usable."""
    fine = True
    for key in obj:
        if key not in spec:
            say(f"{path}.{key}", f"unknown key (expected one of: {', '.join(spec)})")
            fine = False
    for key, (expected, required) in spec.items():
        if key not in obj:
            if required:
                say(f"{path}.{key}", "is required")
                fine = False
        elif not isinstance(obj[key], expected) or (expected is str and not obj[key].strip()):
            say(f"{path}.{key}", "must be a list" if expected is list else "must be text")
            fine = False
        elif expected is list and not obj[key]:
            say(f"{path}.{key}", "must list at least one entry")
            fine = False
    return fine


def responses_check(data: dict, say) -> None:
    """Report every problem of `data["responses"]` through `say(path, reason)`; the reason
    names the behaviour it is about. Phases are checked against `data["phases"]`."""
    section = data.get("responses")
    if section is None:
        return
    if not isinstance(section, dict):
        say("responses", "must be a mapping with early_substance_use and behaviours")
        return
    for key in section:
        if key not in SECTION_KEYS:
            say(f"responses.{key}", f"unknown key (expected one of: {', '.join(SECTION_KEYS)})")
    phases = [p.get("name") for p in data.get("phases") or [] if isinstance(p, dict)]
    tests = any(
        isinstance(p, dict) and isinstance(p.get("tests_per_week"), int | float)
        and p["tests_per_week"] > 0
        for p in data.get("phases") or []
    )  # fmt: skip
    _check_early(section.get("early_substance_use"), phases, say)
    behaviours = section.get("behaviours")
    if not isinstance(behaviours, list) or not behaviours:
        say("responses.behaviours", "must list at least one behaviour and its responses")
        return
    seen: set[str] = set()
    for i, item in enumerate(behaviours):
        _check_behaviour(item, f"responses.behaviours[{i}]", phases, tests, seen, say)


def _unknown_phase(name, phases) -> str:
    return f"'{name}' is not a phase of this programme (one of: {', '.join(map(str, phases))})"


def _check_early(early, phases, say) -> None:
    path = "responses.early_substance_use"
    if not isinstance(early, dict):
        say(path, "is required: a mapping with days and/or phases, the window in which "
            "substance use is met with a service adjustment first")  # fmt: skip
        return
    for key in early:
        if key not in EARLY_KEYS:
            say(f"{path}.{key}", f"unknown key (expected one of: {', '.join(EARLY_KEYS)})")
    if not set(early) & set(EARLY_KEYS):
        say(path, "must give days, phases or both")
    days = early.get("days")
    if "days" in early and (not isinstance(days, int) or isinstance(days, bool) or days < 1):
        say(f"{path}.days", "must be a whole number of days, at least 1")
    names = early.get("phases")
    if "phases" in early and not isinstance(names, list):
        say(f"{path}.phases", "must be a list of phase names")
    elif names == []:
        say(f"{path}.phases", "must list at least one phase, or be left out")
    for j, name in enumerate(names if isinstance(names, list) else []):
        if name not in phases:
            say(f"{path}.phases[{j}]", _unknown_phase(name, phases))


def _check_behaviour(item, path, phases, tests, seen, say) -> None:
    if not isinstance(item, dict):
        say(path, "must be a mapping with behaviour, goal and options")
        return
    code = item.get("behaviour")
    named = path

    def about(where: str, reason: str) -> None:
        say(where, f"behaviour '{code}': {reason}" if isinstance(code, str) else reason)

    if not _keys(item, BEHAVIOUR_KEYS, named, about) and not isinstance(code, str):
        return
    behaviour = BEHAVIOURS.get(code) if isinstance(code, str) else None
    if isinstance(code, str) and behaviour is None:
        say(f"{named}.behaviour", f"'{code}' is not a behaviour a guide can answer (one of: "
            f"{', '.join(BEHAVIOURS)})")  # fmt: skip
        return
    if behaviour is None:
        return
    if code in seen:
        about(f"{named}.behaviour", "is listed twice")
    seen.add(code)
    if behaviour.needs_testing and not tests:
        about(f"{named}.behaviour", "needs drug testing, and no phase of this programme tests "
              "(tests_per_week is 0 in every phase)")  # fmt: skip
    _check_goal(item, f"{named}.goal", about)
    _check_options(item.get("options"), f"{named}.options", behaviour, about)
    _check_resolved(item.get("options"), f"{named}.options", behaviour, item.get("goal"), about)
    overrides = item.get("phases")
    if not isinstance(overrides, list):
        return
    named_phases: set[str] = set()
    for k, override in enumerate(overrides):
        where = f"{named}.phases[{k}]"
        if not isinstance(override, dict):
            about(where, "each phase entry must be a mapping with phase and goal or options")
            continue
        if not _keys(override, PHASE_KEYS, where, about):
            continue
        name = override["phase"]
        if name not in phases:
            about(f"{where}.phase", _unknown_phase(name, phases))
        elif name in named_phases:
            about(f"{where}.phase", f"'{name}' is given twice")
        named_phases.add(name)
        if "goal" not in override and "options" not in override:
            about(where, "must change the goal, the options or both for the phase")
        _check_goal(override, f"{where}.goal", about)
        _check_options(override.get("options"), f"{where}.options", behaviour, about)
        options = override.get("options", item.get("options"))
        goal = override.get("goal", item.get("goal"))
        _check_resolved(options, f"{where}.options", behaviour, goal, about)


def _check_goal(item: dict, path: str, about) -> None:
    goal = item.get("goal")
    if isinstance(goal, str) and goal not in GOALS:
        about(path, f"'{goal}' is not a goal difficulty (one of: {', '.join(GOALS)})")


def _check_options(options, path: str, behaviour: Behaviour, about) -> None:
    """Each option a known kind that fits the behaviour, a known grade, some text; within a kind,
    grades from low to high, so the guide reads as a graduated scale."""
    if not isinstance(options, list):
        return
    allowed = ACHIEVEMENT_KINDS if behaviour.achievement else CONCERN_KINDS
    last_grade: dict[str, int] = {}
    for j, option in enumerate(options):
        where = f"{path}[{j}]"
        if not isinstance(option, dict):
            about(where, "each option must be a mapping with kind, grade and text")
            continue
        for key in option:
            if key not in OPTION_KEYS:
                about(f"{where}.{key}", f"unknown key (expected one of: {', '.join(OPTION_KEYS)})")
        for key in OPTION_KEYS:
            value = option.get(key)
            if not isinstance(value, str) or not value.strip():
                about(f"{where}.{key}", "is required, as text")
        kind, grade = option.get("kind"), option.get("grade")
        if isinstance(kind, str) and kind not in KINDS:
            about(f"{where}.kind", f"'{kind}' is not a kind of response (one of: "
                  f"{', '.join(KINDS)})")  # fmt: skip
        elif isinstance(kind, str) and kind not in allowed:
            what = "an achievement" if behaviour.achievement else "a concern"
            about(f"{where}.kind", f"{KIND_WORDS[kind]} does not answer {what} (use: "
                  f"{', '.join(allowed)})")  # fmt: skip
        if isinstance(grade, str) and grade not in GRADES:
            about(f"{where}.grade", f"'{grade}' is not a grade (one of: {', '.join(GRADES)})")
        elif isinstance(grade, str) and kind in KINDS:
            rank = GRADES.index(grade)
            if rank < last_grade.get(kind, 0):
                about(f"{where}.grade", f"'{grade}' comes after '{GRADES[last_grade[kind]]}' "
                      f"among the {kind.replace('_', ' ')}s: list each kind's options from low "
                      "to high")  # fmt: skip
            last_grade[kind] = max(rank, last_grade.get(kind, 0))


def _check_resolved(options, path: str, behaviour: Behaviour, goal, about) -> None:
    """What a phase ends up with: substance use and distal concerns must offer a service
    adjustment (R14; goals too hard for now get service adjustments, R15)."""
    if not isinstance(options, list):
        return
    kinds = {o.get("kind") for o in options if isinstance(o, dict)}
    if not behaviour.achievement and "service_adjustment" not in kinds:
        if behaviour.substance_use:
            about(path, "substance use must be met with a service adjustment first: offer at "
                  "least one")  # fmt: skip
        elif goal == "distal":
            about(path, "a distal goal (too hard for now) must be met with a service "
                  "adjustment: offer at least one")  # fmt: skip


def responses_shown_text(data: dict) -> list[tuple[str, object]]:
    """The words of the guide that users read (labels and options), with their paths, for the
    loader's person-first check."""
    section = data.get("responses")
    behaviours = section.get("behaviours") if isinstance(section, dict) else None
    texts: list[tuple[str, object]] = []
    for i, item in enumerate(behaviours if isinstance(behaviours, list) else []):
        if not isinstance(item, dict):
            continue
        path = f"responses.behaviours[{i}]"
        texts.append((f"{path}.label", item.get("label")))
        overrides = item.get("phases") if isinstance(item.get("phases"), list) else []
        blocks = [(path, item)] + [
            (f"{path}.phases[{k}]", o) for k, o in enumerate(overrides) if isinstance(o, dict)
        ]
        for where, block in blocks:
            options = block.get("options")
            for j, option in enumerate(options if isinstance(options, list) else []):
                if isinstance(option, dict):
                    texts.append((f"{where}.options[{j}].text", option.get("text")))
    return texts
