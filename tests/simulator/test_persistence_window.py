"""A disposal's effect lasts "up to three years" (Mitchell et al. 2012): it stops at 156 weeks.

The library's ``reoffending.persistence_weeks`` is 156, read as a fixed window after a person
leaves the programme, not a geometric stay whose mean is 156 weeks (under which 37% of a cohort
would still be in the window at 156 weeks, and some people for ten years).
"""

import numpy as np

from turnpoint.simulator import model
from turnpoint.simulator.runner import model_inputs

from .helpers import baseline, point_draws


def _one_cohort(total_weeks: int, window: float = 156) -> model.State:
    """One week of people entering a drug court that lasts under a week, then nobody new.

    Reconviction is off (a reference probability of 0) so nobody comes back to the decision and
    starts a second window; deaths, desistance and the drug court's effect stay on.
    """
    scenario = baseline()
    scenario.horizon_years = 1
    mix = np.zeros(len(model.DISPOSALS))
    mix[model.DISPOSALS.index("drug_court")] = 1.0
    scenario.mix = np.tile(mix, (model.N_SUBGROUPS, 1))
    draws = point_draws(
        scenario,
        reoffending__reference_one_year__high=0.0,
        reoffending__reference_one_year__low=0.0,
        programme__drug_court__duration_weeks=1e-9,  # everyone leaves in their first week
        programme__drug_court__completion=1.0,
        reoffending__persistence_weeks=window,
    )
    first = model_inputs(scenario, draws, keep_series=False)
    first.weeks = 1
    state = model.run_with_state(first)[1]
    rest = model_inputs(scenario, draws, keep_series=False)
    rest.entrants_per_week = 0.0
    rest.weeks = total_weeks - 1
    return model.run_with_state(rest, state)[1]


def _share_in_force(state: model.State) -> float:
    """Of the cohort's people still at liberty and offending, the share inside the window."""
    in_window = state.free_hist.sum()
    return float(in_window / (in_window + state.free_ref.sum()))


def _during_week(k: int, window: float = 156) -> float:
    """Share in force during week ``k`` after the week the cohort left (the state at its start),
    rounded to 12 decimals: the window's end subtracts floating-point products (error ~1e-15)."""
    return round(_share_in_force(_one_cohort(k, window)), 12)


def test_the_effect_is_in_force_for_156_weeks_and_stops_in_week_157():
    assert _during_week(1) == 1.0
    assert _during_week(155) == 1.0
    assert _during_week(156) == 1.0
    assert _during_week(157) == 0.0
    assert _during_week(200) == 0.0
    # Nobody is lost at the window's end: the living move to the reference state (the only loss
    # between the two weeks is one week's deaths, well under 1%).
    before, after = _one_cohort(156), _one_cohort(157)
    alive = [s.free_hist.sum() + s.free_ref.sum() + s.desisted.sum() for s in (before, after)]
    assert 0.99 * alive[0] < alive[1] < alive[0]


def test_a_shorter_window_from_the_parameter_is_honoured():
    assert _during_week(52, window=52) == 1.0
    assert _during_week(53, window=52) == 0.0


def test_the_window_carries_over_from_warm_up_to_the_horizon():
    """A state passed from one run to the next keeps its cohorts' places in the window."""
    split = _one_cohort(100)
    scenario = baseline()
    # Continuing the same cohort for 57 more weeks must end it exactly as one long run does.
    mix = np.zeros(len(model.DISPOSALS))
    mix[model.DISPOSALS.index("drug_court")] = 1.0
    scenario.mix = np.tile(mix, (model.N_SUBGROUPS, 1))
    draws = point_draws(
        scenario,
        reoffending__reference_one_year__high=0.0,
        reoffending__reference_one_year__low=0.0,
        programme__drug_court__duration_weeks=1e-9,
        programme__drug_court__completion=1.0,
    )
    more = model_inputs(scenario, draws, keep_series=False)
    more.entrants_per_week = 0.0
    more.weeks = 56
    assert round(_share_in_force(model.run_with_state(more, split)[1]), 12) == 1.0
    more.weeks = 57
    assert round(_share_in_force(model.run_with_state(more, split)[1]), 12) == 0.0
