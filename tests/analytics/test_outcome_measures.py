"""Measures added over outcome events and follow-ups (docs/analytics.md): hazard ratios of
reconviction by group, follow-ups and client-reported outcomes, outcomes recorded. Hand-built
extracts worked out by hand here, and agreement with independent computations."""

import datetime
import math
import statistics

import numpy as np
import pytest
from statsmodels.duration.hazard_regression import PHReg

from turnpoint.analytics import measures as M
from turnpoint.analytics.extract import Extract
from turnpoint.analytics.synthetic_extract import generate

from .test_measures import YEAR, _table, hand_built

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


# Follow-ups, client-reported outcomes and outcomes recorded, by hand -------------------------


def followed_up() -> Extract:
    """Sixteen people referred on 1 January 2024, all started on 1 February 2024. Episodes 1-10
    ended on 1 June 2024 and their follow-ups were all due by the extract's day (1 January
    2026): at 3 months 1-5 done and 6-10 declined; at 6 months all ten done; at 12 months 1-5
    done and 6-10 missed. Episodes 11-16 ended on 1 November 2025: their 3-month follow-ups
    are due after the extract's day and are not counted.

    The 6-month follow-ups were answered with a WHO-5 (percentage 40 + 4i for person i), and
    1-6 gave a WHO-5 at intake of 40; the 3-month ones of 1-5 with a BAM (use 3), none of them
    at intake; 1-4 of the 12-month ones with days of use (alcohol 2 days)."""
    start = D(2024, 2, 1)
    people = [(i, "female", "white") for i in range(1, 17)]
    referrals = [
        (i, i, "p", "north", "25-34", 30, "acquisitive", "economic_compulsive",
         D(2023, 12, 1), D(2024, 1, 1), "", "", "medium")
        for i in range(1, 17)
    ]  # fmt: skip
    episodes = [
        (i, i, "p", "north", start, 1, D(2024, 6, 1) if i <= 10 else D(2025, 11, 1),
         "completed", "completed")
        for i in range(1, 17)
    ]  # fmt: skip
    follow_ups, scores = [], []
    aid = 0
    for i in range(1, 11):
        for months, due, status in (
            (3, D(2024, 9, 1), "done" if i <= 5 else "declined"),
            (6, D(2024, 12, 1), "done"),
            (12, D(2025, 6, 1), "done" if i <= 5 else "missed"),
        ):
            answered = None
            if status == "done" and (months != 12 or i <= 4):
                aid += 1
                answered = aid
                instrument, measure, score = {
                    3: ("bam", "use", 3.0),
                    6: ("who-5", "percentage", 40.0 + 4 * i),
                    12: ("tp-substance-days", "days_alcohol", 2.0),
                }[months]
                scores.append((aid, i, i, instrument, "follow_up", due, measure, score))
            done_on = due if status == "done" else None
            follow_ups.append((i, i, months, due, status, done_on, answered))
    for i in range(1, 7):
        aid += 1
        scores.append((aid, i, i, "who-5", "intake", start, "percentage", 40.0))
    for i in range(11, 17):
        follow_ups.append((i, i, 3, D(2026, 2, 1), "due", None, None))
    events = [
        (11, "housing", None, None, D(2025, 12, 1), "", "settled"),  # after the start
        (12, "conviction", D(2019, 1, 1), D(2019, 6, 1), None, "convicted", ""),  # before
    ]
    tables = {
        "participants": _table("participants", people),
        "referrals": _table("referrals", referrals),
        "transitions": _table("transitions", []),
        "episodes": _table("episodes", episodes),
        "outcome_events": _table("outcome_events", events),
        "recovery_capital": _table("recovery_capital", []),
        "follow_ups": _table("follow_ups", follow_ups),
        "client_reported": _table("client_reported", scores),
    }
    return Extract(tables, D(2026, 1, 1))


def test_follow_ups_and_client_reported_outcomes_by_hand():
    out = M.Measures(followed_up()).run("recovery-capital", YEAR)["recovery-capital"]
    (everyone,) = out["follow_ups"]["groups"]
    counts = everyone["counts"]
    assert counts["rows"] == ["3 months", "6 months", "12 months"]
    assert counts["columns"] == ["done", "missed", "declined", "not recorded"]
    # Episodes 11-16's follow-ups are not yet due: only 1-10's are counted.
    assert counts["cells"] == [[5, 0, 5, 0], [10, 0, 0, 0], [5, 5, 0, 0]]
    assert counts["row_totals"] == [10, 10, 10] and counts["withheld"] == 0
    assert everyone["shares"] == [
        {"follow_up": "3 months", "done": 0.5, "missed": 0.0, "declined": 0.5,
         "not recorded": 0.0},
        {"follow_up": "6 months", "done": 1.0, "missed": 0.0, "declined": 0.0,
         "not recorded": 0.0},
        {"follow_up": "12 months", "done": 0.5, "missed": 0.5, "declined": 0.0,
         "not recorded": 0.0},
    ]  # fmt: skip

    scored = {(g["instrument"], g["measure"], g["follow_up"]): g for g in
              out["client_reported"]["groups"]}  # fmt: skip
    assert set(scored) == {
        ("who-5", "percentage", "6 months"),
        ("bam", "use", "3 months"),
        ("tp-substance-days", "days_alcohol", "12 months"),
    }
    who = scored[("who-5", "percentage", "6 months")]
    after = [40 + 4 * i for i in range(1, 11)]
    assert (who["n"], who["mean"], who["median"]) == (10, 62.0, 62.0)
    assert who["mean"] == statistics.mean(after)
    # Six of them gave a WHO-5 at intake (40): changes 4, 8, ..., 24.
    change = [4 * i for i in range(1, 7)]
    se = statistics.stdev(change) / math.sqrt(6)
    assert who["from_intake"] == {
        "n": 6,
        "mean_before": 40.0,
        "mean_after": 54.0,
        "mean_change": 14.0,
        "lower": round(14 - Z * se, 2),
        "upper": round(14 + Z * se, 2),
        "median_change": 14.0,
    }
    bam = scored[("bam", "use", "3 months")]
    assert (bam["n"], bam["mean"]) == (5, 3.0)
    assert bam["from_intake"] == {"n": None, "withheld": True}  # nobody at intake
    # Days of use answered by four people: fewer than 5, withheld.
    days = scored[("tp-substance-days", "days_alcohol", "12 months")]
    assert days["n"] is None and days["withheld"] is True and "mean" not in days


def test_outcomes_recorded_of_those_who_left_by_hand():
    out = M.Measures(followed_up()).run("completeness", YEAR)["completeness"]
    (everyone,) = out["groups"]
    # Sixteen left: 1-10 have a done follow-up, 11 a housing status after the start; 12's
    # conviction was before the start and 13-16 have nothing: 11 of 16.
    assert everyone["exited_counts"]["cells"] == [[11, 5]]
    assert everyone["share"]["outcomes_recorded_of_exited"] == round(11 / 16, 4)
    # Any outcome event at all (of the referrals): 11 and 12 only: 2 of 16, withheld.
    assert everyone["share"]["any_outcome_recorded"] is None


def test_few_who_left_withhold_the_outcomes_recorded_share():
    # The first hand-built extract: four left (1-4), one of them (1) reconvicted after the
    # start: both counts under 5, withheld.
    out = M.Measures(hand_built()).run("completeness", YEAR)["completeness"]
    (everyone,) = out["groups"]
    assert everyone["exited_counts"]["cells"] == [[None, None]]
    assert everyone["share"]["outcomes_recorded_of_exited"] is None


def test_the_hazard_ratios_are_charted_with_their_numbers(synthetic):
    from turnpoint.analytics import outputs

    scope = M.Scope(D(2018, 1, 1), D(2020, 12, 31))
    result = M.Measures(synthetic).run("equity", scope)
    charts = {c.caption: c for _, c in outputs.chart_set(result)}
    chart = charts["Hazard of reconviction by gender"]
    assert chart.head == ["group", "ratio", "lower 95%", "upper 95%"]
    hazards = result["equity"]["gender"]["reconviction_hazard_ratios"]["groups"]
    assert [row[0] for row in chart.rows] == [outputs.label(g["group"]) for g in hazards]
    assert chart.rows[1][1] == f"{hazards[1]['hazard_ratio']:.2f}"
    assert "<title" in chart.svg and "hazard ratio to the reference group" in chart.svg
    reference = result["equity"]["gender"]["reconviction_hazard_ratios"]["reference"]
    assert chart.rows[0] == [outputs.label(reference), "1.00", "reference group", "reference group"]


def test_the_long_tables_name_every_number_once():
    """CSV and Parquet rows: each client-reported score and follow-up share is told apart by
    its row label (group / instrument / measure / follow-up)."""
    from turnpoint.analytics import outputs

    rows = outputs.flat_rows(M.Measures(followed_up()).run("all", YEAR))
    keys = [r[:4] for r in rows]
    assert len(keys) == len(set(keys))
    assert (
        "recovery-capital",
        "client_reported/groups",
        "all / who-5 / percentage / 6 months",
        "mean",
        62.0,
        False,
    ) in rows
    assert ("recovery-capital", "follow_ups/groups/all/shares", "12 months", "missed", 0.5,
            False) in rows  # fmt: skip


def test_no_hazard_ratios_by_site():
    out = M.Measures(hand_built()).run("equity", YEAR)["equity"]
    assert "reconviction_hazard_ratios" not in out["site"]
    assert "completion" in out["site"]
