"""Reproduce Marsden et al. 2017: deaths in the first four weeks after release by OST exposure."""

import numpy as np

from turnpoint.simulator import model
from turnpoint.simulator.runner import model_inputs

from .helpers import baseline, point_draws

DAYS = 28
MARSDEN = {  # (people released, published rate per 100 person-years, derived deaths)
    "ost": (8645, 0.93, 6.2),
    "no_ost": (6496, 3.67, 18.3),
}


def _release_cohort(people: float, ost: bool) -> dict:
    scenario = baseline()
    # Nobody enters and nobody is reconvicted: only deaths move people in these four weeks.
    draws = point_draws(
        scenario,
        **{"reoffending.reference_one_year.high": 0.0, "reoffending.reference_one_year.low": 0.0},
    )
    inputs = model_inputs(scenario, draws)
    inputs.entrants_per_week = 0.0
    inputs.weeks = DAYS // 7
    start = model.State.empty(1)
    group = model.subgroup_labels().index("male/25-39/high/opioid")
    start.released[0, group, 0, int(ost)] = people  # week 1 after release, with or without OST
    return model.run(inputs, start)


def test_first_four_week_deaths_match_marsden_2017_as_derived():
    """Marsden et al. 2017, Addiction 112(8):1408-1418: 8,645 exposed to OST at release, 6,496 not;
    0.93 vs 3.67 deaths per 100 person-years in the first 4 weeks. Derived in
    shared/reference/simulation.md: 8,645 x 28/365.25 = 662.7 person-years x 0.93% = 6.2 deaths;
    6,496 x 28/365.25 = 498.0 x 3.67% = 18.3 deaths.

    The model must give the derived deaths to one decimal and the published rates to two. The
    derivation counts the whole cohort's time; the model stops counting a person's time at death,
    so the unrounded numbers may differ by at most 0.03 deaths.
    """
    for key, (people, rate, derived_deaths) in MARSDEN.items():
        out = _release_cohort(people, ost=key == "ost")
        deaths = out["by_group.deaths_released"].sum()
        person_years = out["by_group.person_years_released"].sum()
        assert round(deaths, 1) == derived_deaths
        assert abs(deaths - people * DAYS / 365.25 * rate / 100) < 0.03
        assert round(deaths / person_years * 100, 2) == rate


def test_rate_ratio_matches_the_published_hazard_ratio():
    """Marsden et al. 2017: hazard ratio 0.25 (0.10-0.64) for OST exposure at release."""
    ost = _release_cohort(8645, ost=True)
    none = _release_cohort(6496, ost=False)

    def rate(out):
        return out["by_group.deaths_released"].sum() / out["by_group.person_years_released"].sum()

    assert round(rate(ost) / rate(none), 2) == 0.25


def test_release_deaths_are_counted_as_drug_related_or_other():
    out = _release_cohort(6496, ost=False)
    total = out["by_group.deaths_drug"].sum() + out["by_group.deaths_other"].sum()
    assert np.isclose(total, out["by_group.deaths_released"].sum())
    assert out["by_group.deaths_drug"].sum() > out["by_group.deaths_other"].sum()
