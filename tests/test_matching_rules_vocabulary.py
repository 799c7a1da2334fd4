"""The matching rules a programme file may declare (docs/matching.md): the loader refuses an
unknown fact, value, kind of proposal, requirement or key, naming the file and the rule, and
loads nothing; the vocabulary is the assessments' own."""

from pathlib import Path

import pytest
import yaml
from django.conf import settings

from turnpoint.assessments.domains import LifeDomain, RiskLevel
from turnpoint.programmes import matching_rules
from turnpoint.programmes.loader import ProgrammeFileInvalid, programme_load_files
from turnpoint.programmes.models import Programme

DIR = Path(settings.TURNPOINT_PROGRAMMES_DIR)


def _refused(tmp_path, change) -> dict[str, str]:
    data = yaml.safe_load((DIR / "scotland-dtto.yaml").read_text())
    change(data["matching"])
    path = tmp_path / "scotland-dtto.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ProgrammeFileInvalid) as excinfo:
        programme_load_files([path])
    assert all(p.file == str(path) for p in excinfo.value.problems)
    return {p.path: p.reason for p in excinfo.value.problems}


def test_the_vocabulary_is_the_assessments_own():
    assert tuple(RiskLevel.values) == matching_rules.RISK_LEVELS
    assert tuple(LifeDomain.values) == matching_rules.NEEDS
    assert set(matching_rules.FACTS) == {"risk_level", "need", "substance", "mental_health_need"}
    assert matching_rules.KINDS == ("intensity", "modality", "service")


def _rule(matching, rule_id):
    return next(r for r in matching["rules"] if r["id"] == rule_id)


@pytest.mark.django_db
def test_an_unknown_fact_is_refused_naming_the_rule(tmp_path):
    problems = _refused(tmp_path, lambda m: _rule(m, "mat-opioids")["when"].update(
        {"injecting": [True]}))  # fmt: skip
    path = "matching.rules[3] (rule 'mat-opioids').when.injecting"
    assert "'injecting' is not a fact a rule can test" in problems[path]
    assert not Programme.objects.exists()


@pytest.mark.django_db
def test_an_unknown_value_is_refused_with_the_values_it_may_take(tmp_path):
    problems = _refused(tmp_path, lambda m: _rule(m, "mat-opioids")["when"].update(
        {"substance": ["heroin"]}))  # fmt: skip
    reason = problems["matching.rules[3] (rule 'mat-opioids').when.substance[0]"]
    assert "'heroin' is not a value of substance" in reason and "opioids" in reason


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("rule_id", "change", "key", "says"),
    [
        ("housing-need", {"need": ["shelter"]}, "when.need[0]", "'shelter' is not a value of need"),
        ("intensity-low-risk", {"risk_level": ["minimal"]}, "when.risk_level[0]",
         "'minimal' is not a value of risk_level"),
        ("integrated-mental-health", {"mental_health_need": False}, "when.mental_health_need",
         "must be true"),
    ],
)  # fmt: skip
def test_each_fact_checks_its_values(tmp_path, rule_id, change, key, says):
    problems = _refused(tmp_path, lambda m: _rule(m, rule_id)["when"].update(change))
    found = {p: r for p, r in problems.items() if f"(rule '{rule_id}')" in p}
    assert any(p.endswith(key) and says in r for p, r in found.items()), problems


@pytest.mark.django_db
def test_an_unknown_kind_value_or_requirement_is_refused(tmp_path):
    def change(m):
        _rule(m, "housing-need")["propose"] = {"kind": "referral", "value": "housing_support"}
        _rule(m, "family-need")["propose"]["value"] = "parenting_class"
        _rule(m, "legal-need")["requirement"] = "R99"
        _rule(m, "meaning-need")["colour"] = "blue"
        del _rule(m, "finances-need")["why"]

    problems = _refused(tmp_path, change)
    text = "\n".join(f"{p}: {r}" for p, r in problems.items())
    assert "(rule 'housing-need').propose.kind: 'referral' is not a kind of proposal" in text
    assert "(rule 'family-need').propose.value: 'parenting_class' is not a service" in text
    assert "(rule 'legal-need').requirement: 'R99' is not a requirement" in text
    assert "(rule 'meaning-need').colour: unknown key" in text
    assert "(rule 'finances-need').why: is required" in text


@pytest.mark.django_db
def test_an_intensity_needs_hours_and_a_risk_level_and_the_programme_its_own(tmp_path):
    def change(m):
        _rule(m, "intensity-low-risk")["propose"]["hours_per_week"] = [5, 2]
        _rule(m, "intensity-medium-risk")["when"] = {"need": ["housing"]}
        m["intensity"] = "extreme"
        m["rules"].append(dict(_rule(m, "housing-need")))

    problems = _refused(tmp_path, change)
    text = "\n".join(f"{p}: {r}" for p, r in problems.items())
    assert "(rule 'intensity-low-risk').propose.hours_per_week: must run from a lower" in text
    assert "(rule 'intensity-medium-risk').propose: an intensity rule must test risk_level" in text
    assert "matching.intensity: 'extreme' is not an intensity" in text
    assert "(rule 'housing-need').id: 'housing-need' is used by an earlier rule" in text


@pytest.mark.django_db
def test_a_why_that_labels_a_person_is_refused(tmp_path):
    problems = _refused(tmp_path, lambda m: _rule(m, "mat-opioids").update(
        {"why": "Heroin addicts need substitution."}))  # fmt: skip
    assert "uses 'addicts', which labels a person" in problems["matching.rules[3].why"]


@pytest.mark.django_db
def test_the_shipped_rules_load_with_the_programmes(programmes):
    for programme in programmes.values():
        assert programme.definition["matching"]["rules"]
