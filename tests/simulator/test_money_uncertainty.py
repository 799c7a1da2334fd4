"""Uncertainty on the money: every cost and value that moves the result is drawn from a gamma
whose mean is the cited figure; deaths valued are discounted at the Green Book health rate, and
long horizons on its declining schedule."""

import copy

import numpy as np
import pytest

from turnpoint.simulator import model
from turnpoint.simulator.economics import discount_factor
from turnpoint.simulator.errors import SimulatorInputError
from turnpoint.simulator.parameters import parameter_rng
from turnpoint.simulator.runner import model_inputs
from turnpoint.simulator.scenario import load_scenario, required_parameter_names

from .helpers import SCENARIOS, baseline, baseline_data, point_draws, write_yaml

# Used only to turn a crime cost into a count of crimes: it moves no money line.
COUNTS_ONLY = {"crime.cost_per_crime"}


@pytest.mark.parametrize("name", sorted(p.name for p in SCENARIOS.glob("*.yaml")))
def test_every_cost_and_value_has_a_distribution_with_the_cited_mean(name):
    """Sampled mean within 0.5% of the cited value (400,000 draws: the Monte Carlo error of the
    mean is under 0.1% for a coefficient of variation of 50%), and a real spread (CV >= 20%)."""
    scenario = load_scenario(SCENARIOS / name)
    checked = 0
    for key in required_parameter_names():
        param = scenario.params[key]
        if not param.unit.startswith("GBP") or param.value is None or key in COUNTS_ONLY:
            continue
        assert param.distribution["type"] == "gamma", (name, key, param.distribution)
        draws = param.sample(parameter_rng(1, key), 400_000)
        assert draws.mean() == pytest.approx(param.value, rel=0.005), (name, key)
        assert draws.std() / draws.mean() >= 0.2, (name, key)
        checked += 1
    assert checked >= 3  # prison, the value of a prevented fatality, and a programme at least


def test_a_triangle_with_the_cited_value_at_its_minimum_is_refused(tmp_path):
    data = copy.deepcopy(baseline_data())
    data["parameters"]["cost.programme.drug_court.per_order"]["distribution"] = {
        "type": "triangular",
        "low": 7000,
        "high": 13500,
    }
    path = write_yaml(tmp_path / "x.yaml", data)
    with pytest.raises(SimulatorInputError) as info:
        load_scenario(path)
    assert info.value.key == "parameters.cost.programme.drug_court.per_order.distribution.type"
    assert "mean of the draws is the cited figure" in info.value.reason


def test_a_new_cost_value_keeps_the_library_spread(tmp_path):
    data = copy.deepcopy(baseline_data())
    data["parameters"]["cost.prison_per_year"] = {
        "value": 40000,
        "source": "test",
        "status": "assumption",
    }
    scenario = load_scenario(write_yaml(tmp_path / "x.yaml", data))
    assert scenario.params["cost.prison_per_year"].distribution == {"type": "gamma", "shape": 11}


def test_green_book_declining_schedule():
    """HM Treasury Green Book (2022) Annex A6: 3.5% for years 0-30, 3.0% for 31-75, 2.5% for
    76-125; health 1.5%, then 1.286% and 1.071%. Exact to 1e-12 (relative)."""
    approx = lambda x: pytest.approx(x, rel=1e-12)  # noqa: E731
    assert discount_factor(0.035, 10) == approx(1.035**-10)
    assert discount_factor(0.035, 30) == approx(1.035**-30)
    assert discount_factor(0.035, 40) == approx(1.035**-30 * 1.03**-10)
    assert discount_factor(0.035, 100) == approx(1.035**-30 * 1.03**-45 * 1.025**-25)
    health = discount_factor(0.015, 50)
    assert health == approx(1.015**-30 * (1 + 0.015 * 3 / 3.5) ** -20)
    assert pytest.approx(0.01286, abs=5e-6) == 0.015 * 3 / 3.5
    assert pytest.approx(0.01071, abs=5e-6) == 0.015 * 2.5 / 3.5
    # Fractions of a year (the model's weeks) lie between the whole years around them.
    assert discount_factor(0.035, 30.5) == approx(1.035**-30 * 1.03**-0.5)


def _money(**rates):
    scenario = baseline()
    scenario.horizon_years = 3
    inputs = model_inputs(scenario, point_draws(scenario, **rates))
    return model.run(inputs)


def test_deaths_valued_are_discounted_at_the_health_rate_and_costs_at_the_standard_rate():
    gb = _money()  # library: 3.5% money, 1.5% health
    money_higher = _money(economics__discount_rate=0.08)
    health_zero = _money(economics__health_discount_rate=0.0)
    # The money rate moves prison costs, not deaths valued; the health rate the reverse.
    assert money_higher["cost_prison"][0] < gb["cost_prison"][0]
    assert money_higher["cost_deaths"][0] == gb["cost_deaths"][0]
    assert health_zero["cost_prison"][0] == gb["cost_prison"][0]
    # Undiscounted, deaths valued are deaths x the value of a prevented fatality exactly.
    deaths = health_zero["by_group.deaths_drug"].sum()
    assert health_zero["cost_deaths"][0] == pytest.approx(deaths * 1632892, rel=1e-12)
    # At 1.5% over three years each death is worth between 1.015**-3 and 1 of its value, and
    # nearer 1 than at 3.5% would make it.
    ratio = gb["cost_deaths"][0] / health_zero["cost_deaths"][0]
    assert 1.015**-3 < ratio < 1
    assert (
        ratio
        > _money(economics__health_discount_rate=0.035)["cost_deaths"][0]
        / (health_zero["cost_deaths"][0])
    )


def test_money_draws_move_the_economics_between_runs():
    """With costs uncertain, the prison cost line varies across draws of one scenario."""
    from turnpoint.simulator.runner import simulate

    scenario = baseline()
    scenario.horizon_years, scenario.warm_up_years = 1, 1
    result = simulate(scenario, runs=50, seed=4)
    prison = result.draws["cost.prison_per_year"]
    assert prison.std() / prison.mean() > 0.15
    per_bed_day = result.totals["cost_prison"] / result.totals["prison_bed_days"]
    assert np.corrcoef(prison, per_bed_day)[0, 1] > 0.99
