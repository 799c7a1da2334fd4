"""Disparity ratios with Katz log intervals, and group hazard ratios (docs/analytics.md,
"Equity"). Turnpoint computes the Katz interval itself; statsmodels' Table2x2 is the independent
computation it is compared with."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines.datasets import load_rossi
from statsmodels.stats.contingency_tables import Table2x2

from turnpoint.analytics.equity import disparity_ratios, group_hazard_ratios, katz_interval
from turnpoint.analytics.survival import cox
from turnpoint.errors import InvalidInput


def statsmodels_ratio(a, n1, c, n0):
    # No 0.5 added to empty cells: Katz uses the counts as they are.
    table = Table2x2(np.array([[a, n1 - a], [c, n0 - c]], dtype=float), shift_zeros=False)
    lower, upper = table.riskratio_confint(alpha=0.05, method="normal")
    return table.riskratio, lower, upper


@settings(max_examples=300, deadline=None)
@given(
    n1=st.integers(1, 5000),
    n0=st.integers(1, 5000),
    a_share=st.floats(0, 1),
    c_share=st.floats(0, 1),
)
def test_katz_interval_matches_statsmodels(n1, n0, a_share, c_share):
    a = max(1, round(a_share * n1))
    c = max(1, round(c_share * n0))
    ratio, lower, upper = katz_interval(a, n1, c, n0)
    expected = statsmodels_ratio(a, n1, c, n0)
    assert (ratio, lower, upper) == pytest.approx(expected, rel=1e-9)


def test_disparity_ratios_by_group_against_the_reference():
    result = disparity_ratios(
        {"white": (120, 1000), "black": (45, 250), "asian": (10, 200), "mixed": (0, 40)},
        reference="white",
    )
    rows = {r["group"]: r for r in result["groups"]}
    assert list(rows) == ["white", "black", "asian", "mixed"]
    assert rows["white"]["ratio"] == 1 and rows["white"]["lower"] is None
    assert rows["black"]["rate"] == pytest.approx(0.18)
    ratio, lower, upper = statsmodels_ratio(45, 250, 120, 1000)
    assert (rows["black"]["ratio"], rows["black"]["lower"], rows["black"]["upper"]) == (
        pytest.approx((ratio, lower, upper), rel=1e-12)
    )
    assert rows["black"]["ratio"] == pytest.approx(1.5)
    assert rows["asian"]["upper"] < 1  # fewer outcomes than the reference, clearly
    assert rows["mixed"]["ratio"] == 0 and rows["mixed"]["lower"] is None


def test_without_reference_events_ratios_are_undefined_and_bad_counts_refused():
    result = disparity_ratios({"a": (3, 10), "b": (0, 10)}, reference="b")
    assert result["groups"][0]["ratio"] is None
    with pytest.raises(InvalidInput) as caught:
        disparity_ratios({"a": (11, 10), "b": (1, 0)}, reference="c")
    assert [str(p) for p in caught.value.problems] == [
        "reference: 'c' is not one of the groups",
        "a: events (11) must be between 0 and total (10)",
        "b: has no people",
    ]


def test_group_hazard_ratios_come_from_the_cox_model():
    rossi = load_rossi()
    labels = ["financial aid" if f else "no aid" for f in rossi["fin"]]
    result = group_hazard_ratios(
        rossi["week"], rossi["arrest"], labels, reference="no aid", covariates={"age": rossi["age"]}
    )
    (aid,) = result["groups"]
    direct = cox(rossi["week"], rossi["arrest"], {"fin": rossi["fin"], "age": rossi["age"]})
    fin = direct["coefficients"][0]
    assert aid["group"] == "financial aid"
    assert aid["hazard_ratio"] == pytest.approx(fin["hazard_ratio"], rel=1e-9)
    assert (aid["lower"], aid["upper"]) == pytest.approx(
        (fin["hazard_ratio_lower"], fin["hazard_ratio_upper"]), rel=1e-9
    )
    assert aid["hazard_ratio"] < 1
