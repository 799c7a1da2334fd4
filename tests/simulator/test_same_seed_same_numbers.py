"""The same seed gives the same numbers, to the last digit; chunking never changes them."""

import numpy as np

from turnpoint.simulator.outputs import run_rows, write_csv
from turnpoint.simulator.runner import simulate
from turnpoint.simulator.scenario import load_scenario

from .helpers import SCENARIOS, baseline


def _short(scenario):
    scenario.horizon_years = 2
    return scenario


def test_same_seed_identical_totals():
    a = simulate(_short(baseline()), runs=6, seed=11)
    b = simulate(_short(baseline()), runs=6, seed=11)
    for key in a.totals:
        assert np.array_equal(a.totals[key], b.totals[key]), key


def test_different_seed_different_draws():
    a = simulate(_short(baseline()), runs=6, seed=11)
    b = simulate(_short(baseline()), runs=6, seed=12)
    assert not np.array_equal(a.totals["prison_bed_days"], b.totals["prison_bed_days"])


def test_chunk_size_does_not_change_results():
    a = simulate(_short(baseline()), runs=5, seed=3, chunk_size=2)
    b = simulate(_short(baseline()), runs=5, seed=3, chunk_size=250)
    for key in a.totals:
        assert np.array_equal(a.totals[key], b.totals[key]), key


def test_csv_export_is_byte_identical(tmp_path):
    for name in ("one.csv", "two.csv"):
        write_csv(run_rows(simulate(_short(baseline()), runs=3, seed=5)), tmp_path / name)
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "two.csv").read_bytes()


def test_scenario_and_baseline_share_parameter_draws():
    """Common random numbers: a parameter both files leave alone is drawn identically."""
    ost = load_scenario(SCENARIOS / "ew_ost_continuity_for_all.yaml")
    base = baseline()
    a, b = ost.draw(50, seed=9), base.draw(50, seed=9)
    assert np.array_equal(a["cost.prison_per_year"], b["cost.prison_per_year"])
    assert np.array_equal(a["effect.drug_court"], b["effect.drug_court"])
    assert not np.array_equal(a["custody.ost_at_release"], b["custody.ost_at_release"])
