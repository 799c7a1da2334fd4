"""Turn run results into flat rows (one per run), a summary with intervals, and files."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from turnpoint.simulator import model
from turnpoint.simulator.economics import compare, payer_totals
from turnpoint.simulator.effects import probability_from_effect
from turnpoint.simulator.labels import label as parameter_label
from turnpoint.simulator.runner import RunResult, point_draws

OUTCOMES = (
    "arrivals",
    "reconvictions",
    "crimes",
    "deaths_drug",
    "deaths_other",
    "completions",
    "custody_receptions",
)
SCALARS = (
    "prison_bed_days",
    "prison_population_avg",
    "cost_prison",
    "cost_programmes",
    "cost_ost",
    "cost_cjs",
    "cost_crime_victims",
    "cost_deaths",
)
ECONOMICS = (
    "net_cost",
    "benefits_taxpayers",
    "benefits_victims",
    "benefits_deaths_valued",
    "benefits_indirect",
    "benefits_total",
    "npv",
    "bcr",
)
INTERVAL = (2.5, 97.5)


def outcome_columns(result: RunResult) -> dict[str, np.ndarray]:
    """Scalar outcomes per run, in a stable order."""
    t = result.totals
    cols = {name: t[f"by_group.{name}"].sum(axis=1) for name in OUTCOMES}
    cols.update({name: t[name] for name in SCALARS})
    for p in model.PROGRAMMES:
        cols[f"starts.{p}"] = t[f"starts.{p}"]
        cols[f"completions.{p}"] = t[f"completions.{p}"]
    cols.update({f"payer.{k}": v for k, v in payer_totals(t).items()})
    return cols


def comparison_columns(result: RunResult, baseline: RunResult) -> dict[str, np.ndarray]:
    """Differences from the baseline per run (scenario minus baseline) and the economics."""
    if result.runs != baseline.runs or result.seed != baseline.seed:
        raise ValueError("a scenario and its baseline must use the same runs and seed")
    ours, theirs = outcome_columns(result), outcome_columns(baseline)
    cols = {f"change.{k}": ours[k] - theirs[k] for k in ours if not k.startswith("payer.")}
    econ = compare(
        result.totals, baseline.totals, deadweight=result.scenario.deadweight_cost_of_taxation
    )
    cols.update({f"economics.{k}": econ[k] for k in ECONOMICS})
    return cols


def run_rows(result: RunResult, baseline: RunResult | None = None) -> list[dict[str, Any]]:
    """One flat row per run: outcomes, changes against the baseline, and the sampled parameters."""
    cols: dict[str, np.ndarray] = dict(outcome_columns(result))
    if baseline is not None:
        cols.update(comparison_columns(result, baseline))
    for name, values in result.draws.items():
        if result.scenario.params[name].distribution["type"] != "fixed":
            cols[f"param.{name}"] = values
    rows = []
    for i in range(result.runs):
        row: dict[str, Any] = {"scenario": result.scenario.name, "seed": result.seed, "run": i}
        row.update({k: _plain(v[i]) for k, v in cols.items()})
        rows.append(row)
    return rows


def _plain(x: Any) -> float | None:
    x = float(x)
    return None if math.isnan(x) else x


def interval(values: np.ndarray) -> dict[str, float | None]:
    """Mean, its Monte Carlo standard error (SD / sqrt(runs)) and the 95% interval of the runs."""
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return {"mean": None, "se": None, "low": None, "high": None}
    low, high = np.percentile(finite, INTERVAL)
    se = float(finite.std(ddof=1) / math.sqrt(finite.size)) if finite.size > 1 else None
    return {"mean": float(finite.mean()), "se": se, "low": float(low), "high": float(high)}


def probability(event: np.ndarray) -> dict[str, float]:
    """Share of runs in which ``event`` holds, with its binomial standard error."""
    event = np.asarray(event, dtype=bool)
    p = float(event.mean())
    return {"probability": p, "se": math.sqrt(p * (1 - p) / event.size)}


def ratio_of_means(benefits: np.ndarray, cost: np.ndarray) -> dict[str, float | None]:
    """Mean benefits / mean net cost, with a delta-method standard error (None if the policy
    saves money on average, when the ratio is undefined)."""
    n = benefits.size
    b, c = float(benefits.mean()), float(cost.mean())
    if c <= 0:
        return {"mean": None, "se": None}
    r = b / c
    if n < 2:
        return {"mean": r, "se": None}
    cov = np.cov(benefits, cost)
    var = (cov[0, 0] + r * r * cov[1, 1] - 2 * r * cov[0, 1]) / (c * c * n)
    return {"mean": r, "se": math.sqrt(max(var, 0.0))}


def npv_sign(npv: np.ndarray) -> dict[str, Any]:
    """Whether Monte Carlo error leaves the sign of the mean net present value in doubt
    (|mean| < 2 standard errors) and, if so, about how many runs would settle it."""
    cell = interval(npv)
    mean, se, runs = cell["mean"], cell["se"], npv.size
    if mean is None or se is None:
        return {"settled": False, "runs_needed": None, "message": "too few runs to tell"}
    if abs(mean) >= 2 * se:
        return {"settled": True, "runs_needed": None, "message": None}
    if mean == 0:
        return {
            "settled": False,
            "runs_needed": None,
            "message": "The mean net present value is zero: no number of runs settles its sign",
        }
    needed = math.ceil(runs * (2 * se / abs(mean)) ** 2)
    return {
        "settled": False,
        "runs_needed": needed,
        "message": (
            f"Warning: the sign of the net present value is not settled: its mean"
            f" ({mean:,.0f}) is within two Monte Carlo standard errors ({se:,.0f}) of zero."
            f" About {needed:,} runs would settle it, if the mean stays where it is"
        ),
    }


BENEFIT_LINES = {
    "benefits_taxpayers": "benefits to taxpayers",
    "benefits_victims": "benefits to victims",
    "benefits_deaths_valued": "deaths avoided, valued",
    "benefits_indirect": "indirect (deadweight) costs",
}


def rests_on(comp: dict[str, np.ndarray]) -> dict[str, Any] | None:
    """The benefit line making up more than half of the benefits (by absolute size), if any."""
    sizes = {k: abs(float(np.mean(comp[f"economics.{k}"]))) for k in BENEFIT_LINES}
    total = sum(sizes.values())
    if total == 0:
        return None
    line, size = max(sizes.items(), key=lambda kv: kv[1])
    share = size / total
    if share <= 0.5:
        return None
    return {
        "line": line,
        "label": BENEFIT_LINES[line],
        "share": share,
        "message": (
            f"The result rests mostly on one line: {BENEFIT_LINES[line]} make up {share:.0%}"
            " of the benefits (by absolute size), so its figures matter most"
        ),
    }


def acceptability(
    result: RunResult, comp: dict[str, np.ndarray], *, points: int = 13
) -> dict[str, Any] | None:
    """Cost-effectiveness acceptability curve: the chance the net present value is positive
    for values of a prevented death from 0 to 3 times the cited figure.

    Each run's deaths avoided, valued, is its discounted deaths avoided times that run's value
    of a prevented fatality, so the same runs are revalued at each value: no new simulation.
    """
    param = result.scenario.params["value.prevented_fatality"]
    if not result.scenario.value_deaths or param.value is None:
        return None
    vpf = result.draws["value.prevented_fatality"]
    deaths_valued = comp["economics.benefits_deaths_valued"]
    without = comp["economics.npv"] - deaths_valued
    discounted_deaths = np.divide(deaths_valued, vpf, out=np.zeros_like(vpf), where=vpf > 0)
    rows = []
    for value in np.linspace(0.0, 3.0 * float(param.value), points):
        cell = probability(without + discounted_deaths * value > 0)
        rows.append({"value_of_a_prevented_death": float(value), **cell})
    return {
        "cited_value": float(param.value),
        "price_base": param.price_base,
        "points": rows,
    }


def _ranks(x: np.ndarray) -> np.ndarray:
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(len(x))
    return ranks


def sensitivity(draws: dict[str, np.ndarray], target: np.ndarray, top: int = 12) -> list[dict]:
    """Spearman rank correlation of each varying parameter with ``target``, largest first."""
    rt = _ranks(np.nan_to_num(target))
    out = []
    for name, values in draws.items():
        if np.ptp(values) == 0 or np.ptp(rt) == 0:
            continue
        rho = float(np.corrcoef(_ranks(values), rt)[0, 1])
        out.append({"parameter": name, "label": parameter_label(name), "correlation": rho})
    out.sort(key=lambda item: -abs(item["correlation"]))
    return out[:top]


def equity(result: RunResult, baseline: RunResult | None = None) -> dict[str, list[dict]]:
    """Rates per person entering, by each subgroup dimension (sex, age band, risk, drug)."""
    scen = result.scenario
    per_draw = result.totals.get("entrants_per_year")
    if per_draw is None:
        per_draw = np.full(result.runs, scen.entrants_per_year)
    new_people_d = per_draw[:, None] * scen.horizon_years * scen.shares[None, :]  # (D, G)
    new_people = new_people_d.mean(axis=0)
    dims = {"sex": model.SEXES, "age": model.AGES, "risk": model.RISKS, "drug": model.DRUGS}
    measures = {
        "reconvictions_per_100": ("reconvictions", 100.0),
        "drug_deaths_per_1000": ("deaths_drug", 1000.0),
        "prison_weeks_per_person": ("custody_weeks", 1.0),
        "completions_per_100": ("completions", 100.0),
    }
    out: dict[str, list[dict]] = {}
    for dim, labels in dims.items():
        rows = []
        for i, label in enumerate(labels):
            mask = model.SUBGROUPS[dim] == i
            people = new_people[mask].sum()
            people_d = new_people_d[:, mask].sum(axis=1)
            row: dict[str, Any] = {"group": label, "people_entering": float(people)}
            for key, (total, per) in measures.items():
                ours = result.totals[f"by_group.{total}"][:, mask].sum(axis=1)
                rate = ours / people_d * per if people else np.full(result.runs, np.nan)
                row[key] = interval(rate)
                if baseline is not None and people:
                    theirs = baseline.totals[f"by_group.{total}"][:, mask].sum(axis=1)
                    row[f"change.{key}"] = interval((ours - theirs) / people_d * per)
            rows.append(row)
        out[dim] = rows
    return out


# Observed totals the status quo is weighted to, by jurisdiction: each an interval, since the source
# gives a range. Draws are weighted (exponential tilting, ``tilt_weights``) so that the weighted
# mean over draws lies in the interval; when the plain mean already does, every weight is 1.
TARGETS = {
    "england_and_wales": [
        {
            "measure": "custody_receptions",
            "words": "prison receptions a year of people with problem drug use",
            "low": 45_000,
            "high": 65_000,
            "source": "UKDPC 2008: between a third and a half of new receptions to prison are"
            " problem drug users, equivalent to between 45,000 and 65,000 prisoners in England and"
            " Wales (2006/07; receptions include remand, which the model does not have)",
        }
    ]
}

# Totals the issue asks to calibrate to for which no published figure for this group was read.
NO_TOTAL = {
    "england_and_wales": [
        ("new people entering the pathway a year", "the number is derived from arrivals instead"),
        ("prison population attributable to this group", ""),
        ("drug-related deaths a year in this group", ""),
    ],
    "scotland": [
        ("new people entering the pathway a year", "the number is derived from arrivals instead"),
        ("prison receptions a year of people with problem drug use", ""),
        ("prison population attributable to this group", ""),
        ("drug-related deaths a year in this group", ""),
    ],
}

# The model's crimes per person-year at liberty at the high-risk reference hazard (NTA cost of
# crime a year / NTA cost per crime) against a published lower bound.
CRIME_CHECK = {
    "england_and_wales": {
        "words": "crimes a person-year at liberty, high risk, no treatment disposal",
        "at_least": 0.31 * 365,
        "source": "UKDPC 2008: 31% of arrestees using heroin and/or crack at least weekly"
        " reported an average of at least one crime a day, so the mean is at least"
        " 0.31 x 365 = 113 crimes a year (self-reported; the other 69% counted as zero)",
    }
}


def tilt_weights(values: np.ndarray, low: float, high: float) -> dict[str, Any]:
    """Weights on the draws whose weighted mean of ``values`` lies in [low, high], as close to
    equal as possible: w_i proportional to exp(t * z_i) (z standardised), the smallest tilt t
    that moves the mean to the nearer end of the interval (exponential tilting, the
    minimum-relative-entropy reweighting). Weights average 1. The effective sample size is
    (sum w)^2 / sum w^2. When the interval cannot be reached (it lies beyond every draw), the
    weights are None."""
    values = np.asarray(values, dtype=float)
    n = values.size
    mean = float(values.mean())
    if low <= mean <= high:
        return {"weights": np.ones(n), "tilt": 0.0, "ess": float(n), "aim": mean}
    aim = low if mean < low else high
    if not values.min() < aim < values.max():
        return {"weights": None, "tilt": None, "ess": None, "aim": aim}
    sd = float(values.std()) or 1.0
    z = (values - mean) / sd

    def tilted_mean(t: float) -> float:
        w = np.exp(t * z - np.max(t * z))
        return float((w * values).sum() / w.sum())

    lo, hi = (0.0, 1.0) if aim > mean else (-1.0, 0.0)
    while (tilted_mean(hi) < aim) if aim > mean else (tilted_mean(lo) > aim):
        if aim > mean:
            lo, hi = hi, hi * 2
        else:
            lo, hi = lo * 2, lo
    for _ in range(200):
        mid = (lo + hi) / 2
        if tilted_mean(mid) < aim:
            lo = mid
        else:
            hi = mid
    t = (lo + hi) / 2
    w = np.exp(t * z - np.max(t * z))
    w = w * n / w.sum()
    return {"weights": w, "tilt": t, "ess": float(w.sum() ** 2 / (w**2).sum()), "aim": aim}


def weighted_mean(values: np.ndarray, weights: np.ndarray) -> float:
    return float((np.asarray(values) * weights).sum() / weights.sum())


def calibration(result: RunResult, baseline: RunResult | None = None) -> dict[str, Any]:
    """Each observed total the status quo is calibrated or weighted to, with its source, the
    model's figure (means over draws, per year), the weights' effective sample size and, for a
    policy, its results under those weights; the totals with no published figure; the crime
    count per person-year against a published figure."""
    scen = result.scenario
    quo = baseline if baseline is not None else result
    years = quo.scenario.horizon_years
    out: dict[str, Any] = {"targets": [], "weighted_targets": [], "no_total": [], "checks": []}
    if scen.arrivals_per_year is not None:
        out["targets"].append(
            {
                "measure": "arrivals at the disposal decision a year (status quo, first year)",
                "target": scen.arrivals_per_year,
                "how": "new people a year derived in every draw from that draw's parameters, so"
                " the status quo meets the target exactly in each draw",
                "new_people_per_year": interval(result.totals["entrants_per_year"]),
                "source": scen.sources.get("inflow", ""),
            }
        )
    weights = np.ones(result.runs)
    for target in TARGETS.get(scen.jurisdiction, []):
        per_year = quo.totals[f"by_group.{target['measure']}"].sum(axis=1) / years
        tilt = tilt_weights(per_year, target["low"], target["high"])
        row = {**target, "model": interval(per_year), "effective_sample_size": tilt["ess"]}
        if tilt["weights"] is None:
            row["how"] = (
                "not reached: the interval lies beyond every draw, so no weighting of these draws"
                " meets it; results are unweighted"
            )
            row["weighted_mean"] = None
        else:
            weights = weights * tilt["weights"]
            row["weighted_mean"] = weighted_mean(per_year, tilt["weights"])
            row["how"] = (
                "the plain mean over draws is already inside the interval: every draw has weight 1"
                if tilt["tilt"] == 0.0
                else f"draws weighted (exponential tilting) to bring the mean to {tilt['aim']:,.0f}"
            )
        out["weighted_targets"].append(row)
    weights = weights * result.runs / weights.sum()
    out["effective_sample_size"] = float(weights.sum() ** 2 / (weights**2).sum())
    if baseline is not None and not np.allclose(weights, 1.0):
        comp = comparison_columns(result, baseline)
        npv = comp["economics.npv"]
        out["weighted_results"] = {
            "npv_mean": weighted_mean(npv, weights),
            "probability_benefits_exceed_costs": weighted_mean(npv > 0, weights),
            "reconvictions_change_mean": weighted_mean(comp["change.reconvictions"], weights),
            "deaths_drug_change_mean": weighted_mean(comp["change.deaths_drug"], weights),
        }
    for words, note in NO_TOTAL.get(scen.jurisdiction, []):
        out["no_total"].append(
            {
                "measure": words,
                "message": "no published total for this group was found in the sources read;"
                " not calibrated" + (f"; {note}" if note else ""),
            }
        )
    crime = CRIME_CHECK.get(scen.jurisdiction)
    if crime is not None:
        point = point_draws(scen)
        per_py = float(point["crime.cost_per_year_high_risk"][0] / point["crime.cost_per_crime"][0])
        out["checks"].append(
            {
                "measure": "crimes_per_person_year",
                "words": crime["words"],
                "model": per_py,
                "published_at_least": crime["at_least"],
                "source": crime["source"],
                "consistent": per_py >= crime["at_least"],
            }
        )
    return out


COMPARISON_WORDS = {
    "none": "no treatment disposal (usual processing, a court order)",
    "custody": "short custody",
    "diversion": "pre-trial diversion",
    "dtto": "a DTTO-like order",
    "cpo": "a CPO-like order",
    "drug_court": "a drug treatment court",
}


def contrasts(result: RunResult, baseline: RunResult | None = None) -> dict[str, Any]:
    """Which comparison every effect and reference rate rests on, and for a policy against its
    baseline, the contrasts its moved disposal shares rest on (point values, d units)."""
    scen = result.scenario
    point = {n: float(v[0]) for n, v in point_draws(scen).items()}
    offsets = {k: float(v[0]) for k, v in model.effect_offsets(
        {n: np.array([v]) for n, v in point.items()}, scen.comparisons).items()}  # fmt: skip
    effects = []
    for h in model.HISTORIES:
        param = scen.params[f"effect.{h}"]
        against = param.comparison or "none"
        effects.append(
            {
                "disposal": h,
                "effect": point[f"effect.{h}"],
                "measured_against": against,
                "measured_against_words": COMPARISON_WORDS[against],
                "effect_against_none": offsets[h],
                "status": param.status,
                "source": param.source,
            }
        )
    rates = []
    for r in model.RISKS:
        param = scen.params[f"reoffending.reference_one_year.{r}"]
        after = param.comparison or "none"
        observed = point[f"reoffending.reference_one_year.{r}"]
        rates.append(
            {
                "risk": r,
                "observed": observed,
                "observed_after": after,
                "observed_after_words": COMPARISON_WORDS[after],
                "no_treatment_disposal_rate": float(
                    probability_from_effect(observed, -offsets[after])
                ),
            }
        )
    out: dict[str, Any] = {"effects": effects, "reference_rates": rates}
    if baseline is not None:
        moved = (scen.mix * scen.shares[:, None]).sum(0) - (
            baseline.scenario.mix * baseline.scenario.shares[:, None]
        ).sum(0)
        losers = [d for d, x in zip(model.DISPOSALS, moved, strict=True) if x < -1e-9]
        gainers = [d for d, x in zip(model.DISPOSALS, moved, strict=True) if x > 1e-9]
        rows = []
        for to in gainers:
            for frm in losers:
                d_to, d_from = offsets.get(to, 0.0), offsets.get(frm, 0.0)
                rows.append(
                    {
                        "from": frm,
                        "to": to,
                        "d": d_to - d_from,
                        "words": (
                            f"{COMPARISON_WORDS[to]} instead of {COMPARISON_WORDS[frm]}:"
                            f" d = {d_to - d_from:+.3f} ({d_to:+.3f} against no treatment"
                            f" disposal, minus {d_from:+.3f})"
                        ),
                    }
                )
        out["policy"] = rows
    return out


def provenance(result: RunResult) -> dict[str, Any]:
    scen = result.scenario
    used = [scen.params[name] for name in result.draws]
    return {
        "sources": scen.sources,
        "assumptions": [
            {
                "parameter": p.name,
                "value": p.value,
                "distribution": p.distribution,
                "source": p.source,
            }
            for p in used
            if p.status == "assumption"
        ],
        "missing_counted_as_zero": [
            {"parameter": name, "source": scen.params[name].source} for name in scen.missing
        ],
        "figures": [
            {
                "parameter": p.name,
                "value": p.value,
                "unit": p.unit,
                "status": p.status,
                "basis": p.basis,
                "price_base": p.price_base,
                "source": p.source,
            }
            for p in used
        ],
        "price_bases": sorted({str(p.price_base) for p in used if p.currency and not p.is_missing}),
        "warning": (
            "Money values are in the price bases of their sources and are not uprated (no GDP "
            "deflator series was given: see --deflator); treat totals as indicative."
        ),
    }


def summary(result: RunResult, baseline: RunResult | None = None) -> dict[str, Any]:
    """Everything the CLI's --json and the web page show, with 95% Monte Carlo intervals."""
    scen = result.scenario
    cols = outcome_columns(result)
    out: dict[str, Any] = {
        "scenario": {
            "name": scen.name,
            "title": scen.title,
            "file": scen.file,
            "jurisdiction": scen.jurisdiction,
            "horizon_years": scen.horizon_years,
            "runs": result.runs,
            "seed": result.seed,
        },
        "outcomes": {k: interval(v) for k, v in cols.items()},
        "series": {k: v.tolist() for k, v in result.series.items()},
    }
    target = cols["payer.taxpayer_justice"] + cols["payer.taxpayer_health"]
    if baseline is not None:
        comp = comparison_columns(result, baseline)
        npv = comp["economics.npv"]
        economics = {
            k.split(".", 1)[1]: interval(v) for k, v in comp.items() if k.startswith("economics.")
        }
        # The mean of per-run ratios is unstable when a run's net cost is near zero; report the
        # ratio of mean benefits to mean net cost, with the per-run interval beside it.
        economics["bcr"].update(
            ratio_of_means(comp["economics.benefits_total"], comp["economics.net_cost"])
        )
        chance = probability(npv > 0)
        out["comparison"] = {
            "baseline": baseline.scenario.name,
            "changes": {
                k.split(".", 1)[1]: interval(v) for k, v in comp.items() if k.startswith("change.")
            },
            "economics": economics,
            "probability_benefits_exceed_costs": chance["probability"],
            "probability_benefits_exceed_costs_se": chance["se"],
            "npv_sign": npv_sign(npv),
            "rests_on": rests_on(comp),
            "acceptability": acceptability(result, comp),
            "baseline_series": {k: v.tolist() for k, v in baseline.series.items()},
        }
        target = npv
    out["sensitivity"] = {
        "target": "net present value" if baseline is not None else "cost to taxpayers",
        "parameters": sensitivity(result.draws, target),
        # Rank correlations smaller than about 2 / sqrt(runs) cannot be told apart from noise.
        "noise_level": 2.0 / math.sqrt(result.runs),
    }
    out["equity"] = equity(result, baseline)
    out["contrasts"] = contrasts(result, baseline)
    out["calibration"] = calibration(result, baseline)
    out["provenance"] = provenance(result)
    return out


def write_csv(rows: list[dict[str, Any]], path: Path | str) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def write_parquet(rows: list[dict[str, Any]], path: Path | str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = {key: [row[key] for row in rows] for key in rows[0]}
    pq.write_table(pa.table(columns), str(path))


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=False, allow_nan=False)
