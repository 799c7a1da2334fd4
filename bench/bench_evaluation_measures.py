"""Benchmark the evaluation measures (turnpoint/analytics/measures.py) at national scale.

1. Generate a synthetic extract straight into the extract's Parquet files (fixed seed,
   vectorised numpy; `turnpoint.analytics.synthetic_extract`): 1,000,000 participants and
   about 30,000,000 rows of events (referrals, transitions, episodes, outcome events, BARC-10
   totals). Not timed.
2. In child processes, each measured for wall time and its own peak resident memory (rusage of
   wait4; DuckDB's memory is native, so it is inside that figure):
   - `duckdb year`: every measure (`Measures.run("all")`) for one programme over one year;
   - `duckdb ten`: every measure for all programmes over ten years;
   - `pandas ten`: the same measures for all programmes over ten years written straightforwardly
     in pandas (merges, groupbys, quantiles), calling the same Kaplan-Meier, Cox and suppression
     code on the columns it computes.
Each child also prints where its time went, measure by measure.

Targets (issue 30): the ten-year report under 10 s on the 2-core machine, at least 10x faster
than pandas, under 4 GB. A benchmark, not a test: it prints figures and never fails on them.

    .venv/bin/python bench/bench_evaluation_measures.py               # 1,000,000 participants
    .venv/bin/python bench/bench_evaluation_measures.py -n 100000 --keep DIR
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import ROOT, run_measured

TEN = (datetime.date(2016, 1, 1), datetime.date(2025, 12, 31), None)
YEAR = (datetime.date(2024, 1, 1), datetime.date(2024, 12, 31), "programme-0")


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "turnpoint.settings")
    import django

    django.setup()


def generate(directory: Path, participants: int) -> dict:
    _setup()
    from turnpoint.analytics import synthetic_extract

    extract = synthetic_extract.generate(participants, outcome_events_each=20.0)
    extract.write_parquet(directory)
    return extract.rows()


def run_duckdb(directory: Path, which: str) -> dict:
    _setup()
    from turnpoint.analytics import measures

    start, end, programme = TEN if which == "ten" else YEAR
    t0 = time.perf_counter()
    m = measures.Measures.from_parquet(directory)
    scope = measures.Scope(start, end, programme=programme)
    scope.check()
    m._cohort(scope, "all")
    timings = {"cohort": time.perf_counter() - t0}
    out = {}
    for name in measures.NAMES:
        t = time.perf_counter()
        out[name] = getattr(m, name.replace("-", "_"))(scope)
        timings[name] = time.perf_counter() - t
    return {
        "seconds": time.perf_counter() - t0,
        "timings": timings,
        "size": len(json.dumps(out, default=str)),
    }


def run_pandas(directory: Path, which: str) -> dict:
    _setup()
    import numpy as np
    import pandas as pd

    from turnpoint.analytics import measures as M

    start, end, programme = TEN if which == "ten" else YEAR
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    t0 = time.perf_counter()
    timings = {}
    tables = {n: pd.read_parquet(directory / f"{n}.parquet") for n in M.TABLES}
    for t in tables.values():
        for c in t.columns:
            if c.endswith(("_date", "_on")):
                t[c] = pd.to_datetime(t[c])
    as_of = pd.Timestamp((directory / "as_of.txt").read_text().strip())
    ref_all, people = tables["referrals"], tables["participants"]
    episodes, trans, events = tables["episodes"], tables["transitions"], tables["outcome_events"]
    rc = tables["recovery_capital"]
    ref = ref_all.merge(people, on="pid")
    if programme:
        ref = ref[ref.programme == programme]
    ref = ref[(ref.referral_date >= start) & (ref.referral_date <= end)]
    ep = episodes.merge(
        ref_all[["rid", "age", "age_band", "drug_related_type", "risk_level"]], on="rid"
    ).merge(people, on="pid")
    if programme:
        ep = ep[ep.programme == programme]
    ep_all = ep
    ep = ep[(ep.started_on >= start) & (ep.started_on <= end)].copy()
    ep["grp"] = "all"
    ref = ref.assign(grp="all")
    timings["cohort"] = time.perf_counter() - t0

    t = time.perf_counter()
    e = ep_all[ep_all.started_on <= end]
    ins = e.groupby(e.started_on.dt.to_period("M")).size()
    ended = e[e.ended_on.notna() & (e.ended_on <= end)]
    outs = ended.groupby(ended.ended_on.dt.to_period("M")).size()
    flow = pd.concat([ins.rename("in"), outs.rename("out")], axis=1).fillna(0).sort_index()
    flow["stock"] = (flow["in"] - flow["out"]).cumsum()
    months = pd.period_range(start, end, freq="M")
    flow = flow.reindex(months).ffill().fillna(0)
    by_type = (
        ended[ended.ended_on >= start]
        .groupby([ended.ended_on.dt.to_period("M"), "exit_type"])
        .size()
        .unstack(fill_value=0)
    )
    M._published([str(m) for m in flow.index], ["all"], flow[["in"]].astype(int).values)
    M._published([str(m) for m in flow.index], ["all"], flow[["out"]].astype(int).values)
    M._published([str(m) for m in by_type.index], list(by_type.columns), by_type.values)
    M._published([str(m) for m in flow.index], ["all"], flow[["stock"]].astype(int).values)
    timings["census"] = time.perf_counter() - t

    t = time.perf_counter()
    tr = trans[trans.rid.isin(ref.rid)]
    reached = tr.groupby("to_state").rid.nunique()
    reached["referral"] = len(ref)
    left = (
        tr[tr.to_state == "left"]
        .groupby(["from_state", "reason_code"])
        .size()
        .unstack(fill_value=0)
    )
    disp = ref[(ref.recommended_disposal != "") | (ref.imposed_disposal != "")]
    disp = disp.groupby(["recommended_disposal", "imposed_disposal"]).size().unstack(fill_value=0)
    states = [s for s in M.FUNNEL_STATES if s in reached.index]
    M._published(states, ["all"], [[int(reached[s])] for s in states])
    M._published(list(left.index), list(left.columns), left.values)
    M._published(list(disp.index), list(disp.columns), disp.values)
    timings["funnel"] = time.perf_counter() - t

    t = time.perf_counter()
    assessed = trans[trans.to_state == "assessment"].groupby("rid").occurred_on.min()
    w = ref.merge(assessed.rename("assessed_on"), left_on="rid", right_index=True, how="left")
    w = w.merge(episodes[["rid", "started_on"]], on="rid", how="left")
    for _, first, then in M.INTERVALS:
        days = (w[then] - w[first]).dt.days.dropna()
        days = days[days >= 0]
        days.quantile([0.25, 0.5, 0.75, 0.9])
        bins = [-1] + [hi for _, hi in M.WAIT_BINS[:-1]] + [10**9]
        counts = pd.cut(days, bins).value_counts(sort=False)
        M._published([str(b) for b in counts.index], ["all"], [[int(c)] for c in counts])
    timings["timeliness"] = time.perf_counter() - t

    t = time.perf_counter()
    dur = (ep.ended_on.fillna(as_of) - ep.started_on).dt.days
    left_early = (ep.ended_on.notna() & (ep.exit_outcome == "unsuccessful")).astype(int)
    M._km(dur.values, left_early.values, ep.grp.values)
    outcome = ep[ep.ended_on.notna()].groupby("exit_outcome").size()
    M._published(["all"], list(outcome.index), [outcome.values])
    timings["retention"] = time.perf_counter() - t

    t = time.perf_counter()
    for kind in ("conviction", "arrest"):
        for origin in ("started_on", "ended_on"):
            c = ep[ep[origin].notna()]
            o = events[events.kind.isin(["conviction", kind])]
            j = c[list(dict.fromkeys(["rid", "pid", "started_on", origin]))].merge(o, on="pid")
            when = j.offence_date if kind == "conviction" else j.outcome_date.fillna(j.offence_date)
            known = (j.outcome_date if kind == "conviction" else when) <= as_of
            j["prior"] = (j.kind == "conviction") & (j.outcome_date < j.started_on)
            j["first"] = when.where((j.kind == kind) & (when > j[origin]) & known)
            agg = j.groupby("rid").agg(prior=("prior", "sum"), first=("first", "min"))
            rows = c.merge(agg, left_on="rid", right_index=True, how="left")
            rows = rows[rows[origin] <= as_of]
            event = rows["first"].notna().astype(int).values
            days = (rows["first"].fillna(as_of) - rows[origin]).dt.days.values
            M._km(days, event, rows.grp.values, years=True)
            if origin == "ended_on":
                who = np.where(rows.exit_outcome == "completed", "completed", "did not complete")
                M._km(days, event, who, years=True)
            if origin == "started_on" and kind == "conviction":
                M._cox(
                    {
                        "days": days,
                        "event": event,
                        "age": rows.age.values,
                        "prior": rows.prior.fillna(0).values,
                        "gender": rows.gender.values,
                        "risk_level": rows.risk_level.values,
                        "drug_related_type": rows.drug_related_type.values,
                    }
                )
    timings["reoffending"] = time.perf_counter() - t

    t = time.perf_counter()
    s = rc.sort_values("administered_on")
    intake = s[s.setting == "intake"].groupby("rid").total.first()
    exit_ = s[s.setting == "exit"].groupby("rid").total.last()
    follow = s[s.setting == "follow_up"].groupby("rid").total.last()
    r = ep[["rid"]].merge(intake.rename("i"), left_on="rid", right_index=True, how="left")
    r = r.merge(exit_.rename("x"), left_on="rid", right_index=True, how="left")
    r = r.merge(follow.rename("f"), left_on="rid", right_index=True, how="left")
    for col in ("x", "f"):
        M._change(r[["i", col]].dropna().values)
    timings["recovery-capital"] = time.perf_counter() - t

    t = time.perf_counter()
    ep_ids = set(episodes.rid)
    left_ids = set(trans[trans.to_state == "left"].rid)
    conv = events[events.kind == "conviction"]
    year = ep[ep.started_on + pd.Timedelta(days=365) <= as_of]
    j = year[["rid", "pid", "started_on"]].merge(conv, on="pid")
    hit = j[
        (j.offence_date > j.started_on)
        & (j.offence_date <= j.started_on + pd.Timedelta(days=365))
        & (j.outcome_date <= as_of)
    ].rid.unique()
    year = year.assign(hit=year.rid.isin(hit))
    ref_left = ref.assign(hit=~ref.rid.isin(ep_ids) & ref.rid.isin(left_ids))
    done = ep[ep.ended_on.notna() & ep.exit_outcome.isin(["completed", "unsuccessful"])]
    done = done.assign(hit=done.exit_outcome == "completed")
    for g in M.GROUPS:
        for frame in (done, ref_left, year):
            counts = frame.groupby(g).hit.agg(["sum", "count"])
            M._ratios([(k, int(v["sum"]), int(v["count"])) for k, v in counts.iterrows()])
    timings["equity"] = time.perf_counter() - t

    t = time.perf_counter()
    with_rc = set(rc[rc.setting == "intake"].rid)
    with_ev = set(events.pid)
    flags = {
        "drug": ref.drug_related_type != "unknown",
        "risk": ref.risk_level != "not recorded",
        "gender": ref.gender != "prefer_not_to_say",
        "ethnicity": ref.ethnicity != "prefer_not_to_say",
        "rc": ref.rid.isin(with_rc),
        "events": ref.pid.isin(with_ev),
    }
    M._published(
        list(flags), ["recorded", "not"], [[int(f.sum()), int((~f).sum())] for f in flags.values()]
    )
    timings["completeness"] = time.perf_counter() - t
    return {"seconds": time.perf_counter() - t0, "timings": timings}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--participants", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="write the extract here and keep it")
    parser.add_argument(
        "--child", nargs=3, metavar=("MODE", "WHICH", "DIR"), help=argparse.SUPPRESS
    )
    parser.add_argument("--skip-pandas", action="store_true")
    args = parser.parse_args()
    if args.child:
        mode, which, directory = args.child
        fn = {
            "generate": lambda d, w: generate(d, int(w)),
            "duckdb": run_duckdb,
            "pandas": run_pandas,
        }[mode]
        print(json.dumps(fn(Path(directory), which)))
        return
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    me = [sys.executable, str(Path(__file__).resolve())]
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.keep or Path(tmp)
        if not (directory / "as_of.txt").exists():
            made = run_measured(
                [*me, "--child", "generate", str(args.participants), str(directory)], env=env
            )
            rows = json.loads(made.stdout)
            print(f"generated in {made.seconds:.1f} s: {rows} ({sum(rows.values()):,} rows)")
        runs = [("duckdb", "year"), ("duckdb", "ten")]
        if not args.skip_pandas:
            runs.append(("pandas", "ten"))
        results = {}
        for mode, which in runs:
            r = run_measured([*me, "--child", mode, which, str(directory)], env=env)
            inner = json.loads(r.stdout)
            results[(mode, which)] = (r, inner)
            parts = ", ".join(f"{k} {v:.2f}" for k, v in inner["timings"].items())
            print(
                f"{mode:6} {which:4}: wall {r.seconds:6.2f} s (measures {inner['seconds']:.2f} "
                f"s), cpu {r.cpu_seconds:6.2f} s, peak {r.peak_mb:7.0f} MB | {parts}"
            )
        if ("pandas", "ten") in results:
            d, p = results[("duckdb", "ten")][0], results[("pandas", "ten")][0]
            print(f"pandas / duckdb, ten years: {p.seconds / d.seconds:.1f}x wall")


if __name__ == "__main__":
    main()
