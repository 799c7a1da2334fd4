"""Calibrate a scenario from a programme's own measured rates (funnel, completion, reoffending).

The analytics layer measures, for one programme over one period, how many people reached the
disposal decision, how many started, how many of those who left completed, how long they stayed,
and how many were reconvicted within a year (for participants and, if there is one, for a
comparison group). :func:`calibrate` turns those counts into parameter overrides in the scenario
file's own format, each with a source naming the measurement, so a jurisdiction simulates from its
own figures. Nothing here touches a database: pass the counts in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from turnpoint.simulator.effects import effect_from_probabilities
from turnpoint.simulator.errors import SimulatorInputError
from turnpoint.simulator.model import DISPOSALS, PROGRAMMES


@dataclass(frozen=True)
class MeasuredRates:
    """Counts for one programme over one period. Optional parts may be left as None."""

    programme: str  # diversion, dtto, cpo or drug_court
    source: str  # e.g. "Turnpoint analytics, Ghent DTC, 2024-01 to 2024-12"
    reached_decision: int | None = None  # people with problem drug use at the disposal decision
    started: int | None = None  # of whom started the programme
    exits: int | None = None  # people who left the programme in the period
    completed: int | None = None  # of whom completed it
    mean_weeks_in_programme: float | None = None
    followed_up: int | None = None  # participants with a full year of follow-up
    reconvicted: int | None = None  # of whom reconvicted within the year
    comparison_followed_up: int | None = None  # comparison group with a full year of follow-up
    comparison_reconvicted: int | None = None


def _proportion(label: str, part: int | None, whole: int | None) -> float | None:
    if part is None and whole is None:
        return None
    if part is None or whole is None:
        raise SimulatorInputError("measured rates", label, "needs both the count and its total")
    if whole <= 0 or part < 0 or part > whole:
        raise SimulatorInputError(
            "measured rates", label, f"needs 0 <= count <= total and total > 0 (got {part}/{whole})"
        )
    return part / whole


def _beta_sd(p: float, n: int) -> float:
    # Binomial standard error, kept inside what a Beta distribution with mean p allows.
    sd = math.sqrt(max(p * (1 - p), 1e-12) / n)
    return min(sd, 0.99 * math.sqrt(max(p * (1 - p), 1e-12)))


def calibrate(m: MeasuredRates) -> dict[str, Any]:
    """Parameter overrides and a disposal share computed from measured counts.

    Returns ``{"parameters": {...}, "disposal_share": float | None, "notes": [...]}`` where
    ``parameters`` uses the scenario file's override format (value, distribution, source, status).

    The reoffending effect is d = effect_from_probabilities(comparison rate, participant rate)
    (the Cox transform in effects.py), with the SD of ln(odds ratio) / 1.65 from the four counts
    (Woolf's formula). Without a comparison group no effect is produced: the difference between
    participants and the reference rate would be selection as much as effect.
    """
    if m.programme not in PROGRAMMES:
        raise SimulatorInputError(
            "measured rates", "programme", f"unknown; use one of {', '.join(PROGRAMMES)}"
        )
    p = m.programme
    params: dict[str, Any] = {}
    notes: list[str] = []
    completion = _proportion("completed", m.completed, m.exits)
    if completion is not None:
        sd = _beta_sd(completion, m.exits)
        dist = {"type": "beta", "sd": sd} if 0 < completion < 1 else {"type": "fixed"}
        params[f"programme.{p}.completion"] = {
            "value": completion,
            "distribution": dist,
            "source": f"measured: {m.source}; {m.completed} of {m.exits} exits completed",
            "status": "derived",
        }
    if m.mean_weeks_in_programme is not None:
        if m.mean_weeks_in_programme <= 0:
            raise SimulatorInputError(
                "measured rates", "mean_weeks_in_programme", "must be greater than 0"
            )
        params[f"programme.{p}.duration_weeks"] = {
            "value": float(m.mean_weeks_in_programme),
            "distribution": {"type": "fixed"},
            "source": f"measured: {m.source}; mean time in programme",
            "status": "derived",
        }
    rate = _proportion("reconvicted", m.reconvicted, m.followed_up)
    comparison = _proportion(
        "comparison_reconvicted", m.comparison_reconvicted, m.comparison_followed_up
    )
    if rate is not None and comparison is not None:
        cells = (
            m.reconvicted,
            m.followed_up - m.reconvicted,
            m.comparison_reconvicted,
            m.comparison_followed_up - m.comparison_reconvicted,
        )
        if min(cells) == 0:
            raise SimulatorInputError(
                "measured rates", "reconvicted", "a count of 0 leaves the effect undefined"
            )
        d = float(effect_from_probabilities(comparison, rate))
        sd = math.sqrt(sum(1 / c for c in cells)) / 1.65
        params[f"effect.{p}"] = {
            "value": d,
            "distribution": {"type": "normal", "sd": sd},
            "source": (
                f"measured: {m.source}; reconvicted within a year {m.reconvicted}/{m.followed_up}"
                f" against comparison {m.comparison_reconvicted}/{m.comparison_followed_up}"
            ),
            "status": "derived",
        }
    elif rate is not None:
        notes.append(
            "participant reconviction measured without a comparison group: no effect size derived"
        )
    share = _proportion("started", m.started, m.reached_decision)
    return {"parameters": params, "disposal_share": share, "notes": notes}


def calibrated_scenario_data(data: dict[str, Any], m: MeasuredRates) -> dict[str, Any]:
    """A copy of scenario data with the calibration applied.

    The programme's disposal share becomes the measured one; the difference is taken from (or
    given to) the "none" disposal, and the disposal mix's source records the change.
    """
    result = calibrate(m)
    out = {**data, "parameters": {**(data.get("parameters") or {}), **result["parameters"]}}
    share = result["disposal_share"]
    if share is not None:
        if data["disposal_mix"].get("by_risk"):
            raise SimulatorInputError(
                "measured rates", "disposal_mix.by_risk", "calibration sets one mix for everyone"
            )
        mix = dict(data["disposal_mix"]["shares"])
        free = mix["none"] + mix[m.programme]
        if share > free + 1e-12:
            raise SimulatorInputError(
                "measured rates",
                "started",
                f"share {share:.3f} is more than the 'none' and programme shares ({free:.3f})",
            )
        mix["none"] = free - share
        mix[m.programme] = share
        out["disposal_mix"] = {
            "shares": {k: mix[k] for k in DISPOSALS},
            "source": (
                f"{data['disposal_mix']['source']} | {m.programme} share measured: {m.source};"
                f" {m.started} of {m.reached_decision} started"
            ),
        }
    return out
