"""The ``simulate`` command's core, callable without Django (the management command wraps it).

turnpoint simulate SCENARIO.yaml [--runs N] [--seed S] [--json] [--csv FILE] [--parquet FILE]
turnpoint simulate SCENARIO.yaml --threshold cost.programme.drug_court.per_order[=LOW:HIGH]
turnpoint simulate POLICY_A.yaml POLICY_B.yaml ...   # side by side against their one baseline

Exit status: 0 when the run finished; 2 when the input was refused (a bad scenario or option, or a
run too large for the time and memory allowed), with one line naming the file, the key and the
reason (and, with --json, the same as a JSON object on standard output); 1 when the simulation
failed for another reason, with a one-line message. No traceback is printed either way.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from turnpoint.simulator import analysis, outputs, prices, resources
from turnpoint.simulator.errors import SimulatorInputError
from turnpoint.simulator.runner import RunResult, simulate
from turnpoint.simulator.scenario import load_scenario

DEFAULT_RUNS = 1000
DEFAULT_SEED = 20240601
MAX_RUNS = 1_000_000


@dataclass
class Simulation:
    result: RunResult
    baseline: RunResult | None
    estimate: resources.Estimate | None = None
    seconds: float | None = None
    prices: dict[str, Any] | None = None

    def rows(self) -> list[dict[str, Any]]:
        return outputs.run_rows(self.result, self.baseline)

    def summary(self) -> dict[str, Any]:
        out = outputs.summary(self.result, self.baseline)
        if self.estimate is not None:
            out["resources"] = {**self.estimate.as_dict(), "elapsed_seconds": self.seconds}
        apply_prices(out, self.prices)
        return out


def apply_prices(summary: dict[str, Any], uprating: dict[str, Any] | None) -> None:
    """State the price year used (or that nothing was uprated) in the summary."""
    if uprating is None:
        return
    summary["prices"] = uprating
    left = ", ".join(f"{k} ({v})" for k, v in uprating["not_uprated"].items()) or "none"
    summary["provenance"]["warning"] = (
        f"Money values in pounds are in {uprating['price_year']} prices, uprated with"
        f" {uprating['deflator']}; not uprated: {left}."
    )


def resolve_prices(file: str, options: dict[str, Any]) -> prices.Deflator | None:
    """The deflator series given with --deflator, or None; --price-year needs one."""
    if options.get("deflator"):
        return prices.load_deflator(options["deflator"])
    if options.get("price_year") is not None:
        raise SimulatorInputError(
            file,
            "--price-year",
            "needs a GDP deflator series (--deflator FILE): no series is shipped, so without"
            " one money stays in each source's price base",
        )
    return None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "scenario",
        nargs="+",
        help="scenario YAML file; several policies with one baseline give a side-by-side table",
    )
    parser.add_argument(
        "--runs", type=int, default=DEFAULT_RUNS, help="Monte Carlo draws (default 1000)"
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help="random seed (same seed, same numbers)"
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--csv", metavar="FILE", help="write one row per run to FILE as CSV")
    parser.add_argument(
        "--parquet", metavar="FILE", help="write one row per run to FILE as Parquet"
    )
    parser.add_argument(
        "--no-compare", action="store_true", help="do not run the scenario's baseline"
    )
    parser.add_argument(
        "--threshold",
        action="append",
        metavar="PARAMETER[=LOW:HIGH]",
        help="find the value of PARAMETER at which the policy breaks even (repeatable)",
    )
    parser.add_argument(
        "--threshold-runs",
        type=int,
        default=200,
        help="runs for each evaluation of a threshold search (default 200)",
    )
    parser.add_argument(
        "--no-tornado", action="store_true", help="skip the one-way sensitivity (tornado)"
    )
    parser.add_argument(
        "--deflator",
        metavar="FILE",
        help="GDP deflator series (YAML: source, url, index by year) to uprate costs with",
    )
    parser.add_argument(
        "--price-year",
        metavar="YYYY",
        help="uprate costs in pounds to this year's prices (default: the series' latest year)",
    )
    parser.add_argument(
        "--max-minutes",
        type=float,
        default=resources.DEFAULT_MAX_MINUTES,
        help="refuse a run estimated to take longer (default 120)",
    )
    parser.add_argument(
        "--max-memory-mib",
        type=float,
        default=None,
        help="refuse a run estimated to need more memory (default 80%% of the memory available)",
    )


def run_simulation(
    path: Path | str,
    *,
    runs: int,
    seed: int,
    compare: bool = True,
    max_minutes: float | None = None,
    max_memory_mib: float | None = None,
    rows: bool = False,
    deflator: prices.Deflator | None = None,
    price_year: str | None = None,
) -> Simulation:
    """Load, validate and simulate a scenario and (if it names one) its baseline, same draws.

    With ``max_minutes`` (or ``max_memory_mib``) the time and memory the run needs are estimated
    first (resources.py) and a run that does not fit is refused before it starts.
    """
    if not 1 <= runs <= MAX_RUNS:
        raise SimulatorInputError(
            str(path), "--runs", f"must be between 1 and {MAX_RUNS} (got {runs})"
        )
    if seed < 0:
        raise SimulatorInputError(str(path), "--seed", f"must not be negative (got {seed})")
    for key, limit in (("--max-minutes", max_minutes), ("--max-memory-mib", max_memory_mib)):
        if limit is not None and not (math.isfinite(limit) and limit > 0):
            raise SimulatorInputError(str(path), key, f"must be a positive number (got {limit!r})")
    scenario = load_scenario(path)
    baseline_scenario = (
        load_scenario(scenario.compare_to) if compare and scenario.compare_to else None
    )
    uprating = None
    if deflator is not None:
        uprating = prices.uprate(
            [s for s in (scenario, baseline_scenario) if s is not None],
            deflator,
            price_year,
            file=str(path),
        )
    estimate = None
    if max_minutes is not None or max_memory_mib is not None:
        estimate = resources.estimate(scenario, baseline_scenario, runs=runs, rows=rows)
        resources.check(
            estimate,
            file=str(path),
            max_minutes=max_minutes if max_minutes is not None else resources.DEFAULT_MAX_MINUTES,
            max_memory_mib=max_memory_mib,
        )
    began = time.perf_counter()
    result = simulate(scenario, runs=runs, seed=seed)
    baseline = simulate(baseline_scenario, runs=runs, seed=seed) if baseline_scenario else None
    return Simulation(result, baseline, estimate, time.perf_counter() - began, uprating)


def _money(x: float | None) -> str:
    if x is None:
        return "n/a"
    millions = round(x / 1e6, 1) + 0.0  # + 0.0 turns -0.0 into 0.0
    return f"{'-' if millions < 0 else ''}£{abs(millions):,.1f}m"


def _figure(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def _count(x: float | None) -> str:
    return "n/a" if x is None else f"{x:,.0f}"


def format_text(summary: dict[str, Any]) -> str:
    """A short plain-text report: the main outcomes with 95% intervals."""
    s = summary["scenario"]
    lines = [
        f"{s['title']} ({s['name']}), {s['horizon_years']} years,"
        f" {s['runs']} runs, seed {s['seed']}",
        "",
    ]

    lines[-1:-1] = ["  mean (Monte Carlo standard error) and 95% interval of the runs"]

    def line(label: str, cell: dict, fmt) -> str:
        se = cell.get("se")
        se_text = f"(SE {fmt(se)})" if se is not None else ""
        return (
            f"  {label:<34}{fmt(cell['mean']):>16} {se_text:<16}"
            f" ({fmt(cell['low'])} to {fmt(cell['high'])})"
        )

    o = summary["outcomes"]
    for key, label, fmt in (
        ("reconvictions", "reconvictions", _count),
        ("crimes", "crimes", _count),
        ("prison_population_avg", "prison population (average)", _count),
        ("prison_bed_days", "prison bed-days", _count),
        ("deaths_drug", "drug-related deaths", _count),
        ("deaths_other", "other deaths", _count),
        ("completions", "programme completions", _count),
        ("payer.taxpayer_justice", "cost to justice (discounted)", _money),
        ("payer.taxpayer_health", "cost to health (discounted)", _money),
        ("payer.victims", "cost of crime to victims", _money),
    ):
        lines.append(line(label, o[key], fmt))
    comp = summary.get("comparison")
    if comp:
        lines += ["", f"Against {comp['baseline']} (scenario minus baseline):"]
        for key, label in (
            ("reconvictions", "reconvictions"),
            ("prison_bed_days", "prison bed-days"),
            ("deaths_drug", "drug-related deaths"),
            ("completions", "programme completions"),
        ):
            lines.append(line(label, comp["changes"][key], _count))
        e = comp["economics"]
        for key, label in (
            ("net_cost", "net cost"),
            ("benefits_taxpayers", "benefits to taxpayers"),
            ("benefits_victims", "benefits to victims"),
            ("benefits_deaths_valued", "deaths avoided, valued"),
            ("npv", "net present value"),
        ):
            lines.append(line(label, e[key], _money))
        bcr = e["bcr"]
        ratio = "n/a (the policy saves money)" if bcr["mean"] is None else f"{bcr['mean']:.2f}"
        if bcr.get("se") is not None:
            ratio += f" (SE {bcr['se']:.2f})"
        lines.append(f"  {'benefit-cost ratio':<34}{ratio:>16}")
        lines.append(
            f"  chance benefits exceed costs: {comp['probability_benefits_exceed_costs']:.0%}"
            f" (SE {comp['probability_benefits_exceed_costs_se']:.1%})"
        )
        for note in (comp["npv_sign"]["message"], (comp["rests_on"] or {}).get("message")):
            if note:
                lines.append(f"  {note}.")
        curve = comp.get("acceptability")
        if curve:
            lines += ["", "Chance the net present value is positive, by value of a death avoided:"]
            for row in curve["points"][::3]:
                lines.append(
                    f"  {_money(row['value_of_a_prevented_death']):>10}:"
                    f" {row['probability']:.0%} (SE {row['se']:.1%})"
                )
    tornado = summary.get("one_way")
    if tornado:
        lines += [
            "",
            f"One-way sensitivity: {tornado['target']} with each figure at the low and high end"
            f" of its 95% range, the others at their point values (all at point values:"
            f" {_money(tornado['base_result'])})",
        ]
        for row in tornado["parameters"][:10]:
            low = f"{_money(row['result_at_low'])} at {_figure(row['low_value'])}"
            high = f"{_money(row['result_at_high'])} at {_figure(row['high_value'])}"
            lines.append(f"  {row['label']:<56} {low:>22}  {high:>22}")
    for th in summary.get("thresholds", []):
        if th["breaks_even_at"] is None:
            lines += ["", f"Threshold: {th['message']}."]
        else:
            lines += [
                "",
                f"Threshold: the policy breaks even when {th['label'].lower()} is"
                f" {th['breaks_even_at']:,.6g} (point value {th['point_value']});"
                f" {th['runs']} runs per evaluation, {len(th['evaluations'])} evaluations.",
            ]
    lines += format_calibration(summary["calibration"])
    prov = summary["provenance"]
    lines += ["", f"Assumptions (no published figure): {len(prov['assumptions'])}"]
    lines += [f"  {a['parameter']} = {a['value']}: {a['source']}" for a in prov["assumptions"]]
    for m in prov["missing_counted_as_zero"]:
        lines.append(f"Missing, counted as zero: {m['parameter']}")
    if summary.get("prices"):
        lines.append(f"Price year: {summary['prices']['price_year']}.")
    lines.append(prov["warning"])
    return "\n".join(lines)


def main(argv: list[str] | None = None, *, stdout: TextIO | None = None) -> int:
    """Run the command; print results; return the exit status (2 for bad input)."""
    stdout = stdout or sys.stdout
    parser = argparse.ArgumentParser(prog="turnpoint simulate", description=__doc__)
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        text = execute(vars(args))
    except SimulatorInputError as exc:
        if args.json:
            stdout.write(error_json(exc) + "\n")
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # no traceback reaches the user; the message says what failed
        message = failure_message(exc)
        if args.json:
            stdout.write(json.dumps({"error": {"reason": message}}) + "\n")
        print(f"error: {message}", file=sys.stderr)
        return 1
    stdout.write(text + "\n")
    return 0


def error_json(exc: SimulatorInputError) -> str:
    return json.dumps({"error": exc.as_dict()})


def failure_message(exc: Exception) -> str:
    if isinstance(exc, MemoryError):
        return "the simulation ran out of memory; ask for fewer --runs"
    return f"the simulation failed ({type(exc).__name__}: {exc})"


def _parse_threshold(file: str, spec: str) -> tuple[str, tuple[float, float] | None]:
    name, _, bounds = spec.partition("=")
    if not bounds:
        return name.strip(), None
    try:
        low, high = (float(x) for x in bounds.split(":"))
    except ValueError:
        raise SimulatorInputError(
            file, "--threshold", f"give PARAMETER=LOW:HIGH with two numbers (got {spec!r})"
        ) from None
    return name.strip(), (low, high)


def _limit(options: dict[str, Any]) -> float:
    given = options.get("max_minutes")
    return resources.DEFAULT_MAX_MINUTES if given is None else float(given)


def side_by_side(paths: list[str], options: dict[str, Any]) -> dict[str, Any]:
    """Several policies against their one baseline, same seed and draws, baseline run once."""
    runs, seed = options["runs"], options["seed"]
    if not 1 <= runs <= MAX_RUNS:
        raise SimulatorInputError(
            str(paths[0]), "--runs", f"must be between 1 and {MAX_RUNS} (got {runs})"
        )
    scenarios = [load_scenario(p) for p in paths]
    targets = {str(s.compare_to) if s.compare_to else None for s in scenarios}
    if len(targets) != 1 or None in targets:
        raise SimulatorInputError(
            str(paths[0]),
            "compare_to",
            "every scenario in a side-by-side table must compare to the same baseline"
            f" (got {', '.join(sorted(str(t) for t in targets))})",
        )
    baseline_scenario = load_scenario(scenarios[0].compare_to)
    deflator = resolve_prices(str(paths[0]), options)
    uprating = None
    if deflator is not None:
        uprating = prices.uprate(
            [*scenarios, baseline_scenario], deflator, options.get("price_year"), file=str(paths[0])
        )
    limit = _limit(options)
    if not (math.isfinite(limit) and limit > 0):
        raise SimulatorInputError(
            str(paths[0]), "--max-minutes", f"must be a positive number (got {limit!r})"
        )
    ests = [resources.estimate(s, None, runs=runs) for s in [*scenarios, baseline_scenario]]
    resources.check(
        resources.combine(ests),
        file=str(paths[0]),
        max_minutes=limit,
        max_memory_mib=options.get("max_memory_mib"),
    )
    baseline = simulate(baseline_scenario, runs=runs, seed=seed)
    rows = []
    for scenario in scenarios:
        summary = outputs.summary(simulate(scenario, runs=runs, seed=seed), baseline)
        comp = summary["comparison"]
        rows.append(
            {
                "name": scenario.name,
                "title": scenario.title,
                "changes": {
                    k: comp["changes"][k]
                    for k in ("reconvictions", "prison_bed_days", "deaths_drug", "completions")
                },
                "economics": {
                    k: comp["economics"][k]
                    for k in ("net_cost", "benefits_total", "npv", "bcr", "benefits_deaths_valued")
                },
                "probability_benefits_exceed_costs": comp["probability_benefits_exceed_costs"],
                "probability_benefits_exceed_costs_se": comp[
                    "probability_benefits_exceed_costs_se"
                ],
                "npv_sign": comp["npv_sign"],
                "rests_on": comp["rests_on"],
            }
        )
    return {
        "baseline": {"name": baseline_scenario.name, "title": baseline_scenario.title},
        "runs": runs,
        "seed": seed,
        "policies": rows,
        "prices": uprating,
    }


def format_table(table: dict[str, Any]) -> str:
    head = (
        f"{'policy':<40}{'reconvictions':>14}{'bed-days':>14}{'drug deaths':>12}"
        f"{'net cost':>12}{'NPV (SE)':>24}{'P(NPV>0)':>10}{'ratio':>7}"
    )
    lines = [
        f"Against {table['baseline']['title']} ({table['baseline']['name']}),"
        f" {table['runs']} runs, seed {table['seed']}; means over runs, scenario minus baseline",
        "",
        head,
    ]
    for row in table["policies"]:
        ch, ec = row["changes"], row["economics"]
        npv = f"{_money(ec['npv']['mean'])} ({_money(ec['npv']['se'])})"
        ratio = "n/a" if ec["bcr"]["mean"] is None else f"{ec['bcr']['mean']:.2f}"
        lines.append(
            f"{row['name'][:39]:<40}{_count(ch['reconvictions']['mean']):>14}"
            f"{_count(ch['prison_bed_days']['mean']):>14}{ch['deaths_drug']['mean']:>12,.1f}"
            f"{_money(ec['net_cost']['mean']):>12}{npv:>24}"
            f"{row['probability_benefits_exceed_costs']:>10.0%}{ratio:>7}"
        )
    for row in table["policies"]:
        for note in (row["npv_sign"]["message"], (row["rests_on"] or {}).get("message")):
            if note:
                lines.append(f"{row['name']}: {note}.")
    up = table.get("prices")
    lines.append(
        f"Money in {up['price_year']} prices, uprated with {up['deflator']}."
        if up
        else "Money is in each source's price base, not uprated (no deflator series given)."
    )
    return "\n".join(lines)


def format_calibration(cal: dict[str, Any]) -> list[str]:
    """The calibration section of the text report: each target with its source."""
    lines = ["", "Calibration of the status quo to observed totals:"]
    for t in cal["targets"]:
        lines.append(
            f"  {t['measure']}: {t['target']:,.0f} in every draw ({t['how']});"
            f" new people a year {_count(t['new_people_per_year']['mean'])}. Source: {t['source']}"
        )
    for t in cal["weighted_targets"]:
        weighted = t["weighted_mean"]
        lines.append(
            f"  {t['words']}: {t['low']:,} to {t['high']:,}; model {_count(t['model']['mean'])}"
            + (f", weighted {_count(weighted)}" if weighted is not None else "")
            + f" ({t['how']}). Source: {t['source']}"
        )
    lines.append(
        f"  effective sample size of the weighted draws: {cal['effective_sample_size']:,.0f}"
    )
    weighted = cal.get("weighted_results")
    if weighted:
        lines.append(
            f"  under these weights: net present value {_money(weighted['npv_mean'])}, chance"
            f" benefits exceed costs {weighted['probability_benefits_exceed_costs']:.0%}"
        )
    for t in cal["no_total"]:
        lines.append(f"  {t['measure']}: {t['message']}")
    for c in cal["checks"]:
        verdict = "consistent" if c["consistent"] else "NOT consistent"
        lines.append(
            f"  check, {c['words']}: model {c['model']:,.0f}, published at least"
            f" {c['published_at_least']:,.0f} ({verdict}). Source: {c['source']}"
        )
    return lines


def execute(options: dict[str, Any]) -> str:
    """Shared by ``main`` and the management command: run, write files, return what to print."""
    paths = options["scenario"]
    paths = [paths] if isinstance(paths, str | Path) else list(paths)
    if len(paths) > 1:
        table = side_by_side(paths, options)
        return outputs.to_json(table) if options.get("json") else format_table(table)
    options = {**options, "scenario": paths[0]}
    sim = run_simulation(
        options["scenario"],
        runs=options["runs"],
        seed=options["seed"],
        compare=not options.get("no_compare", False),
        max_minutes=_limit(options),
        max_memory_mib=options.get("max_memory_mib"),
        rows=bool(options.get("csv") or options.get("parquet")),
        deflator=resolve_prices(str(options["scenario"]), options),
        price_year=options.get("price_year"),
    )
    if options.get("csv") or options.get("parquet"):
        rows = sim.rows()
        if options.get("csv"):
            outputs.write_csv(rows, options["csv"])
        if options.get("parquet"):
            outputs.write_parquet(rows, options["parquet"])
    summary = sim.summary()
    scenario = sim.result.scenario
    base = sim.baseline.scenario if sim.baseline is not None else None
    if not options.get("no_tornado"):
        summary["one_way"] = analysis.one_way(scenario, base, seed=options["seed"])
    for spec in options.get("threshold") or []:
        name, bracket = _parse_threshold(scenario.file, spec)
        if base is None:
            raise SimulatorInputError(
                scenario.file, "--threshold", "needs a scenario with a baseline (compare_to)"
            )
        runs = options.get("threshold_runs") or 200
        if not 1 <= runs <= MAX_RUNS:
            raise SimulatorInputError(
                scenario.file, "--threshold-runs", f"must be between 1 and {MAX_RUNS}"
            )
        found = analysis.threshold(
            scenario, base, name, runs=runs, seed=options["seed"], bracket=bracket
        )
        summary.setdefault("thresholds", []).append(found)
    return outputs.to_json(summary) if options.get("json") else format_text(summary)


if __name__ == "__main__":
    raise SystemExit(main())
