"""The Cox logit transform between effect sizes and probabilities, on Mitchell et al. 2012."""

import numpy as np
import pytest

from turnpoint.simulator import model
from turnpoint.simulator.effects import (
    effect_from_probabilities,
    probability_from_effect,
    weekly_hazard,
)

from .helpers import baseline, point_draws


def test_mitchell_2012_fifty_to_thirty_eight_percent():
    """Mitchell, Wilson, Eggers & MacKenzie 2012: the average adult drug court effect equals
    recidivism falling from 50% to 38%. d = ln(OR)/1.65 = ln((0.38/0.62)/(0.5/0.5))/1.65 = -0.2967
    (hand calculation); the inverse gives 38% back to machine precision."""
    d = effect_from_probabilities(0.50, 0.38)
    assert float(d) == pytest.approx(-0.29670, abs=5e-5)
    assert float(probability_from_effect(0.50, d)) == pytest.approx(0.38, abs=1e-12)


def test_wsipp_effect_on_a_fifty_percent_base():
    """WSIPP's -0.255 on a 50% base: expit(1.65 x -0.255) = 39.6% (hand calculation)."""
    assert float(probability_from_effect(0.5, -0.255)) == pytest.approx(0.3963, abs=1e-4)


def test_model_reconviction_hazard_uses_the_transform():
    """A draw with a 50% reference rate and Mitchell's effect gives 38% reconvicted in a year."""
    draws = point_draws(
        baseline(),
        **{"reoffending.reference_one_year.high": 0.5, "effect.drug_court": -0.29670},
    )
    lam = model.hazards(draws)
    high = model.SUBGROUPS["risk"] == model.RISKS.index("high")
    court = model.HISTORIES.index("drug_court")
    one_year = 1 - np.exp(-lam["hist"][0, high, court] * model.WEEKS_PER_YEAR)
    assert np.allclose(one_year, 0.38, atol=1e-5)
    assert np.allclose(1 - np.exp(-lam["ref"][0, high] * model.WEEKS_PER_YEAR), 0.5)


def test_weekly_hazard_round_trips_a_probability():
    h = weekly_hazard(0.62, 52)
    assert 1 - np.exp(-h * 52) == pytest.approx(0.62)
