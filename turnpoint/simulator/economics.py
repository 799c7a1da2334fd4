"""Costs by payer, benefits against a comparison, and the WSIPP benefit-cost accounting.

The accounting follows the Washington State Institute for Public Policy (WSIPP) benefit-cost
model as its published adult drug court page shows it (December 2024 methods):

    indirect      = deadweight * taxpayer benefits - deadweight * net programme cost
    total         = taxpayer benefits + benefits to others + indirect
    net benefit   = total - net programme cost
    ratio         = total / net programme cost

with WSIPP's deadweight cost of taxation of 50%. UK appraisal (HM Treasury Green Book) does not add
a deadweight cost, so scenarios default to 0 and report it only when asked.

Discounting follows the Green Book (2022, Annex A6): money at the social time preference rate,
3.5% a year for years 0-30, then the declining long-term schedule (3.0% for years 31-75, 2.5% for
76-125, 2.0% for 126-200, 1.5% for 201-300, 1.0% after); health effects (here, deaths valued at the
value of a prevented fatality) at the health rate, 1.5% for years 0-30, declining in the same
proportions (1.286%, 1.071%, 0.857%, 0.643%, 0.429%). A scenario's rates replace the first-band
rate; later bands keep the schedule's proportions to it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

WSIPP_DEADWEIGHT = 0.5
# Green Book declining schedule: band ends in years, and each band's rate as a share of the first.
DISCOUNT_BAND_ENDS = (30.0, 75.0, 125.0, 200.0, 300.0, math.inf)
DISCOUNT_BAND_RATIOS = (1.0, 3.0 / 3.5, 2.5 / 3.5, 2.0 / 3.5, 1.5 / 3.5, 1.0 / 3.5)
PAYER_LINES = {
    "taxpayer_justice": ("cost_prison", "cost_programmes", "cost_cjs"),
    "taxpayer_health": ("cost_ost",),
    "victims": ("cost_crime_victims",),
    "deaths_valued": ("cost_deaths",),
}


@dataclass(frozen=True)
class Accounting:
    taxpayer_benefits: np.ndarray | float
    other_benefits: np.ndarray | float
    indirect: np.ndarray | float
    total_benefits: np.ndarray | float
    net_cost: np.ndarray | float
    net_benefit: np.ndarray | float
    ratio: np.ndarray | float


def wsipp_accounting(
    *, taxpayer_benefits, other_benefits, net_cost, deadweight: float = WSIPP_DEADWEIGHT
) -> Accounting:
    """WSIPP's per-participant summary from its three inputs (all in the same currency)."""
    tb = np.asarray(taxpayer_benefits, dtype=float)
    ob = np.asarray(other_benefits, dtype=float)
    cost = np.asarray(net_cost, dtype=float)
    indirect = deadweight * tb - deadweight * cost
    total = tb + ob + indirect
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(cost > 0, total / np.where(cost > 0, cost, 1.0), np.nan)
    return Accounting(tb, ob, indirect, total, cost, total - cost, ratio)


def discount_factor(rate: np.ndarray | float, years: np.ndarray | float) -> np.ndarray:
    """Present value of 1 received ``years`` from now, on the Green Book's declining schedule
    whose first band (years 0-30) has ``rate``; later bands keep the schedule's proportions."""
    rate = np.asarray(rate, dtype=float)
    years = np.asarray(years, dtype=float)
    log_factor = np.zeros(np.broadcast(rate, years).shape)
    start = 0.0
    for end, ratio in zip(DISCOUNT_BAND_ENDS, DISCOUNT_BAND_RATIOS, strict=True):
        span = np.clip(years - start, 0.0, end - start)
        log_factor -= span * np.log1p(rate * ratio)
        start = end
    return np.exp(log_factor)


def wsipp_monte_carlo(
    *,
    rng: np.random.Generator,
    runs: int,
    taxpayer_benefits: float,
    other_benefits: float,
    net_cost: float,
    effect_size: float,
    effect_se: float,
    cost_range_fraction: float,
    deadweight: float = WSIPP_DEADWEIGHT,
) -> Accounting:
    """WSIPP-style risk analysis: the accounting of every draw, with the identities in each.

    Benefits to taxpayers and to others scale in proportion to the sampled effect size (normal,
    mean ``effect_size``, SD ``effect_se``); the net programme cost is uniform within
    ``cost_range_fraction`` of its value (WSIPP gives a range, +/-30%, not a distribution). The
    indirect cost is then recomputed in each draw from that draw's taxpayer benefits and cost
    (indirect = deadweight x taxpayer benefits - deadweight x net cost), not scaled with the
    benefits. WSIPP's crime model is not public, so its other sources of uncertainty are not
    reproduced.
    """
    scale = rng.normal(effect_size, effect_se, runs) / effect_size
    cost = net_cost * rng.uniform(1 - cost_range_fraction, 1 + cost_range_fraction, runs)
    return wsipp_accounting(
        taxpayer_benefits=taxpayer_benefits * scale,
        other_benefits=other_benefits * scale,
        net_cost=cost,
        deadweight=deadweight,
    )


def wsipp_chance_benefits_exceed_costs(**kwargs) -> float:
    """Share of draws of :func:`wsipp_monte_carlo` with total benefits above the net cost."""
    acc = wsipp_monte_carlo(**kwargs)
    return float(np.mean(acc.net_benefit > 0))


def payer_totals(totals: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Discounted costs by payer for one scenario (per draw)."""
    return {payer: sum(totals[line] for line in lines) for payer, lines in PAYER_LINES.items()}


def compare(
    scenario: dict[str, np.ndarray], baseline: dict[str, np.ndarray], *, deadweight: float = 0.0
) -> dict[str, np.ndarray]:
    """Per-draw economics of a scenario against its baseline (same draws, same seed).

    Net cost is the extra spending on programmes and opioid substitution; benefits to taxpayers are
    avoided prison and criminal-justice costs; benefits to victims are avoided crime costs; deaths
    avoided are valued separately (value of a prevented fatality) and included in total benefits.
    """

    def delta(*lines: str) -> np.ndarray:
        return sum(baseline[line] - scenario[line] for line in lines)

    net_cost = -delta("cost_programmes", "cost_ost")
    acc = wsipp_accounting(
        taxpayer_benefits=delta("cost_prison", "cost_cjs"),
        other_benefits=delta("cost_crime_victims", "cost_deaths"),
        net_cost=net_cost,
        deadweight=deadweight,
    )
    return {
        "net_cost": acc.net_cost,
        "benefits_taxpayers": acc.taxpayer_benefits,
        "benefits_victims": delta("cost_crime_victims"),
        "benefits_deaths_valued": delta("cost_deaths"),
        "benefits_indirect": np.broadcast_to(acc.indirect, acc.net_cost.shape).copy(),
        "benefits_total": acc.total_benefits,
        "npv": acc.net_benefit,
        "bcr": acc.ratio,
    }
