"""Kaplan-Meier survival curves and Cox proportional-hazards models (docs/analytics.md).

Plain data in and out: durations, event flags (1 = the event happened, 0 = censored) and
covariates are sequences of numbers; results are dicts of floats, ints, strings and None (an
undefined value), ready for JSON.

Who computes what:

- Kaplan-Meier survival, number at risk, events and censored: lifelines' `KaplanMeierFitter`.
- Greenwood standard error of the survival and the 95% intervals (log or log-log transform):
  Turnpoint, below (`_greenwood_rows`); the tests compare both with R and with lifelines.
- Cox with Efron ties: lifelines' `CoxPHFitter` (which always uses Efron's method).
- Cox with Breslow ties: statsmodels' `PHReg(ties="breslow")`.
- Hazard-ratio intervals, z and p from the coefficient and its standard error: Turnpoint (Wald,
  as R's `summary.coxph` prints them).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from turnpoint.errors import InvalidInput, Problem

CONF_TYPES = ("log-log", "log")
DEFAULT_CONF_TYPE = "log-log"
TIES = ("efron", "breslow")
DEFAULT_TIES = "efron"


def _z(conf_level: float) -> float:
    return float(stats.norm.ppf(1 - (1 - conf_level) / 2))


def _number(value: float) -> float | None:
    """A finite float, or None where the value is undefined (JSON has no NaN)."""
    value = float(value)
    return value if math.isfinite(value) else None


def _check_survival_data(durations: np.ndarray, events: np.ndarray) -> None:
    problems = []
    if len(durations) == 0:
        problems.append(Problem("", "there are no rows"))
    elif len(durations) != len(events):
        problems.append(Problem("", "durations and events differ in length"))
    else:
        for i, (d, e) in enumerate(zip(durations, events, strict=True), start=1):
            if not math.isfinite(d):
                problems.append(Problem(f"row {i}: duration", "is not a finite number"))
            elif d < 0:
                problems.append(Problem(f"row {i}: duration", f"is negative ({d:g})"))
            if e not in (0, 1):
                problems.append(Problem(f"row {i}: event", f"must be 0 or 1, not {e:g}"))
        if not problems and not events.any():
            problems.append(Problem("event", "no row has an event (every row is censored)"))
    if problems:
        raise InvalidInput(problems)


def _greenwood_rows(
    table: pd.DataFrame, survival: np.ndarray, *, conf_type: str, conf_level: float
) -> list[dict[str, Any]]:
    """One row per distinct time: the Greenwood standard error of S(t) and its interval.

    Greenwood: Var(S) = S² Σ d/(n(n-d)) over event times up to t. The interval is made on
    log S (R's survfit default, `conf.type="log"`: S·exp(±z·√Σ), upper end capped at 1) or on
    log(-log S) (`conf.type="log-log"`, as Stata and lifelines:
    S^exp(±z·√Σ / log S)). Where S = 0 (everyone left had the event) the error and interval
    are undefined (None), as R prints NaN/NA; where S = 1 (no event yet) the interval is [1, 1].
    """
    z = _z(conf_level)
    n = table["at_risk"].to_numpy(dtype=float)
    d = table["observed"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(d > 0, d / (n * (n - d)), 0.0)
    cumulative = np.cumsum(terms)
    rows = []
    for i, time in enumerate(table.index):
        s = float(survival[i])
        total = float(cumulative[i])
        if s <= 0 or not math.isfinite(total):
            std_err = lower = upper = None
        elif s >= 1 or total == 0:
            std_err, lower, upper = 0.0, 1.0, 1.0
        else:
            root = math.sqrt(total)
            std_err = s * root
            if conf_type == "log":
                lower = s * math.exp(-z * root)
                upper = min(1.0, s * math.exp(z * root))
            else:
                spread = z * root / math.log(s)
                lower = s ** math.exp(-spread)
                upper = s ** math.exp(spread)
        rows.append(
            {
                "time": _number(time),
                "n_risk": int(n[i]),
                "n_event": int(d[i]),
                "n_censored": int(table["censored"].iloc[i]),
                "survival": s,
                "std_err": std_err,
                "lower": lower,
                "upper": upper,
            }
        )
    return rows


def kaplan_meier(
    durations: Sequence[float],
    events: Sequence[int],
    *,
    groups: Sequence[Any] | None = None,
    conf_type: str = DEFAULT_CONF_TYPE,
    conf_level: float = 0.95,
) -> dict[str, Any]:
    """Kaplan-Meier survival curves, one per group (or one for everybody).

    Returns {"conf_type", "conf_level", "curves": [{"group", "n", "events", "rows": [...]}]}
    where each row is a distinct observed time with n_risk (at risk just before it),
    n_event, n_censored, survival just after it, std_err (Greenwood) and lower/upper.
    """
    if conf_type not in CONF_TYPES:
        raise InvalidInput(Problem("conf_type", f"must be one of {', '.join(CONF_TYPES)}"))
    from lifelines import KaplanMeierFitter

    t = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=float)
    _check_survival_data(t, e)
    labels = list(groups) if groups is not None else [None] * len(t)
    if len(labels) != len(t):
        raise InvalidInput(Problem("group", "has a different number of rows"))
    curves = []
    for label in sorted(set(labels), key=lambda g: (g is None, str(g))):
        mask = np.array([g == label for g in labels])
        fitter = KaplanMeierFitter().fit(t[mask], e[mask].astype(int))
        table = fitter.event_table
        # lifelines adds a row at time 0 for entry; keep only times someone left at.
        table = table[(table["observed"] > 0) | (table["censored"] > 0)]
        survival = fitter.survival_function_.loc[table.index].to_numpy()[:, 0]
        curves.append(
            {
                "group": label,
                "n": int(mask.sum()),
                "events": int(e[mask].sum()),
                "rows": _greenwood_rows(
                    table, survival, conf_type=conf_type, conf_level=conf_level
                ),
            }
        )
    return {"conf_type": conf_type, "conf_level": conf_level, "curves": curves}


def _check_covariates(names: list[str], matrix: np.ndarray) -> None:
    problems = []
    if not names:
        problems.append(Problem("covariates", "name at least one covariate"))
    for j, name in enumerate(names):
        column = matrix[:, j]
        if not np.isfinite(column).all():
            row = int(np.flatnonzero(~np.isfinite(column))[0]) + 1
            problems.append(Problem(f"row {row}: {name}", "is not a finite number"))
        elif np.ptp(column) == 0:
            problems.append(Problem(name, "has the same value on every row, so has no effect"))
    if problems:
        raise InvalidInput(problems)
    centred = matrix - matrix.mean(axis=0)
    rank = 0
    for j, name in enumerate(names):
        new_rank = int(np.linalg.matrix_rank(centred[:, : j + 1]))
        if new_rank == rank:
            earlier = ", ".join(names[:j])
            raise InvalidInput(
                Problem(
                    name,
                    f"is collinear with {earlier} (a linear combination of them), "
                    "so its effect cannot be separated; leave one out",
                )
            )
        rank = new_rank


def _wald(coef: float, se: float, z: float) -> dict[str, float | None]:
    stat = coef / se
    return {
        "coef": coef,
        "hazard_ratio": math.exp(coef),
        "se": se,
        "z": stat,
        "p": float(2 * stats.norm.sf(abs(stat))),
        "lower": coef - z * se,
        "upper": coef + z * se,
        "hazard_ratio_lower": math.exp(coef - z * se),
        "hazard_ratio_upper": math.exp(coef + z * se),
    }


def cox(
    durations: Sequence[float],
    events: Sequence[int],
    covariates: Mapping[str, Sequence[float]],
    *,
    ties: str = DEFAULT_TIES,
    conf_level: float = 0.95,
) -> dict[str, Any]:
    """A Cox proportional-hazards model of the hazard of the event on the covariates.

    Returns {"ties", "library", "n", "events", "coefficients": [{"name", "coef",
    "hazard_ratio", "se", "z", "p", "lower", "upper", "hazard_ratio_lower",
    "hazard_ratio_upper"}], "log_likelihood", "null_log_likelihood",
    "likelihood_ratio": {"statistic", "df", "p"}, "warnings": [...]}.
    """
    if ties not in TIES:
        raise InvalidInput(Problem("ties", f"must be one of {', '.join(TIES)}"))
    t = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=float)
    _check_survival_data(t, e)
    names = list(covariates)
    matrix = (
        np.column_stack([np.asarray(covariates[n], dtype=float) for n in names])
        if names
        else np.empty((len(t), 0))
    )
    if names and matrix.shape[0] != len(t):
        raise InvalidInput(Problem("covariates", "have a different number of rows"))
    _check_covariates(names, matrix)
    z = _z(conf_level)
    caught: list[str] = []
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        if ties == "efron":
            from lifelines import CoxPHFitter

            frame = pd.DataFrame(matrix, columns=names)
            frame["__duration"] = t
            frame["__event"] = e.astype(int)
            fitter = CoxPHFitter().fit(frame, "__duration", "__event")
            coefs = fitter.params_.loc[names].to_numpy()
            ses = fitter.standard_errors_.loc[names].to_numpy()
            log_likelihood = float(fitter.log_likelihood_)
            statistic = float(fitter.log_likelihood_ratio_test().test_statistic)
            library = "lifelines CoxPHFitter (Efron ties)"
        else:
            from statsmodels.duration.hazard_regression import PHReg

            model = PHReg(t, matrix, status=e.astype(int), ties="breslow")
            result = model.fit()
            coefs = np.asarray(result.params)
            ses = np.asarray(result.bse)
            log_likelihood = float(result.llf)
            statistic = 2 * (log_likelihood - float(model.loglike(np.zeros(len(names)))))
            library = "statsmodels PHReg (Breslow ties)"
        caught = sorted({str(w.message) for w in record})
    if not (np.isfinite(coefs).all() and np.isfinite(ses).all()):
        raise InvalidInput(
            Problem("covariates", "the model did not converge (an effect is infinitely large)")
        )
    df = len(names)
    return {
        "ties": ties,
        "library": library,
        "n": len(t),
        "events": int(e.sum()),
        "conf_level": conf_level,
        "coefficients": [
            {"name": name, **_wald(float(c), float(s), z)}
            for name, c, s in zip(names, coefs, ses, strict=True)
        ],
        "log_likelihood": log_likelihood,
        "null_log_likelihood": log_likelihood - statistic / 2,
        "likelihood_ratio": {
            "statistic": statistic,
            "df": df,
            "p": float(stats.chi2.sf(statistic, df)),
        },
        "warnings": caught,
    }
