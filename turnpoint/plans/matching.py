"""Matching, transparent (docs/matching.md): from what is known about a participant (risk level,
needs, substances in use, a mental health need) and the programme's rules (its file's `matching:`
section, checked by `turnpoint.programmes.matching_rules`), the proposals of intensity, treatment
modalities and complementary services, each with the rule, why and the requirement it rests on,
and the net-widening flag. Pure: no database, nothing guessed. Staff decide each proposal
(`matching_decisions`); the facts come from records through `matching_reads`.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from turnpoint.programmes.matching_rules import INTENSITY_LABELS, value_label

# The facts a rule tests, and the name of the fact each reads in MatchingFacts.sources.
_SOURCE_OF = {
    "risk_level": "risk_level",
    "need": "needs",
    "substance": "substances",
    "mental_health_need": "mental_health",
}
NET_WIDENING_REQUIREMENT = "R7"


@dataclass(frozen=True)
class FactSource:
    """Where a fact came from: the instrument or tool, the day it was given, and the data
    category of the record, which decides who may see a proposal resting on it."""

    instrument: str
    on: date
    category: str


@dataclass(frozen=True)
class MatchingFacts:
    """What is known about the participant, each fact with where it came from (`sources`: fact
    name -> the records it rests on; no entry means nothing was recorded, or nothing the reader
    may read). `risk_level` None: no level recorded."""

    risk_level: str | None = None
    needs: frozenset = frozenset()
    substances: frozenset = frozenset()
    mental_health_need: bool = False
    sources: Mapping[str, tuple[FactSource, ...]] = field(default_factory=dict)

    def known(self, name: str) -> bool:
        return bool(self.sources.get(name))


@dataclass(frozen=True)
class Proposal:
    rule_id: str
    kind: str  # intensity, modality or service
    value: str
    hours: tuple | None  # (from, to) hours per week, for an intensity
    why: str
    requirement: str  # the R-number of the evidence the rule rests on
    facts_used: tuple  # ((fact, value), ...) that made the rule hold
    categories: frozenset  # the data categories of the records those facts came from

    @property
    def label(self) -> str:
        return value_label(self.kind, self.value)


@dataclass(frozen=True)
class NetWidening:
    raised: bool
    why: str
    requirement: str = NET_WIDENING_REQUIREMENT


@dataclass(frozen=True)
class Matching:
    programme_intensity: str | None
    proposals: tuple
    net_widening: NetWidening | None  # None: nothing to say (not low risk, or no rules)
    notes: tuple = ()  # what could not be proposed, and why


def _holds(fact: str, wanted, facts: MatchingFacts) -> tuple | None:
    """The (fact, value) pairs that make one condition hold, or None when it does not."""
    if fact == "risk_level":
        return ((fact, facts.risk_level),) if facts.risk_level in wanted else None
    if fact == "mental_health_need":
        return ((fact, True),) if facts.mental_health_need else None
    have = facts.needs if fact == "need" else facts.substances
    found = tuple((fact, v) for v in wanted if v in have)
    return found or None


def proposals_for(rules: list[dict], facts: MatchingFacts) -> tuple:
    """Every rule whose conditions all hold, in the file's order."""
    out = []
    for rule in rules:
        used: tuple = ()
        for fact, wanted in rule["when"].items():
            held = _holds(fact, wanted, facts)
            if held is None:
                break
            used += held
        else:
            propose = rule["propose"]
            hours = propose.get("hours_per_week")
            categories = frozenset(
                s.category for fact in rule["when"] for s in facts.sources.get(_SOURCE_OF[fact], ())
            )
            out.append(
                Proposal(
                    rule_id=rule["id"], kind=propose["kind"], value=propose["value"],
                    hours=tuple(hours) if hours else None, why=rule["why"].strip(),
                    requirement=rule["requirement"], facts_used=used, categories=categories,
                )
            )  # fmt: skip
    return tuple(out)


def _source_text(sources) -> str:
    return ", ".join(f"{s.instrument}, {s.on:%-d %B %Y}" for s in sources)


def net_widening(section: dict, facts: MatchingFacts) -> NetWidening | None:
    """R7: a low-risk, low-need participant proposed for an intensive programme is flagged.
    Low need: at most `net_widening_max_needs` needs on the latest needs checklist."""
    if section.get("intensity") != "high" or facts.risk_level != "low":
        return None
    most = section.get("net_widening_max_needs", 1)
    risk = _source_text(facts.sources.get("risk_level", ()))
    if not facts.known("needs"):
        return NetWidening(
            False,
            f"Assessed at low risk ({risk}) for a high-intensity programme, but no needs "
            "checklist is available, so whether this is net-widening cannot be checked: record "
            "the participant's needs.",
        )
    count = len(facts.needs)
    if count > most:
        return NetWidening(
            False,
            f"Assessed at low risk ({risk}), with {count} needs: more than {most}, so not "
            "flagged as net-widening.",
        )
    needs = f"{count} need" if count == 1 else f"{count} needs"
    return NetWidening(
        True,
        f"Assessed at low risk ({risk}) with {needs} ({_source_text(facts.sources['needs'])}), "
        "yet referred to a high-intensity programme. People at low risk of reoffending do not "
        "respond well to intensive programmes, and an intensive order can draw them further into "
        "the justice system: consider a less intensive pathway.",
    )


def match(section: dict | None, facts: MatchingFacts) -> Matching:
    """The proposals of a programme's `matching:` section for these facts, the net-widening
    flag, and notes on what could not be proposed."""
    if not section:
        return Matching(None, (), None, ("This programme's definition has no matching rules.",))
    proposals = proposals_for(section["rules"], facts)
    notes = []
    has_intensity_rules = any(r["propose"]["kind"] == "intensity" for r in section["rules"])
    if facts.risk_level is None and has_intensity_rules:
        notes.append(
            "No risk level is recorded, so intensity cannot be proposed from risk. Nothing is "
            "guessed: record the level of a risk and need assessment."
        )
    if not facts.known("needs"):
        notes.append("No needs checklist is recorded, so no service is proposed from needs.")
    if not facts.known("substances"):
        notes.append("No record of substance use is available, so no treatment is proposed "
                     "from it.")  # fmt: skip
    return Matching(section.get("intensity"), proposals, net_widening(section, facts),
                    tuple(notes))  # fmt: skip


def intensity_label(value: str | None) -> str:
    return INTENSITY_LABELS.get(value or "", "Not stated")
