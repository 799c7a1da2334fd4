"""The eligibility rules and the override roles a programme file may declare: the loader refuses
an unknown field, operator, value or role with the file and the rule it is in, and loads
nothing; what it accepts is what the pathway applies (docs/programmes.md)."""

from pathlib import Path

import pytest
import yaml
from django.conf import settings

from turnpoint.journeys.models import DrugRelatedType, OffenceCategory, Source
from turnpoint.programmes import eligibility
from turnpoint.programmes.eligibility import RuleResult, referral_facts, rules_check
from turnpoint.programmes.loader import ProgrammeFileInvalid, programme_load_files
from turnpoint.programmes.models import Programme

DIR = Path(settings.TURNPOINT_PROGRAMMES_DIR)


def _load_with(tmp_path, **changes) -> dict[str, str]:
    data = yaml.safe_load((DIR / "ghent-dtc.yaml").read_text())
    data.update(changes)
    path = tmp_path / "ghent-dtc.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ProgrammeFileInvalid) as excinfo:
        programme_load_files([path])
    assert all(p.file == str(path) for p in excinfo.value.problems)
    assert str(path) in str(excinfo.value)
    return {p.path: p.reason for p in excinfo.value.problems}


def test_the_rule_vocabulary_knows_every_value_a_referral_can_hold():
    assert tuple(OffenceCategory.values) == eligibility.OFFENCE_CATEGORIES
    assert tuple(DrugRelatedType.values) == eligibility.DRUG_RELATED_TYPES
    assert tuple(Source.values) == eligibility.SOURCES


def test_requirements_hold_and_exclusions_turn_away():
    rules = [
        {"field": "age", "op": ">=", "value": 18, "reason": "Adults"},
        {"field": "age", "op": "<=", "value": 25, "reason": "Young adults"},
        {"field": "drug_related", "op": "==", "value": True, "reason": "Drug-related"},
        {"kind": "exclusion", "field": "offence_category", "op": "in",
         "value": ["violence", "drug_supply"], "reason": "Violence or supply excludes"},
        {"field": "source", "op": "not_in", "value": ["self"], "reason": "Referred by an agency"},
    ]  # fmt: skip
    facts = referral_facts(age=30, offence_category="drug_supply", drug_related_type="unknown",
                           source="self")  # fmt: skip
    assert rules_check(rules, facts) == [
        RuleResult("Adults", True),
        RuleResult("Young adults", False),
        RuleResult("Drug-related", False),
        RuleResult("Violence or supply excludes", False),
        RuleResult("Referred by an agency", False),
    ]
    facts = referral_facts(age=18, offence_category="acquisitive",
                           drug_related_type="economic_compulsive", source="court")  # fmt: skip
    assert all(r.passed for r in rules_check(rules, facts))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("rule", "path", "words"),
    [
        ({"field": "height", "op": ">=", "value": 1, "reason": "r"}, "eligibility[0].field",
         "drug_related, source ('height' is not a fact a rule can test)"),
        ({"field": "age", "op": ">", "value": 18, "reason": "r"}, "eligibility[0].op",
         "('>' is not an operator)"),
        ({"field": "age", "op": "in", "value": [18], "reason": "r"}, "eligibility[0].op",
         "'in' does not apply to age"),
        ({"field": "age", "op": ">=", "value": "18", "reason": "r"}, "eligibility[0].value",
         "must be a whole number of years for age"),
        ({"field": "offence_category", "op": "not_in", "value": ["violent"], "reason": "r"},
         "eligibility[0].value[0]", "'violent' is not a value of offence_category"),
        ({"field": "source", "op": "==", "value": "sheriff", "reason": "r"},
         "eligibility[0].value", "'sheriff' is not a value of source"),
        ({"field": "source", "op": "in", "value": "court", "reason": "r"},
         "eligibility[0].value", "must be a list of at least one value for 'in'"),
        ({"field": "drug_related", "op": "==", "value": "yes", "reason": "r"},
         "eligibility[0].value", "'yes' is not a value of drug_related"),
        ({"field": "drug_related", "op": ">=", "value": True, "reason": "r"},
         "eligibility[0].op", "'>=' does not apply to drug_related"),
        ({"kind": "exception", "field": "age", "op": ">=", "value": 18, "reason": "r"},
         "eligibility[0].kind", "'exception' is not a kind of rule"),
        ({"field": "age", "op": ">=", "value": 18}, "eligibility[0].reason", "is required"),
    ],
)  # fmt: skip
def test_the_loader_refuses_a_rule_it_cannot_apply(tmp_path, rule, path, words):
    problems = _load_with(tmp_path, eligibility=[rule])
    assert words in problems[path]
    assert not Programme.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "path", "words"),
    [
        ({"roles": ["analyst"]}, "overrides.roles[0]", "'analyst' is not a role that may override"),
        ({"roles": []}, "overrides.roles", "must list at least one role"),
        ({"roles": ["coordinator", "coordinator"]}, "overrides.roles[1]", "is listed twice"),
        ({"who": ["coordinator"]}, "overrides.who", "unknown key"),
    ],
)
def test_the_loader_refuses_override_roles_it_does_not_know(tmp_path, overrides, path, words):
    problems = _load_with(tmp_path, overrides=overrides)
    assert words in problems[path]


@pytest.mark.django_db
def test_the_coordinator_overrides_unless_the_file_says_otherwise(tmp_path, programmes):
    assert all(p.override_roles == ("coordinator",) for p in programmes.values())
    data = yaml.safe_load((DIR / "ghent-dtc.yaml").read_text())
    data.pop("overrides")
    data["overrides"] = {"roles": ["coordinator", "probation_officer"]}
    path = tmp_path / "ghent-dtc.yaml"
    path.write_text(yaml.safe_dump(data))
    programme_load_files([path])
    assert Programme.objects.get(slug="ghent-dtc").override_roles == (
        "coordinator", "probation_officer"
    )  # fmt: skip
    data.pop("overrides")
    path.write_text(yaml.safe_dump(data))
    programme_load_files([path])
    assert Programme.objects.get(slug="ghent-dtc").override_roles == ("coordinator",)


@pytest.mark.django_db
def test_the_shipped_rules_cite_their_exclusions(programmes):
    us = programmes["us-adult-drug-court"].definition
    exclusion = next(r for r in us["eligibility"] if r.get("kind") == "exclusion")
    assert exclusion["value"] == ["violence"]
    assert any("34 U.S.C." in s and "10613" in s for s in us["sources"])
    for slug, programme in programmes.items():
        fields = {r["field"] for r in programme.eligibility_rules}
        assert "age" in fields and fields & {"drug_related", "drug_related_type"}, slug
