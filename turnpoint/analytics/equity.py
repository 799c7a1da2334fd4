"""Equity: rates by group and disparity ratios against a reference group (docs/analytics.md).

A disparity ratio is a group's rate divided by the reference group's rate (a risk ratio). Its
interval is Katz's log method: exp(ln RR ± z·√(1/a - 1/n₁ + 1/c - 1/n₀)), where a of n₁ people
in the group and c of n₀ in the reference group had the outcome — Katz D, Baptista J, Azen SP,
Pike MC (1978), "Obtaining confidence intervals for the risk ratio in cohort studies",
Biometrics 34(3):469-474. Turnpoint computes it here; the tests compare it with statsmodels'
`Table2x2.riskratio_confint(method="normal")`, an independent implementation of the same
method.

For time-to-event outcomes the comparison is a hazard ratio from the Cox model
(`group_hazard_ratios`), with the group as indicator covariates against the reference group.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from scipy import stats

from turnpoint.analytics import survival
from turnpoint.errors import InvalidInput, Problem


def katz_interval(
    a: int, n1: int, c: int, n0: int, *, conf_level: float = 0.95
) -> tuple[float | None, float | None, float | None]:
    """(ratio, lower, upper) of (a/n1)/(c/n0); None where undefined (no events on a side)."""
    if c == 0:
        return None, None, None
    ratio = (a / n1) / (c / n0)
    if a == 0:
        return ratio, None, None
    z = float(stats.norm.ppf(1 - (1 - conf_level) / 2))
    se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n0)
    return ratio, ratio * math.exp(-z * se), ratio * math.exp(z * se)


def disparity_ratios(
    counts: Mapping[str, tuple[int, int]], *, reference: str, conf_level: float = 0.95
) -> dict[str, Any]:
    """Rates and disparity ratios for {group: (people with the outcome, people)}.

    Returns {"reference", "conf_level", "groups": [{"group", "events", "total", "rate",
    "ratio", "lower", "upper"}]} in the order given; the reference group's ratio is 1. Where
    the reference group has no events the ratios are undefined (None); where a group has none
    its ratio is 0 with no interval (Katz's method needs an event on both sides).
    """
    problems = []
    if reference not in counts:
        problems.append(Problem("reference", f"{reference!r} is not one of the groups"))
    for group, (events, total) in counts.items():
        if total <= 0:
            problems.append(Problem(str(group), "has no people"))
        elif not 0 <= events <= total:
            problems.append(
                Problem(str(group), f"events ({events}) must be between 0 and total ({total})")
            )
    if problems:
        raise InvalidInput(problems)
    c, n0 = counts[reference]
    rows = []
    for group, (a, n1) in counts.items():
        ratio, lower, upper = katz_interval(a, n1, c, n0, conf_level=conf_level)
        if group == reference:
            lower = upper = None
        rows.append(
            {
                "group": group,
                "events": a,
                "total": n1,
                "rate": a / n1,
                "ratio": ratio,
                "lower": lower,
                "upper": upper,
            }
        )
    return {"reference": reference, "conf_level": conf_level, "groups": rows}


def group_hazard_ratios(
    durations: Sequence[float],
    events: Sequence[int],
    groups: Sequence[str],
    *,
    reference: str,
    covariates: Mapping[str, Sequence[float]] | None = None,
    ties: str = survival.DEFAULT_TIES,
) -> dict[str, Any]:
    """Hazard ratio of each group against the reference group, from one Cox model.

    Each other group gets an indicator covariate (1 for its members); further covariates
    adjust the comparison. Returns {"reference", "ties", "groups": [{"group", "hazard_ratio",
    "lower", "upper", "p"}], "model": the whole `survival.cox` result}.
    """
    labels = [str(g) for g in groups]
    if reference not in labels:
        raise InvalidInput(Problem("reference", f"{reference!r} is not one of the groups"))
    others = sorted(set(labels) - {reference})
    if not others:
        raise InvalidInput(Problem("groups", "there is only the reference group"))
    design: dict[str, Sequence[float]] = {
        f"group={g}": [1.0 if label == g else 0.0 for label in labels] for g in others
    }
    for name, values in (covariates or {}).items():
        if name in design:
            raise InvalidInput(Problem(name, "clashes with a group indicator's name"))
        design[name] = values
    model = survival.cox(durations, events, design, ties=ties)
    by_name = {c["name"]: c for c in model["coefficients"]}
    return {
        "reference": reference,
        "ties": ties,
        "groups": [
            {
                "group": g,
                "hazard_ratio": by_name[f"group={g}"]["hazard_ratio"],
                "lower": by_name[f"group={g}"]["hazard_ratio_lower"],
                "upper": by_name[f"group={g}"]["hazard_ratio_upper"],
                "p": by_name[f"group={g}"]["p"],
            }
            for g in others
        ],
        "model": model,
    }
