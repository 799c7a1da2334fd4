"""A programme's fidelity provisions: the measurable practice standards it is checked against, and
how a file's `fidelity:` section is checked (docs/programmes.md, "Fidelity"). Pure: no database.

Each entry of the section names a provision Turnpoint knows how to measure (`id`, one of
PROVISIONS), says it in plain words (`text`), cites where it comes from (`source`) and how sure
that citation is (`status`: Seen, Seen (secondary) or Verify, shown to users). `number` changes
the provision's number (its default is in PROVISIONS); `applies: false` switches it off for the
programme, with the reason in `text`. The evaluation is in turnpoint/supervision/fidelity.py.
"""

from dataclasses import dataclass

STATUSES = ("Seen", "Seen (secondary)", "Verify")


@dataclass(frozen=True)
class ProvisionSpec:
    label: str
    unit: str  # what `number` counts
    default: float | None  # None: the number comes from the programme's phases
    low: float  # the smallest number allowed
    high: float  # the largest number allowed


PROVISIONS: dict[str, ProvisionSpec] = {
    # Tests per week in every phase that tests; without a number, each phase's tests_per_week.
    "testing-frequency": ProvisionSpec("Testing frequency", "tests a week", None, 0.5, 7),
    # How far the share of random tests on Saturdays and Sundays may be from 2 in 7.
    "testing-randomness": ProvisionSpec("Random testing on every day", "tolerance", 0.1, 0.01, 0.5),
    "result-turnaround": ProvisionSpec("Test result turnaround", "hours", 48, 1, 720),
    # Days of grace after the interval the phase's reviews_per_month sets.
    "review-frequency": ProvisionSpec("Review frequency by phase", "days of grace", 0, 0, 60),
    "judge-time": ProvisionSpec("Time with the judge", "minutes", 3, 0.5, 60),
    "incentive-sanction-ratio": ProvisionSpec(
        "Incentives for each sanction", "incentives per sanction", 4, 0.5, 20
    ),
    "caseload-size": ProvisionSpec("Participants per key worker", "participants", 50, 1, 500),
    "census": ProvisionSpec("Participants in the programme", "participants", 125, 1, 100000),
}
ENTRY_KEYS = ("id", "text", "source", "status", "number", "applies")


def check_fidelity(section, say) -> None:
    """Check a file's `fidelity:` section, saying each problem with the entry's path."""
    if not isinstance(section, list):
        say("fidelity", "must be a list of provisions")
        return
    seen = set()
    for i, entry in enumerate(section):
        path = f"fidelity[{i}]"
        if not isinstance(entry, dict):
            say(path, "must be a mapping")
            continue
        for key in entry:
            if key not in ENTRY_KEYS:
                say(f"{path}.{key}", f"unknown key (expected one of: {', '.join(ENTRY_KEYS)})")
        pid = entry.get("id")
        if pid not in PROVISIONS:
            say(f"{path}.id", f"unknown provision '{pid}' (expected one of: "
                f"{', '.join(PROVISIONS)})")  # fmt: skip
            continue
        path = f"fidelity[{i}] ({pid})"
        if pid in seen:
            say(f"{path}.id", "is listed twice")
        seen.add(pid)
        for key in ("text", "source"):
            value = entry.get(key)
            if not isinstance(value, str) or not value.strip():
                say(f"{path}.{key}", "is required, in words")
        if entry.get("status") not in STATUSES:
            say(f"{path}.status", f"must be one of: {', '.join(STATUSES)}")
        if "applies" in entry and not isinstance(entry["applies"], bool):
            say(f"{path}.applies", "must be true or false")
        if "number" in entry:
            number, spec = entry["number"], PROVISIONS[pid]
            if isinstance(number, bool) or not isinstance(number, int | float):
                say(f"{path}.number", f"must be a number ({spec.unit})")
            elif not spec.low <= number <= spec.high:
                say(f"{path}.number", f"must be between {spec.low:g} and {spec.high:g} "
                    f"({spec.unit}), not {number:g}")  # fmt: skip


@dataclass(frozen=True)
class Provision:
    """One provision as a programme applies it."""

    id: str
    label: str
    text: str
    source: str
    status: str
    number: float | None
    unit: str


def programme_provisions(definition: dict) -> list[Provision]:
    """The provisions a (validated) programme definition applies, in the file's order."""
    out = []
    for entry in definition.get("fidelity") or []:
        if entry.get("applies") is False:
            continue
        spec = PROVISIONS[entry["id"]]
        number = entry.get("number", spec.default)
        out.append(Provision(entry["id"], spec.label, entry["text"], entry["source"],
                             entry["status"], number, spec.unit))  # fmt: skip
    return out
