"""Matching, transparent (docs/matching.md): each shipped programme's rules propose intensity from
risk (R7), modalities from substances and mental health (R10) and services from needs (R9, R21),
each proposal naming its rule, why and requirement; a low-risk, low-need participant in an
intensive programme is flagged as net-widening (R7); without a risk level nothing is guessed."""

from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from hypothesis import given
from hypothesis import strategies as st

from turnpoint.plans.matching import FactSource, MatchingFacts, match
from turnpoint.programmes.loader import read_definition
from turnpoint.programmes.matching_rules import NEEDS, RISK_LEVELS, SUBSTANCES

DIR = Path(settings.TURNPOINT_PROGRAMMES_DIR)
FILES = sorted(p.name for p in DIR.glob("*.yaml"))
SECTIONS = {name: read_definition(DIR / name)["matching"] for name in FILES}
ON = date(2026, 11, 2)
RISK = (FactSource("LSI-R", ON, "risk_need"),)
NEEDS_SOURCE = (FactSource("Needs checklist", ON, "risk_need"),)
DAYS = (FactSource("Days of substance use", ON, "clinical"),)
PHQ = (FactSource("PHQ-9", ON, "mental_health"),)


def facts(risk=None, needs=(), substances=(), mental=False, *, checklist=True, days=True):
    sources = {}
    if risk is not None:
        sources["risk_level"] = RISK
    if checklist:
        sources["needs"] = NEEDS_SOURCE
    if days:
        sources["substances"] = DAYS
    if mental:
        sources["mental_health"] = PHQ
    return MatchingFacts(risk, frozenset(needs), frozenset(substances), mental, sources)


def proposed(result, kind) -> dict:
    return {p.value: p for p in result.proposals if p.kind == kind}


def test_every_programme_file_has_matching_rules():
    assert len(FILES) == 7
    assert all(SECTIONS[name]["rules"] for name in FILES)


@pytest.mark.parametrize("name", FILES)
def test_opioid_use_at_high_risk_gets_medication_assisted_treatment_and_high_intensity(name):
    result = match(SECTIONS[name], facts("high", needs=["substance_use"], substances=["opioids"]))
    mat = proposed(result, "modality")["medication_assisted_treatment"]
    assert mat.requirement == "R10" and ("substance", "opioids") in mat.facts_used
    assert mat.categories == {"clinical"}
    intensity = proposed(result, "intensity")["high"]
    assert intensity.requirement == "R7" and intensity.hours[0] < intensity.hours[1]
    assert intensity.facts_used == (("risk_level", "high"),)
    assert intensity.why
    assert "low" not in proposed(result, "intensity")


@pytest.mark.parametrize("name", FILES)
def test_stimulant_use_gets_contingency_management_or_community_reinforcement(name):
    for drug in ("cocaine", "crack_cocaine", "amphetamines"):
        result = match(SECTIONS[name], facts("medium", substances=[drug]))
        modalities = proposed(result, "modality")
        assert {"contingency_management", "community_reinforcement"} & set(modalities), drug
        assert "medication_assisted_treatment" not in modalities
    # Contingency management rewards negative tests: only where the programme tests.
    tests = read_definition(DIR / name)["phases"]
    takes_tests = any(p["tests_per_week"] > 0 for p in tests)
    result = match(SECTIONS[name], facts("medium", substances=["cocaine"]))
    assert ("contingency_management" in proposed(result, "modality")) == takes_tests


@pytest.mark.parametrize("name", FILES)
def test_a_mental_health_need_gets_integrated_care(name):
    result = match(SECTIONS[name], facts("medium", mental=True))
    care = proposed(result, "modality")["integrated_care"]
    assert care.facts_used == (("mental_health_need", True),)
    assert care.categories == {"mental_health"} and care.requirement == "R10"
    assert "integrated_care" not in proposed(match(SECTIONS[name], facts("medium")), "modality")


@pytest.mark.parametrize("name", FILES)
def test_a_housing_need_gets_housing_support(name):
    result = match(SECTIONS[name], facts("medium", needs=["housing"]))
    housing = proposed(result, "service")["housing_support"]
    assert housing.requirement == "R21" and housing.facts_used == (("need", "housing"),)
    assert "housing_support" not in proposed(match(SECTIONS[name], facts("medium")), "service")


@pytest.mark.parametrize("name", FILES)
def test_low_risk_and_low_need_in_an_intensive_programme_is_net_widening(name):
    section = SECTIONS[name]
    result = match(section, facts("low", needs=["substance_use"]))
    intensive = section["intensity"] == "high"
    assert (result.net_widening is not None and result.net_widening.raised) == intensive
    assert proposed(result, "intensity")["low"].requirement == "R7"
    if intensive:
        assert result.net_widening.requirement == "R7"
        assert "low risk (LSI-R, 2 November 2026)" in result.net_widening.why
        # More needs than the limit: not flagged, and the page says why not.
        many = match(section, facts("low", needs=["substance_use", "housing", "finances"]))
        assert not many.net_widening.raised and "3 needs" in many.net_widening.why
        # Needs not recorded: cannot be checked, said so, not flagged.
        unknown = match(section, facts("low", checklist=False))
        assert not unknown.net_widening.raised and "cannot be checked" in unknown.net_widening.why
        # A higher risk level: nothing to flag.
        assert match(section, facts("high", needs=["substance_use"])).net_widening is None


def test_the_drug_courts_are_intensive_and_the_police_caution_is_not():
    assert SECTIONS["us-adult-drug-court.yaml"]["intensity"] == "high"
    assert SECTIONS["scotland-dtto.yaml"]["intensity"] == "high"
    assert SECTIONS["england-police-drug-intervention.yaml"]["intensity"] == "low"
    assert SECTIONS["scotland-cpo-dtr.yaml"]["intensity"] == "moderate"


@pytest.mark.parametrize("name", FILES)
def test_without_a_risk_level_no_intensity_is_guessed(name):
    result = match(SECTIONS[name], facts(None, needs=["housing"], substances=["opioids"]))
    assert not proposed(result, "intensity")
    assert any("intensity cannot be proposed from risk" in n for n in result.notes)
    assert result.net_widening is None
    assert proposed(result, "modality")  # the rest is still proposed


def test_a_programme_without_rules_proposes_nothing_and_says_so():
    result = match(None, facts("high", substances=["opioids"]))
    assert result.proposals == () and result.notes


def test_the_prison_programme_adds_naloxone_for_the_weeks_after_release():
    section = SECTIONS["england-prison-to-community.yaml"]
    result = match(section, facts("high", substances=["opioids"]))
    naloxone = proposed(result, "service")["naloxone_and_overdose_prevention"]
    assert naloxone.requirement == "R20"


fact_sets = st.fixed_dictionaries(
    {
        "risk": st.sampled_from((None, *RISK_LEVELS)),
        "needs": st.frozensets(st.sampled_from(NEEDS)),
        "substances": st.frozensets(st.sampled_from(SUBSTANCES)),
        "mental": st.booleans(),
    }
)


def _facts(d, needs=None):
    needs = d["needs"] if needs is None else needs
    return facts(d["risk"], needs, d["substances"], d["mental"])


@given(d=fact_sets, extra=st.sampled_from(NEEDS), name=st.sampled_from(FILES))
def test_adding_a_need_never_removes_a_proposal(d, extra, name):
    before = {p.rule_id for p in match(SECTIONS[name], _facts(d)).proposals}
    after = {p.rule_id for p in match(SECTIONS[name], _facts(d, d["needs"] | {extra})).proposals}
    assert before <= after


@given(d=fact_sets, name=st.sampled_from(FILES))
def test_a_proposal_always_names_its_rule_and_requirement(d, name):
    rules = {r["id"]: r for r in SECTIONS[name]["rules"]}
    for p in match(SECTIONS[name], _facts(d)).proposals:
        assert p.rule_id in rules and p.requirement == rules[p.rule_id]["requirement"]
        assert p.requirement.startswith("R") and p.why and p.facts_used
        assert p.value == rules[p.rule_id]["propose"]["value"]


@given(d=fact_sets, extra=st.sampled_from(SUBSTANCES), name=st.sampled_from(FILES))
def test_adding_a_substance_or_a_mental_health_need_never_removes_a_proposal(d, extra, name):
    before = {p.rule_id for p in match(SECTIONS[name], _facts(d)).proposals}
    more = facts(d["risk"], d["needs"], d["substances"] | {extra}, True)
    assert before <= {p.rule_id for p in match(SECTIONS[name], more).proposals}
