"""A programme's eligibility rules: their vocabulary and how a referral is checked against them
(rules are data, R1). Pure: `rules_check` takes the facts, `eligibility_check` gathers them from a
referral. The loader validates files with the same vocabulary (docs/programmes.md)."""

from dataclasses import dataclass

# The facts a rule may test, with the values each may take (None: any whole number).
# Kept here, not imported from journeys.models, so programmes stay below journeys.
OFFENCE_CATEGORIES = ("acquisitive", "drug_possession", "drug_supply", "violence",
                      "public_order", "fraud", "motoring", "other")  # fmt: skip
DRUG_RELATED_TYPES = ("psychopharmacological", "economic_compulsive", "systemic", "drug_law",
                      "unknown")  # fmt: skip
SOURCES = ("police", "prosecutor", "court", "prison", "probation", "self")
FIELDS: dict[str, tuple | None] = {
    "age": None,  # whole years at the offence date
    "offence_category": OFFENCE_CATEGORIES,
    "drug_related_type": DRUG_RELATED_TYPES,
    "drug_related": (True, False),  # the offending is linked to drug use (type known)
    "source": SOURCES,
}
NUMBER_OPS = {">=", "<=", "==", "!="}
CHOICE_OPS = {"==", "!=", "in", "not_in"}
OPS = {
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "in": lambda a, b: a in b,
    "not_in": lambda a, b: a not in b,
}
# A requirement must hold; an exclusion describes who is turned away, and fails when it holds.
KINDS = ("requirement", "exclusion")


@dataclass(frozen=True)
class RuleResult:
    reason: str
    passed: bool


def referral_facts(*, age: int, offence_category: str, drug_related_type: str, source: str):
    return {
        "age": age,
        "offence_category": offence_category,
        "drug_related_type": drug_related_type,
        "drug_related": drug_related_type != "unknown",
        "source": source,
    }


def rules_check(rules: list[dict], facts: dict) -> list[RuleResult]:
    """Each rule with whether the facts meet it (pure)."""
    results = []
    for rule in rules:
        holds = OPS[rule["op"]](facts[rule["field"]], rule["value"])
        passed = not holds if rule.get("kind") == "exclusion" else holds
        results.append(RuleResult(rule["reason"], passed))
    return results


def eligibility_check(programme, referral) -> list[RuleResult]:
    """Each of the programme's rules with whether the referral meets it."""
    facts = referral_facts(
        age=referral.participant.age_on(referral.offence_date),
        offence_category=referral.offence_category,
        drug_related_type=referral.drug_related_type,
        source=referral.source,
    )
    return rules_check(programme.eligibility_rules, facts)
