"""The evaluation measures over the columnar extract (docs/analytics.md, "The measures").

A hand-built extract whose counts and medians are worked out by hand here; agreement of the
DuckDB measures with plain-Python computations on a few thousand synthetic rows; and the
suppression of every published table."""

import datetime
from collections import Counter

import numpy as np
import pyarrow as pa
import pytest

from turnpoint.analytics import measures as M
from turnpoint.analytics.extract import SCHEMAS, Extract
from turnpoint.analytics.synthetic_extract import generate

D = datetime.date


def _table(name, rows):
    names = SCHEMAS[name].names
    return pa.Table.from_pylist(
        [dict(zip(names, r, strict=True)) for r in rows], schema=SCHEMAS[name]
    )


def hand_built() -> Extract:
    """Eight people referred to programme "p" in January 2024 (offences 10, 20, ..., 80 days
    before their referral on 1 January), six of whom start on 1 February and two who leave at
    screening. Of the six, three complete on 1 May, one leaves unsuccessfully on 1 April and
    two are still on it. Three of the six are reconvicted (offences 100, 200 and 400 days after
    their start)."""
    people = [(i, "female" if i <= 4 else "male", "white") for i in range(1, 9)]
    ref = D(2024, 1, 1)
    referrals = [
        (
            i,
            i,
            "p",
            "north",
            "25-34",
            30,
            "acquisitive",
            "economic_compulsive",
            ref - datetime.timedelta(days=10 * i),
            ref,
            "programme",
            "programme" if i <= 6 else "",
            "medium",
        )
        for i in range(1, 9)
    ]
    steps = []
    for i in range(1, 9):
        steps.append((i, "referral", "screening", D(2024, 1, 5), ""))
        if i <= 6:
            steps += [
                (i, "screening", "assessment", D(2024, 1, 10 + i), ""),
                (i, "assessment", "episode", D(2024, 2, 1), ""),
            ]
        else:
            steps.append((i, "screening", "left", D(2024, 1, 8), "declined"))
    ends = {
        1: (D(2024, 5, 1), "completed", "completed"),
        2: (D(2024, 5, 1), "completed", "completed"),
        3: (D(2024, 5, 1), "completed", "completed"),
        4: (D(2024, 4, 1), "revoked_breach", "unsuccessful"),
    }
    episodes = []
    for i in range(1, 7):
        end, kind, outcome = ends.get(i, (None, "", ""))
        episodes.append((i, i, "p", "north", D(2024, 2, 1), 1, end, kind, outcome))
    start = D(2024, 2, 1)
    events = [
        (
            i,
            "conviction",
            start + datetime.timedelta(days=d),
            start + datetime.timedelta(days=d + 30),
            None,
            "convicted",
            "",
        )
        for i, d in ((1, 100), (5, 200), (6, 400))
    ]
    events.append((2, "conviction", D(2020, 1, 1), D(2020, 3, 1), None, "convicted", ""))
    rc = [(i, i, "intake", D(2024, 2, 1), 30.0) for i in range(1, 7)]
    rc += [(i, i, "exit", D(2024, 5, 1), 30.0 + 2 * i) for i in range(1, 6)]
    tables = {
        "participants": _table("participants", people),
        "referrals": _table("referrals", referrals),
        "transitions": _table("transitions", steps),
        "episodes": _table("episodes", episodes),
        "outcome_events": _table("outcome_events", events),
        "recovery_capital": _table("recovery_capital", rc),
    }
    return Extract(tables, D(2026, 1, 1))


YEAR = M.Scope(D(2024, 1, 1), D(2024, 12, 31))


def test_timeliness_by_hand():
    out = M.Measures(hand_built()).run("timeliness", YEAR)["timeliness"]
    # Offence to referral: 10, 20, ..., 80 days. Linear quartiles of 8 values: the p-quantile
    # is at position p * 7 of the sorted values.
    (everyone,) = out["offence_to_referral"]["groups"]
    assert everyone["n"] == 8
    assert everyone["median"] == 45.0  # halfway between 40 and 50
    assert everyone["q1"] == 27.5  # position 1.75: 20 + 0.75 * 10
    assert everyone["q3"] == 62.5  # position 5.25: 60 + 0.25 * 10
    assert everyone["p90"] == 73.0  # position 6.3: 70 + 0.3 * 10
    # Referral (1 January) to assessment (11 ... 16 January): 10 ... 15 days, six people.
    (assessed,) = out["referral_to_assessment"]["groups"]
    assert (assessed["n"], assessed["median"]) == (6, 12.5)
    # Assessment to start (1 February): 21 ... 16 days.
    assert out["assessment_to_start"]["groups"][0]["median"] == 18.5


def test_funnel_and_census_by_hand():
    out = M.Measures(hand_built()).run("all", YEAR)
    reached = out["funnel"]["reached"]
    counts = dict(zip(reached["rows"], reached["row_totals"], strict=True))
    assert counts == {"referral": 8, "screening": 8, "assessment": 6, "episode": 6}
    # Two left at screening, both "declined": fewer than 5, so withheld, and so is the total
    # of the only line, which would give it away.
    left = out["funnel"]["left_by_stage_and_reason"]
    assert left["rows"] == ["screening"] and left["columns"] == ["declined"]
    assert left["cells"] == [[None]] and left["grand_total"] is None
    disposals = out["funnel"]["recommended_by_imposed_disposal"]
    assert disposals["rows"] == ["programme"] and disposals["columns"] == ["none", "programme"]
    # 2 recommended but not imposed: withheld, and the 6 beside it, else 8 - 6 gives it away.
    assert disposals["cells"] == [[None, None]] and disposals["row_totals"] == [8]
    census = out["census"]
    assert census["admissions"]["rows"][1] == "2024-02"
    assert census["admissions"]["cells"][1] == [6]
    # On the programme at the end of each month: 6 from February, 5 after April's exit, 2
    # after May's three completions (withheld).
    stock = [row[0] for row in census["on_programme_at_month_end"]["cells"]]
    assert stock[:6] == [0, 6, 6, 5, None, None]
    # Exits: one in April and three in May, all fewer than 5.
    assert census["exits"]["cells"][3] == [None] and census["exits"]["cells"][4] == [None]


def test_retention_and_reoffending_by_hand():
    out = M.Measures(hand_built()).run("all", YEAR)
    # Completion among those who left: 3 completed, 1 unsuccessful: the counts are fewer than
    # 5, so the table is withheld and so is the rate.
    assert out["retention"]["completion"] == [{"group": "all", "completion_rate": None}]
    # Six episodes, three reconvictions from entry: one curve (6 people); rows only while 5 or
    # more are at risk: the event at day 100 (6 at risk, S = 5/6) and at day 200 (5 at risk,
    # S = 5/6 * 4/5 = 2/3); the one at day 400 has 4 at risk and is not published.
    curve = out["reoffending"]["reconviction_from_entry"]["by_group"]["curves"][0]
    assert curve["n"] == 6
    assert [(r["time"], r["n_risk"]) for r in curve["rows"]] == [(100, 6), (200, 5)]
    assert curve["rows"][1]["survival"] == pytest.approx(2 / 3, abs=1e-4)
    rates = {r["years"]: r["rate"] for r in curve["rates"]}
    # The published curve ends at day 200: no one-year rate can be given from it.
    assert rates == {1: None, 2: None, 3: None}
    # Recovery capital: intake 30 for all, exit 30 + 2i for five: changes 2, 4, 6, 8, 10.
    change = out["recovery-capital"]["groups"][0]["intake_to_exit"]
    assert (change["n"], change["mean_change"], change["median_change"]) == (5, 6.0, 6.0)
    # Completeness: all 8 have drug use and risk level recorded; 6 a BARC-10 at intake, so 2
    # have none: a count under 5, and the share would give it away.
    shares = out["completeness"]["groups"][0]["share"]
    assert shares["drug_use_recorded"] == 1.0 and shares["risk_level_recorded"] == 1.0
    assert shares["recovery_capital_at_intake"] is None


# Agreement with plain Python on synthetic rows ------------------------------------------------


@pytest.fixture(scope="module")
def synthetic():
    return generate(4000, seed=7, outcome_events_each=3.0)


def _rows(table):
    return table.to_pylist()


def test_agrees_with_plain_python(synthetic):
    scope = M.Scope(D(2018, 1, 1), D(2021, 6, 30))
    out = M.Measures(synthetic).run("all", scope)
    refs = [
        r
        for r in _rows(synthetic.tables["referrals"])
        if scope.start <= r["referral_date"] <= scope.end
    ]
    one = M.Measures(synthetic).run("funnel", M.Scope(scope.start, scope.end, "programme-2"))
    assert one["funnel"]["reached"]["row_totals"][0] == sum(
        r["programme"] == "programme-2" for r in refs
    )
    rids = {r["rid"] for r in refs}
    steps = [t for t in _rows(synthetic.tables["transitions"]) if t["rid"] in rids]
    reached = Counter()
    for state in {t["to_state"] for t in steps}:
        reached[state] = len({t["rid"] for t in steps if t["to_state"] == state})
    table = out["funnel"]["reached"]
    got = dict(zip(table["rows"], table["row_totals"], strict=True))
    assert got.pop("referral") == len(refs)
    assert got == {s: n for s, n in reached.items() if s in M.FUNNEL_STATES}

    days = sorted((r["referral_date"] - r["offence_date"]).days for r in refs)
    (stats,) = out["timeliness"]["offence_to_referral"]["groups"]
    assert stats["n"] == len(days)
    assert stats["median"] == pytest.approx(float(np.quantile(days, 0.5)), abs=0.05)
    assert stats["p90"] == pytest.approx(float(np.quantile(days, 0.9)), abs=0.05)

    eps = _rows(synthetic.tables["episodes"])
    admitted = Counter(
        e["started_on"].strftime("%Y-%m")
        for e in eps
        if scope.start <= e["started_on"] <= scope.end
    )
    adm = out["census"]["admissions"]
    published = {
        m: row[0] for m, row in zip(adm["rows"], adm["cells"], strict=True) if row[0] is not None
    }
    assert len(published) > 20
    assert published == {m: admitted.get(m, 0) for m in published}
    assert sum(admitted.values()) == adm["grand_total"]
    cohort = [e for e in eps if scope.start <= e["started_on"] <= scope.end]
    done = sum(e["exit_outcome"] == "completed" for e in cohort)
    failed = sum(e["exit_outcome"] == "unsuccessful" for e in cohort)
    assert out["retention"]["completion"][0]["completion_rate"] == round(done / (done + failed), 4)

    # Time to first reconviction from entry, per episode, against a loop over the events.
    convictions: dict[int, list] = {}
    for o in _rows(synthetic.tables["outcome_events"]):
        if o["kind"] == "conviction":
            convictions.setdefault(o["pid"], []).append(o)
    m = M.Measures(synthetic)
    m._cohort(scope, "reoffending")
    rows = m._reoffending_rows("started_on", "conviction")
    expected = []
    for e in cohort:
        mine = convictions.get(e["pid"], [])
        after = [
            o["offence_date"]
            for o in mine
            if o["offence_date"] > e["started_on"] and o["outcome_date"] <= synthetic.as_of
        ]
        prior = sum(o["outcome_date"] < e["started_on"] for o in mine)
        first = min(after) if after else synthetic.as_of
        expected.append(((first - e["started_on"]).days, int(bool(after)), prior))
    got = sorted(
        zip(rows["days"].tolist(), rows["event"].tolist(), rows["prior"].tolist(), strict=True)
    )
    assert got == sorted(expected)


def _tables(node):
    if isinstance(node, dict):
        if {"rows", "columns", "cells"} <= set(node):
            yield node
        for v in node.values():
            yield from _tables(v)
    elif isinstance(node, list):
        for v in node:
            yield from _tables(v)


def test_every_published_table_is_suppressed(synthetic):
    """Split by ethnicity over a short period, many counts are small: none of 1-4 is
    published, and no line of a table with its totals has exactly one withheld value."""
    scope = M.Scope(D(2020, 1, 1), D(2020, 6, 30), programme="programme-1", group="ethnicity")
    out = M.Measures(synthetic).run("all", scope)
    tables = list(_tables(out))
    assert len(tables) > 10
    withheld = 0
    for t in tables:
        grid = [
            list(cells) + ([t["row_totals"][i]] if "column_totals" in t else [])
            for i, cells in enumerate(t["cells"])
        ]
        if "column_totals" in t:
            grid.append([*t["column_totals"], t["grand_total"]])
        for line in grid + [list(col) for col in zip(*grid, strict=True)]:
            assert not any(v is not None and 1 <= v <= 4 for v in line)
            if "column_totals" in t:
                assert sum(v is None for v in line) != 1, t
        withheld += sum(v is None for line in grid for v in line)
    assert withheld > 0
    # Rates and distributions over fewer than 5 are withheld too.
    for body in out["timeliness"].values():
        for g in body["groups"]:
            assert g.get("n") is None or g["n"] >= 5


def test_bad_scope_is_refused():
    with pytest.raises(M.InvalidInput) as caught:
        M.Measures(hand_built()).run("census", M.Scope(D(2024, 2, 1), D(2024, 1, 1), group="x"))
    assert {p.field for p in caught.value.problems} == {"from", "group"}
    with pytest.raises(M.InvalidInput, match="NAME"):
        M.Measures(hand_built()).run("throughput", YEAR)
