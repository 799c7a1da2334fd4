"""Costs by payer, benefits against a comparison, and the WSIPP benefit-cost accounting.

The accounting follows the Washington State Institute for Public Policy (WSIPP) benefit-cost
model as its published adult drug court page shows it (December 2024 methods):

    indirect      = deadweight * taxpayer benefits - deadweight * net programme cost
    total         = taxpayer benefits + benefits to others + indirect
    net benefit   = total - net programme cost
    ratio         = total / net programme cost

with WSIPP's deadweight cost of taxation of 50%. UK appraisal (HM Treasury Green Book) does not add
a deadweight cost, so scenarios default to 0 and report it only when asked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WSIPP_DEADWEIGHT = 0.5
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


def wsipp_chance_benefits_exceed_costs(
    *,
    rng: np.random.Generator,
    runs: int,
    total_benefits: float,
    net_cost: float,
    effect_size: float,
    effect_se: float,
    cost_sd_fraction: float,
) -> float:
    """Monte Carlo share of draws with benefits above costs, WSIPP-style.

    Benefits scale in proportion to the sampled effect size (normal, mean ``effect_size``, SD
    ``effect_se``); the net programme cost is normal with SD ``cost_sd_fraction`` of its value.
    WSIPP's crime model is not public, so its other sources of uncertainty are not reproduced.
    """
    d = rng.normal(effect_size, effect_se, runs)
    benefits = total_benefits * d / effect_size
    cost = rng.normal(net_cost, cost_sd_fraction * net_cost, runs)
    return float(np.mean(benefits > cost))


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
