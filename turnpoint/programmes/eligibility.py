"""Evaluating a programme's eligibility rules against a referral (rules are data, R1)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class RuleResult:
    reason: str
    passed: bool


def _facts(referral) -> dict:
    return {
        "age": referral.participant.age_on(referral.offence_date),
        "offence_category": referral.offence_category,
        "drug_related_type": referral.drug_related_type,
        "source": referral.source,
    }


_OPS = {
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "in": lambda a, b: a in b,
    "not_in": lambda a, b: a not in b,
}


def eligibility_check(programme, referral) -> list[RuleResult]:
    """Each rule with whether the referral meets it. Staff decide; the rules inform."""
    facts = _facts(referral)
    return [
        RuleResult(rule["reason"], _OPS[rule["op"]](facts[rule["field"]], rule["value"]))
        for rule in programme.eligibility_rules
    ]
