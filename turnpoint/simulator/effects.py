"""The one transform between effect sizes and probabilities, and probabilities and weekly hazards.

Effect sizes in the simulator are standardised mean differences d on a binary outcome (any
reconviction), as WSIPP and the Campbell reviews report them. They become probabilities through the
Cox logit transform (Cox 1970; Sanchez-Meca, Marin-Martinez & Chacon-Moscoso 2003)::

    d = ln(odds ratio) / 1.65      so      p1 = expit(logit(p0) + 1.65 * d)

where p0 is the reference probability of the outcome over the follow-up and p1 the probability
under the intervention. A negative d means less reoffending.

A probability p over a follow-up of T weeks becomes a constant weekly hazard h = -ln(1 - p) / T,
so that 1 - exp(-h T) = p again.
"""

from __future__ import annotations

import numpy as np

COX_CONSTANT = 1.65


def logit(p: np.ndarray | float) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    with np.errstate(divide="ignore"):  # p of 0 or 1 gives -inf or inf, which expit maps back
        return np.log(p) - np.log1p(-p)


def expit(x: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def probability_from_effect(p0: np.ndarray | float, d: np.ndarray | float) -> np.ndarray:
    """Probability with the intervention, from reference probability ``p0`` and effect ``d``."""
    return expit(logit(p0) + COX_CONSTANT * np.asarray(d, dtype=float))


def effect_from_probabilities(p0: np.ndarray | float, p1: np.ndarray | float) -> np.ndarray:
    """The Cox effect size d for a change in probability from ``p0`` to ``p1``."""
    return (logit(p1) - logit(p0)) / COX_CONSTANT


def weekly_hazard(p: np.ndarray | float, weeks: float) -> np.ndarray:
    """Constant weekly hazard giving probability ``p`` of the event within ``weeks``."""
    return -np.log1p(-np.asarray(p, dtype=float)) / weeks


def rate_to_weekly_probability(rate_per_1000py: np.ndarray | float) -> np.ndarray:
    """Probability of the event in one week from a rate per 1,000 person-years."""
    return -np.expm1(-np.asarray(rate_per_1000py, dtype=float) / 1000.0 * 7.0 / 365.25)
