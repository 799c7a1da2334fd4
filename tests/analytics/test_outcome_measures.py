"""Measures added over outcome events and follow-ups (docs/analytics.md): hazard ratios of
reconviction by group, follow-ups and client-reported outcomes, outcomes recorded. Hand-built
extracts worked out by hand here, and agreement with independent computations."""

import datetime

import numpy as np
import pytest
from statsmodels.duration.hazard_regression import PHReg

from turnpoint.analytics import measures as M
from turnpoint.analytics.synthetic_extract import generate

from .test_measures import YEAR, hand_built

D = datetime.date
Z = 1.959963984540054


@pytest.fixture(scope="module")
def synthetic():
    return generate(4000, seed=11, outcome_events_each=3.0)


def _first_reconviction(extract, scope):
    """(days, event, participant) per episode started in the scope, from plain Python."""
    convictions: dict[int, list] = {}
    for o in extract.tables["outcome_events"].to_pylist():
        if o["kind"] == "conviction":
            convictions.setdefault(o["pid"], []).append(o)
    out = []
    for e in extract.tables["episodes"].to_pylist():
        if not scope.start <= e["started_on"] <= scope.end:
            continue
        after = [
            o["offence_date"]
            for o in convictions.get(e["pid"], [])
            if o["offence_date"] > e["started_on"] and o["outcome_date"] <= extract.as_of
        ]
        first = min(after) if after else extract.as_of
        out.append(((first - e["started_on"]).days, int(bool(after)), e["pid"], e["rid"]))
    return out


@pytest.mark.parametrize("column", ["gender", "ethnicity", "age_band"])
def test_group_hazard_ratios_agree_with_statsmodels(synthetic, column):
    scope = M.Scope(D(2018, 1, 1), D(2020, 12, 31))
    out = M.Measures(synthetic).run("equity", scope)["equity"][column]
    hazards = out["reconviction_hazard_ratios"]
    assert hazards["estimated"] is True

    # The same rows, by plain Python over the extract's tables.
    people = {p["pid"]: p for p in synthetic.tables["participants"].to_pylist()}
    refs = {r["rid"]: r for r in synthetic.tables["referrals"].to_pylist()}
    rows = _first_reconviction(synthetic, scope)
    label = [
        str(refs[rid][column] if column == "age_band" else people[pid][column])
        for _, _, pid, rid in rows
    ]
    days = np.array([r[0] for r in rows], dtype=float)
    event = np.array([r[1] for r in rows], dtype=int)
    sizes = {g: label.count(g) for g in set(label)}
    fitted = sorted(g for g, n in sizes.items() if n >= 5 and event[np.array(label) == g].any())
    assert hazards["withheld_groups"] == sorted(g for g, n in sizes.items() if n < 5)
    reference = max(fitted, key=lambda g: (sizes[g], g))
    assert hazards["reference"] == reference
    keep = np.isin(label, fitted)
    others = [g for g in fitted if g != reference]
    design = np.column_stack([np.array(label)[keep] == g for g in others]).astype(float)
    model = PHReg(days[keep], design, status=event[keep], ties="efron")
    fit = model.fit()
    got = {g["group"]: g for g in hazards["groups"]}
    assert got[reference]["hazard_ratio"] == 1.0 and got[reference]["lower"] is None
    assert set(got) == set(fitted)
    # lifelines (behind the measure) and statsmodels stop their Newton steps at different
    # tolerances: where the likelihood is flat (a small group) the estimates differ in the
    # fifth digit while their log-likelihoods agree to 1e-7. So: the measure's estimate is a
    # maximum of statsmodels' own Efron likelihood, and the ratios and intervals agree to 1e-4.
    mine = np.log([got[g]["hazard_ratio"] for g in others])
    assert model.loglike(mine) == pytest.approx(fit.llf, abs=1e-6)
    for i, g in enumerate(others):
        b, se = fit.params[i], fit.bse[i]
        assert np.log(got[g]["hazard_ratio"]) == pytest.approx(b, abs=1e-4)
        assert np.log(got[g]["lower"]) == pytest.approx(b - Z * se, abs=1e-4)
        assert np.log(got[g]["upper"]) == pytest.approx(b + Z * se, abs=1e-4)


def test_small_groups_are_left_out_of_the_hazard_ratios():
    # Hand-built: six episodes, four of women (pids 1-4) and two of men (5, 6): both groups
    # have fewer than 5 people, so no model is fitted and both are named as withheld.
    out = M.Measures(hand_built()).run("equity", YEAR)["equity"]
    gender = out["gender"]["reconviction_hazard_ratios"]
    assert gender["estimated"] is False
    assert gender["withheld_groups"] == ["female", "male"] and gender["groups"] == []
    # Everyone is white and 25-34: one group, nothing to compare.
    assert out["ethnicity"]["reconviction_hazard_ratios"]["estimated"] is False
    assert out["ethnicity"]["reconviction_hazard_ratios"]["withheld_groups"] == []
