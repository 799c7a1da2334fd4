"""The scenarios shipped in scenarios/ load, and each policy is compared with its baseline."""

import pytest

from turnpoint.simulator.scenario import load_scenario

from .helpers import SCENARIOS

EW_POLICIES = {
    "ew_more_diversion.yaml",
    "ew_drug_court_for_short_custody.yaml",
    "ew_ost_continuity_for_all.yaml",
    "ew_cpo_instead_of_dtto.yaml",
}


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.name)
def test_scenario_loads_with_every_figure_sourced(path):
    scenario = load_scenario(path)
    assert scenario.sources["inflow"] and scenario.sources["disposal_mix"]
    for param in scenario.params.values():
        assert param.source


def test_england_and_wales_has_four_policies_against_the_baseline():
    for name in EW_POLICIES:
        scenario = load_scenario(SCENARIOS / name)
        assert scenario.jurisdiction == "england_and_wales"
        assert scenario.compare_to.name == "ew_baseline.yaml"


def test_scotland_has_a_baseline():
    assert load_scenario(SCENARIOS / "scotland_baseline.yaml").jurisdiction == "scotland"


def test_missing_figures_are_listed_not_invented():
    scenario = load_scenario(SCENARIOS / "ew_baseline.yaml")
    assert "cost.cjs_per_proven_reoffence" in scenario.missing
    assumed = {p.name for p in scenario.assumptions}
    assert "custody.weeks_served" in assumed
    assert all(p.source.startswith("assumption") for p in scenario.assumptions)


def test_scotland_policy_is_compared_with_the_scottish_baseline():
    scenario = load_scenario(SCENARIOS / "scotland_ost_continuity_for_all.yaml")
    assert scenario.jurisdiction == "scotland"
    assert scenario.compare_to.name == "scotland_baseline.yaml"
