"""Proposing responses from a programme's response guide, and the ratio of incentives to
sanctions (docs/supervision.md, "Responses"). Pure: no database.

The guide is the `responses:` section of a programme definition, checked by the loader
(turnpoint/programmes/responses.py). `response_guide(definition)` reads it once;
`responses_for(guide, behaviour, phase, days_in_programme)` gives the options in the order to
propose them:

- an achievement: its incentives, from low to high (incentives are always on offer for a
  proximal achievement, evidence R15);
- substance use early in the programme (within the guide's `early_substance_use` window): service
  adjustments first, then any sanctions (evidence R14: a positive test leads to a treatment
  adjustment first, not automatically to a sanction);
- a concern whose goal is distal in the phase (too hard for now): service adjustments first
  (All Rise Adult Drug Court Best Practice Standards, "goal difficulty first");
- any other concern (a proximal goal): sanctions first, then service adjustments;

within a kind, from low to high grade (the lightest response that may work comes first).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from turnpoint.programmes.responses import BEHAVIOURS, GRADES, KINDS

# About 4 incentives for each sanction: All Rise Adult Drug Court Best Practice Standards (the
# NDCI 2012 fact sheet discusses the proportion). Status "Verify": the 4:1 figure was not read in
# a copy of the source, so it is shown with its status and a programme may change it.
TARGET_RATIO = 4.0
TARGET_STATUS = "Verify"
TARGET_SOURCE = "All Rise (formerly NADCP) Adult Drug Court Best Practice Standards: about 4 " \
    "incentives for each sanction"  # fmt: skip


@dataclass(frozen=True)
class Option:
    kind: str  # incentive, service_adjustment or sanction
    grade: str  # low, moderate or high
    text: str


@dataclass(frozen=True)
class PhaseResponses:
    goal: str  # proximal or distal
    options: tuple[Option, ...]


@dataclass(frozen=True)
class ResponseGuide:
    phases: tuple[str, ...]
    early_days: int | None
    early_phases: frozenset[str]
    # behaviour code -> (label, phase name -> what the guide offers in that phase)
    behaviours: Mapping[str, tuple[str, Mapping[str, PhaseResponses]]]


@dataclass(frozen=True)
class Proposal:
    behaviour: str
    label: str
    phase: str
    goal: str
    early_substance_use: bool
    options: tuple[Option, ...]  # in the order to propose


class NoGuide(ValueError):
    """The guide does not answer this behaviour in this phase."""


def _options(raw: list[dict]) -> tuple[Option, ...]:
    return tuple(Option(o["kind"], o["grade"], o["text"]) for o in raw)


def response_guide(definition: Mapping) -> ResponseGuide:
    """The guide of a checked programme definition (the loader has refused anything malformed).
    Raises NoGuide when the programme has no `responses:` section."""
    section = definition.get("responses")
    if not section:
        raise NoGuide(f"The programme '{definition.get('slug')}' has no response guide.")
    phases = tuple(p["name"] for p in definition["phases"])
    early = section["early_substance_use"]
    behaviours = {}
    for item in section["behaviours"]:
        overrides = {o["phase"]: o for o in item.get("phases", [])}
        per_phase = {}
        for phase in phases:
            override = overrides.get(phase, {})
            per_phase[phase] = PhaseResponses(
                goal=override.get("goal", item["goal"]),
                options=_options(override.get("options", item["options"])),
            )
        label = item.get("label") or BEHAVIOURS[item["behaviour"]].label
        behaviours[item["behaviour"]] = (label, per_phase)
    return ResponseGuide(
        phases=phases,
        early_days=early.get("days"),
        early_phases=frozenset(early.get("phases", [])),
        behaviours=behaviours,
    )


def is_early(guide: ResponseGuide, phase: str, days_in_programme: int) -> bool:
    """Within the early window: fewer than `days` days since the start (the start day is day 0)
    or in one of the early phases."""
    within_days = guide.early_days is not None and days_in_programme < guide.early_days
    return within_days or phase in guide.early_phases


def responses_for(
    guide: ResponseGuide, behaviour: str, phase: str, days_in_programme: int
) -> Proposal:
    """The options the guide offers for `behaviour` in `phase`, in the order to propose them."""
    if behaviour not in guide.behaviours:
        raise NoGuide(f"The response guide does not answer '{behaviour}' (it answers: "
                      f"{', '.join(guide.behaviours)}).")  # fmt: skip
    if phase not in guide.phases:
        raise NoGuide(f"'{phase}' is not a phase of this programme (one of: "
                      f"{', '.join(guide.phases)}).")  # fmt: skip
    whole = isinstance(days_in_programme, int) and not isinstance(days_in_programme, bool)
    if not whole or days_in_programme < 0:
        raise ValueError(f"days_in_programme must be a whole number, 0 or more "
                         f"(got {days_in_programme!r})")  # fmt: skip
    label, per_phase = guide.behaviours[behaviour]
    offered = per_phase[phase]
    early = BEHAVIOURS[behaviour].substance_use and is_early(guide, phase, days_in_programme)
    if early or offered.goal == "distal":
        order = ("incentive", "service_adjustment", "sanction")
    else:
        order = ("incentive", "sanction", "service_adjustment")
    options = sorted(offered.options, key=lambda o: (order.index(o.kind), GRADES.index(o.grade)))
    return Proposal(
        behaviour=behaviour,
        label=label,
        phase=phase,
        goal=offered.goal,
        early_substance_use=early,
        options=tuple(options),
    )


@dataclass(frozen=True)
class Ratio:
    incentives: int
    sanctions: int
    service_adjustments: int
    ratio: float | None  # incentives per sanction; None when there is no sanction
    target: float
    target_status: str
    meets_target: bool | None  # None when nothing was recorded


def incentive_sanction_ratio(responses: Iterable, target: float = TARGET_RATIO) -> Ratio:
    """Count recorded responses (each a kind, or anything with a `kind`) and compare incentives
    per sanction with the target. Service adjustments are neither: they are counted apart.
    With no sanction the ratio is None and the target is met if there was any incentive."""
    counts = dict.fromkeys(KINDS, 0)
    for response in responses:
        kind = response if isinstance(response, str) else getattr(response, "kind", None)
        if kind not in counts:
            raise ValueError(f"'{kind}' is not a kind of response (one of: {', '.join(KINDS)})")
        counts[kind] += 1
    incentives, sanctions = counts["incentive"], counts["sanction"]
    if sanctions:
        ratio: float | None = incentives / sanctions
        meets: bool | None = incentives >= target * sanctions
    else:
        ratio, meets = None, (True if incentives else None)
    return Ratio(
        incentives=incentives,
        sanctions=sanctions,
        service_adjustments=counts["service_adjustment"],
        ratio=ratio,
        target=target,
        target_status=TARGET_STATUS,
        meets_target=meets,
    )
