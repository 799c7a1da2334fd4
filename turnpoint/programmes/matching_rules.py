"""A programme's matching rules: their vocabulary and how a file's `matching:` section is checked
(rules are data, not code, like eligibility rules; docs/matching.md). Pure: no database.

A rule says when it applies (`when`: facts about the participant, each with the values any of
which makes it hold; several facts must all hold) and what it proposes (`propose`: an intensity
with hours per week, a treatment modality or a complementary service), with a plain-words `why`
and the requirement of the evidence it rests on (`requirement`, an R-number of REQUIREMENTS).
Conditions only ever test that a fact is present, never that it is absent, so a participant with
one more need or substance can only gain proposals, never lose one.

The programme's own `intensity` says how demanding taking part is, for the net-widening check
(R7): a low-risk participant with few needs should not be placed in an intensive programme.
"""

import re

from turnpoint.assessments.domains import LifeDomain, RiskLevel

# The facts a rule may test, with the values each may take.
RISK_LEVELS = tuple(RiskLevel.values)
NEEDS = tuple(LifeDomain.values)
# The substances of the tp-substance-days measure (days of use in the past 28 days per substance).
SUBSTANCES = ("opioids", "crack_cocaine", "cocaine", "amphetamines", "cannabis",
              "benzodiazepines", "alcohol", "other")  # fmt: skip
SUBSTANCE_LABELS = {
    "opioids": "Opioids", "crack_cocaine": "Crack cocaine", "cocaine": "Cocaine",
    "amphetamines": "Amphetamines", "cannabis": "Cannabis",
    "benzodiazepines": "Benzodiazepines", "alcohol": "Alcohol", "other": "Other drugs",
}  # fmt: skip
FACTS: dict[str, tuple] = {
    "risk_level": RISK_LEVELS,
    "need": NEEDS,
    "substance": SUBSTANCES,
    "mental_health_need": (True,),
}

# How demanding a programme or a proposed intensity is.
INTENSITIES = ("low", "moderate", "high")
INTENSITY_LABELS = {"low": "Low intensity", "moderate": "Moderate intensity",
                    "high": "High intensity"}  # fmt: skip

# Treatment modalities (R10) and integrated care for co-occurring mental health needs.
MODALITIES = {
    "medication_assisted_treatment": "Medication-assisted treatment (opioid substitution)",
    "detoxification": "Detoxification",
    "contingency_management": "Contingency management",
    "community_reinforcement": "Community reinforcement approach",
    "cbt_relapse_prevention": "Cognitive behavioural therapy and relapse prevention",
    "coping_skills": "Coping skills training",
    "twelve_step_facilitation": "Twelve-step facilitation",
    "individual_counselling": "Individual counselling",
    "harm_reduction": "Harm reduction",
    "intensive_day_programme": "Intensive day programme",
    "residential_rehabilitation": "Residential rehabilitation",
    "therapeutic_community": "Therapeutic community",
    "integrated_care": "Integrated care for mental health and substance use",
}
# Complementary services the needs call for (R9, R21, R22).
SERVICES = {
    "housing_support": "Housing support",
    "employment_support": "Employment support",
    "education_support": "Education and training",
    "debt_and_benefits_advice": "Debt and benefits advice",
    "family_support": "Family support",
    "primary_health_care": "Primary health care",
    "mental_health_service": "Mental health service",
    "legal_advice": "Legal advice",
    "peer_support": "Peer support and mutual aid",
    "recovery_community": "Recovery community activities",
    "naloxone_and_overdose_prevention": "Naloxone and overdose prevention",
}
KINDS = ("intensity", "modality", "service")
KIND_LABELS = {"intensity": "Intensity", "modality": "Treatment", "service": "Service"}

# The requirements of the evidence a rule may rest on, each with what it asks in plain words.
REQUIREMENTS = {
    "R7": "Match intensity to risk; guard against net-widening",
    "R9": "Needs cluster: assess and plan for all of them",
    "R10": "A range of treatment modalities, for stimulant use too",
    "R15": "Prefer positive incentives to punishment",
    "R20": "Continuity of care into and out of custody",
    "R21": "Reintegration: housing, education and employment",
    "R22": "Community recovery capital",
}

RULE_KEYS = {"id", "when", "propose", "why", "requirement"}
SECTION_KEYS = {"intensity", "net_widening_max_needs", "rules"}
_RULE_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def value_label(kind: str, value: str) -> str:
    """The words for a proposed value (a code no one should have to read)."""
    table = {"intensity": INTENSITY_LABELS, "modality": MODALITIES, "service": SERVICES}[kind]
    return table.get(value, value)


def check_matching(section, say) -> None:
    """Every problem of a `matching:` section, each through `say(path, reason)` naming the rule."""
    if not isinstance(section, dict):
        say("matching", "must be a mapping with intensity, net_widening_max_needs and rules")
        return
    for key in section:
        if key not in SECTION_KEYS:
            known = ", ".join(sorted(SECTION_KEYS))
            say(f"matching.{key}", f"unknown key (expected one of: {known})")
    intensity = section.get("intensity")
    if "intensity" not in section:
        say("matching.intensity", "is required: how demanding the programme is (one of: "
            f"{', '.join(INTENSITIES)})")  # fmt: skip
    elif intensity not in INTENSITIES:
        say("matching.intensity", f"'{intensity}' is not an intensity (one of: "
            f"{', '.join(INTENSITIES)})")  # fmt: skip
    most = section.get("net_widening_max_needs", 1)
    if not isinstance(most, int) or isinstance(most, bool) or most < 0:
        say("matching.net_widening_max_needs", "must be a whole number of needs, 0 or more")
    rules = section.get("rules")
    if not isinstance(rules, list) or not rules:
        say("matching.rules", "must list at least one rule")
        return
    ids: set = set()
    for i, rule in enumerate(rules):
        _check_rule(rule, f"matching.rules[{i}]", ids, say)


def _check_rule(rule, path: str, ids: set, say) -> None:
    if not isinstance(rule, dict):
        say(path, "must be a mapping with id, when, propose, why and requirement")
        return
    rule_id = rule.get("id")
    if isinstance(rule_id, str) and _RULE_ID.match(rule_id):
        path = f"{path} (rule '{rule_id}')"
        if rule_id in ids:
            say(f"{path}.id", f"'{rule_id}' is used by an earlier rule")
        ids.add(rule_id)
    elif "id" in rule:
        say(f"{path}.id", "must be lower-case letters and digits joined by hyphens, e.g. "
            "'mat-opioids'")  # fmt: skip
    for key in rule:
        if key not in RULE_KEYS:
            say(f"{path}.{key}", f"unknown key (expected one of: {', '.join(sorted(RULE_KEYS))})")
    for key in sorted(RULE_KEYS - set(rule)):
        say(f"{path}.{key}", "is required")
    why = rule.get("why")
    if "why" in rule and (not isinstance(why, str) or not why.strip()):
        say(f"{path}.why", "must say in plain words why the rule proposes this")
    requirement = rule.get("requirement")
    if "requirement" in rule and requirement not in REQUIREMENTS:
        say(f"{path}.requirement", f"'{requirement}' is not a requirement a matching rule can "
            f"rest on (one of: {', '.join(REQUIREMENTS)})")  # fmt: skip
    if "when" in rule:
        _check_when(rule["when"], f"{path}.when", say)
    if "propose" in rule:
        _check_propose(rule["propose"], rule.get("when"), f"{path}.propose", say)


def _check_when(when, path: str, say) -> None:
    if not isinstance(when, dict) or not when:
        say(path, f"must name at least one fact ({', '.join(FACTS)}) with its values")
        return
    for fact, values in when.items():
        if fact not in FACTS:
            say(f"{path}.{fact}", f"'{fact}' is not a fact a rule can test (one of: "
                f"{', '.join(FACTS)})")  # fmt: skip
            continue
        if fact == "mental_health_need":
            if values is not True:
                say(f"{path}.{fact}", "must be true (a rule tests that a need is present, "
                    "never that it is absent)")  # fmt: skip
            continue
        if not isinstance(values, list) or not values:
            say(f"{path}.{fact}", "must be a list of at least one value")
            continue
        for j, value in enumerate(values):
            if value not in FACTS[fact]:
                say(f"{path}.{fact}[{j}]", f"'{value}' is not a value of {fact} (one of: "
                    f"{', '.join(FACTS[fact])})")  # fmt: skip
            elif values.index(value) != j:
                say(f"{path}.{fact}[{j}]", f"'{value}' is listed twice")


def _check_propose(propose, when, path: str, say) -> None:
    if not isinstance(propose, dict):
        say(path, "must be a mapping with kind and value (and hours_per_week for an intensity)")
        return
    kind = propose.get("kind")
    if kind not in KINDS:
        say(f"{path}.kind", f"'{kind}' is not a kind of proposal (one of: {', '.join(KINDS)})")
        return
    allowed = {"kind", "value", "hours_per_week"} if kind == "intensity" else {"kind", "value"}
    for key in propose:
        if key not in allowed:
            say(f"{path}.{key}", f"unknown key for a {kind} (expected one of: "
                f"{', '.join(sorted(allowed))})")  # fmt: skip
    value = propose.get("value")
    known = {"intensity": INTENSITIES, "modality": tuple(MODALITIES),
             "service": tuple(SERVICES)}[kind]  # fmt: skip
    if value not in known:
        say(f"{path}.value", f"'{value}' is not a {kind} (one of: {', '.join(known)})")
    if kind != "intensity":
        return
    # Intensity is matched to risk (R7): an intensity rule tests the risk level.
    if isinstance(when, dict) and "risk_level" not in when:
        say(path, "an intensity rule must test risk_level (intensity is matched to risk)")
    hours = propose.get("hours_per_week")
    numbers = (
        isinstance(hours, list) and len(hours) == 2
        and all(isinstance(h, int | float) and not isinstance(h, bool) for h in hours)
    )  # fmt: skip
    if not numbers:
        say(f"{path}.hours_per_week", "must be a range of two numbers, e.g. [6, 9]")
    elif hours[0] < 0 or hours[1] > 40 or hours[0] > hours[1]:
        say(f"{path}.hours_per_week", "must run from a lower to a higher number of hours, "
            "between 0 and 40")  # fmt: skip
