"""The pathway model: weekly cohort flows, vectorised across Monte Carlo draws.

It answers R25 (compare the costs and benefits of community and prison sentences for people whose
offending is driven by drug use) and makes R20 (continuity of opioid substitution into the high-risk
weeks after release) a policy lever with its own deaths and costs.

Every array has the draws on axis 0 and the 24 subgroups (sex x age band x risk x primary drug) on
axis 1. Within one draw the model is deterministic: it moves expected numbers of people between
states each week. Uncertainty comes only from the parameter draws. No Django, no global state.

States (all counts of people)::

    free_ref   (D, G)        at liberty, no recent disposal: reference reoffending hazard
    free_hist  (D, G, H)     at liberty within the persistence window of disposal h
    hist_ring  (R, D, G, H)  people who entered that window each of the last R weeks (a ring
                             indexed by ``clock % R``), as they entered, to end the window on time
    desisted   (D, G)        left the pathway (stopped offending); other-cause deaths only
    prog       (D, G, P)     in programme p (diversion, dtto, cpo, drug_court)
    custody    (D, G)        in prison
    released   (D, G, K, 2)  weeks since release 0..K-1, without / with opioid substitution

Order of events within a week: arrivals are allocated to disposals (within programme capacity),
then deaths (drug-related and other), then reconvictions, then exits (programme completion or
breach, release, end of the post-release window), desistance, and the end of the persistence
window. People reconvicted at liberty come back to the disposal decision the next week
("arrivals" counts new and returning people).

**Persistence is a fixed window.** A disposal's effect lasts "up to three years" (Mitchell et al.
2012), so it applies for exactly ``reoffending.persistence_weeks`` weeks after a person leaves the
programme (or the 12-week release window) and then stops; it is not a geometric stay with that
mean. People in the window are tracked in weekly cohorts: every hazard a person in the window faces
(death, reconviction, desistance) is constant over the window, so the share of a cohort that is
still in it after ``W`` weeks is ``f ** W`` with ``f`` the weekly share staying, and the model only
has to remember how many entered each week (``hist_ring``), not move every cohort every week.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from turnpoint.simulator.economics import discount_factor
from turnpoint.simulator.effects import (
    probability_from_effect,
    rate_to_weekly_probability,
    weekly_hazard,
)

WEEKS_PER_YEAR = 365.25 / 7
RELEASE_WINDOW_WEEKS = (
    12  # weeks since release tracked separately (Merrall et al. 2010: weeks 1-12)
)
SEXES = ("male", "female")
AGES = ("18-24", "25-39", "40+")
RISKS = ("high", "low")
DRUGS = ("opioid", "stimulant")
PROGRAMMES = ("diversion", "dtto", "cpo", "drug_court")
DISPOSALS = ("none", *PROGRAMMES, "custody")
HISTORIES = (*PROGRAMMES, "custody")


def subgroup_index() -> dict[str, np.ndarray]:
    """Index arrays (length 24) giving each subgroup's sex, age band, risk level and drug."""
    grid = np.indices((len(SEXES), len(AGES), len(RISKS), len(DRUGS))).reshape(4, -1)
    return dict(zip(("sex", "age", "risk", "drug"), grid, strict=True))


SUBGROUPS = subgroup_index()
N_SUBGROUPS = SUBGROUPS["sex"].size


def subgroup_labels() -> list[str]:
    s = SUBGROUPS
    return [
        f"{SEXES[a]}/{AGES[b]}/{RISKS[c]}/{DRUGS[d]}"
        for a, b, c, d in zip(s["sex"], s["age"], s["risk"], s["drug"], strict=True)
    ]


@dataclass
class ModelInputs:
    """Everything one chunk of draws needs, already sampled. Shapes: (D,) unless stated."""

    weeks: int
    entrants_per_week: float | np.ndarray  # one value, or one per draw (D,)
    shares: np.ndarray  # (G,) subgroup composition of entrants, sums to 1
    mix: np.ndarray  # (G, 6) disposal shares in DISPOSALS order, for each subgroup
    capacity: dict[str, float]  # programme -> maximum people at once
    overflow: dict[str, str]  # programme -> disposal taking people when it is full
    draws: dict[str, np.ndarray]  # parameter name -> (D,) sampled values
    discount_rate: np.ndarray  # (D,) money, years 0-30 of the Green Book schedule
    health_discount_rate: np.ndarray | None = None  # (D,) deaths valued; money's rate if None
    value_deaths: bool = True
    keep_series: bool = True
    comparisons: dict[str, str] | None = None  # parameter -> disposal its source compared with


@dataclass
class State:
    """How many people are in each state at the start of a week (shapes in the module docstring).

    ``resentence`` holds people reconvicted last week, due at the disposal decision.
    """

    free_ref: np.ndarray
    free_hist: np.ndarray
    prog: np.ndarray
    custody: np.ndarray
    desisted: np.ndarray
    released: np.ndarray
    resentence: np.ndarray
    hist_ring: np.ndarray | None = None  # (R, D, G, H) weekly entries to the persistence window
    clock: int = 0  # weeks simulated so far (the ring's position)

    @classmethod
    def empty(cls, n_draws: int) -> State:
        G = N_SUBGROUPS
        return cls(
            free_ref=np.zeros((n_draws, G)),
            free_hist=np.zeros((n_draws, G, len(HISTORIES))),
            prog=np.zeros((n_draws, G, len(PROGRAMMES))),
            custody=np.zeros((n_draws, G)),
            desisted=np.zeros((n_draws, G)),
            released=np.zeros((n_draws, G, RELEASE_WINDOW_WEEKS, 2)),
            resentence=np.zeros((n_draws, G)),
        )

    def scaled(self, factor: np.ndarray) -> State:
        """Every count multiplied by ``factor`` (D,): the state a proportionally larger inflow
        reaches, since the model is linear in its inflow while no programme is full."""

        def times(a: np.ndarray | None, draw_axis: int = 0) -> np.ndarray | None:
            if a is None:
                return None
            shape = [1] * a.ndim
            shape[draw_axis] = -1
            return a * factor.reshape(shape)

        return State(
            free_ref=times(self.free_ref),
            free_hist=times(self.free_hist),
            prog=times(self.prog),
            custody=times(self.custody),
            desisted=times(self.desisted),
            released=times(self.released),
            resentence=times(self.resentence),
            hist_ring=times(self.hist_ring, draw_axis=1),
            clock=self.clock,
        )

    def people(self) -> np.ndarray:
        """Everyone alive, per draw."""
        counts = (
            self.free_ref,
            self.free_hist,
            self.prog,
            self.custody,
            self.desisted,
            self.released,
            self.resentence,
        )
        return sum(a.reshape(a.shape[0], -1).sum(axis=1) for a in counts)


def persistence_weeks(draws: dict[str, np.ndarray]) -> np.ndarray:
    """The window of each draw in whole weeks (at least one), as integers."""
    return np.maximum(np.rint(draws["reoffending.persistence_weeks"]), 1).astype(np.int64)


def _ring(state: State, n_draws: int, size: int) -> np.ndarray:
    """The state's ring of weekly entries, resized to ``size`` weeks (entries keep their age)."""
    ring = np.zeros((size, n_draws, N_SUBGROUPS, len(HISTORIES)))
    old = state.hist_ring
    if old is None:
        return ring
    if old.shape[0] == size:
        return old.copy()
    for age in range(min(size, old.shape[0])):
        ring[(state.clock - age) % size] = old[(state.clock - age) % old.shape[0]]
    return ring


def _by(draws: dict[str, np.ndarray], stem: str, labels: tuple[str, ...], dim: str) -> np.ndarray:
    """(D, G) array taking ``stem.<label>`` for each subgroup's value on dimension ``dim``."""
    stacked = np.stack([draws[f"{stem}.{label}"] for label in labels], axis=1)
    return stacked[:, SUBGROUPS[dim]]


def _weekly_exit(mean_weeks: np.ndarray) -> np.ndarray:
    return -np.expm1(-1.0 / np.maximum(mean_weeks, 1e-9))


def effect_offsets(
    draws: dict[str, np.ndarray], comparisons: dict[str, str] | None = None
) -> dict[str, np.ndarray]:
    """Each disposal's effect against no treatment disposal ("none"), in d units (D,).

    An effect measured against another disposal (``comparisons["effect.<h>"]``) is that
    disposal's effect against none plus its own: effects chain back to one reference.
    """
    comparisons = comparisons or {}
    out: dict[str, np.ndarray] = {"none": np.zeros_like(draws["effect.custody"])}

    def offset(h: str, seen: tuple[str, ...] = ()) -> np.ndarray:
        if h not in out:
            against = comparisons.get(f"effect.{h}", "none")
            if against in seen:  # validated on load; a guard, not a path users reach
                raise ValueError(f"effect comparisons form a loop at {h}")
            out[h] = draws[f"effect.{h}"] + offset(against, (*seen, h))
        return out[h]

    for h in HISTORIES:
        offset(h)
    return out


def hazards(
    draws: dict[str, np.ndarray], comparisons: dict[str, str] | None = None
) -> dict[str, np.ndarray]:
    """Weekly reconviction hazards for the reference state and after each disposal.

    Every figure is applied against the condition its source compared with
    (``comparisons``, parameter name -> disposal; "none" when not given). A reference rate
    observed after custody is first taken back to no treatment disposal by removing custody's
    effect, and each disposal's rate is that reference moved by its effect against none.
    """
    comparisons = comparisons or {}
    offsets = effect_offsets(draws, comparisons)
    observed = _by(draws, "reoffending.reference_one_year", RISKS, "risk")  # (D, G)
    after = np.stack(
        [offsets[comparisons.get(f"reoffending.reference_one_year.{r}", "none")] for r in RISKS],
        axis=1,
    )[:, SUBGROUPS["risk"]]  # (D, G) the effect already in each observed rate
    p_ref = probability_from_effect(observed, -after)  # no treatment disposal
    lam_ref = weekly_hazard(p_ref, WEEKS_PER_YEAR)
    d = np.stack([offsets[h] for h in HISTORIES], axis=1)  # (D, H) against none
    lam_hist = weekly_hazard(
        probability_from_effect(p_ref[:, :, None], d[:, None, :]), WEEKS_PER_YEAR
    )
    high = SUBGROUPS["risk"] == RISKS.index("high")
    lam_high = lam_ref[:, np.argmax(high)]
    return {"ref": lam_ref, "hist": lam_hist, "high": lam_high}


def mortality(draws: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Weekly death probabilities, drug-related and other, by state."""
    other_rate = _by(draws, "mortality.other_cause", AGES, "age")  # per 1,000 person-years
    stimulant = SUBGROUPS["drug"] == DRUGS.index("stimulant")
    drd_rate = _by(draws, "mortality.drd_liberty", SEXES, "sex")
    drd_rate = drd_rate * np.where(stimulant, draws["mortality.drd_rr_stimulant"][:, None], 1.0)
    # Released: opioid users in weeks 1-4 take the all-cause rates of Marsden et al. (2017) by
    # OST exposure; the drug-related part is what exceeds other-cause mortality. Stimulant users
    # and weeks 5-12 use the at-liberty rate with Merrall et al. (2010) multipliers.
    k = np.arange(RELEASE_WINDOW_WEEKS)
    mult = np.ones((drd_rate.shape[0], RELEASE_WINDOW_WEEKS))  # (D, K)
    mult[:, :2] = draws["mortality.drd_rr_weeks_1_2"][:, None]
    mult[:, 2:4] = draws["mortality.drd_rr_weeks_3_4"][:, None]
    drd_rel = np.repeat(
        (drd_rate[:, :, None] * mult[:, None, :])[..., None], 2, axis=3
    )  # (D,G,K,2)
    marsden = np.stack(
        [draws["mortality.release_weeks_1_4.no_ost"], draws["mortality.release_weeks_1_4.ost"]],
        axis=1,
    )  # (D, 2)
    opioid_early = np.maximum(marsden[:, None, None, :] - other_rate[:, :, None, None], 0.0)
    early = (~stimulant)[None, :, None, None] & (k < 4)[None, None, :, None]
    drd_rel = np.where(early, np.broadcast_to(opioid_early, drd_rel.shape), drd_rel)
    other_rel = np.where(
        early,
        np.minimum(other_rate[:, :, None, None], marsden[:, None, None, :]),
        other_rate[:, :, None, None],
    )
    return {
        "other": rate_to_weekly_probability(other_rate),
        "drd": rate_to_weekly_probability(drd_rate),
        "drd_rel": rate_to_weekly_probability(drd_rel),
        "other_rel": rate_to_weekly_probability(other_rel),
    }


def run(inputs: ModelInputs, initial: State | None = None) -> dict[str, np.ndarray]:
    """Simulate ``inputs.weeks`` weeks for every draw; return totals of shape (D,) or (D, G)."""
    return run_with_state(inputs, initial)[0]


def run_with_state(
    inputs: ModelInputs, initial: State | None = None
) -> tuple[dict[str, np.ndarray], State]:
    """As :func:`run`, starting from ``initial`` (empty if None); also return the final state."""
    dr = inputs.draws
    n_draws = dr["effect.drug_court"].shape[0]
    P, K = len(PROGRAMMES), RELEASE_WINDOW_WEEKS
    lam = hazards(dr, inputs.comparisons)
    mort = mortality(dr)
    q_ref = -np.expm1(-lam["ref"])  # (D, G)
    q_hist = -np.expm1(-lam["hist"])  # (D, G, H)
    high_hazard = np.maximum(lam["high"], 1e-12)  # crime scales with hazard relative to this
    rel_crime_ref = lam["ref"] / high_hazard[:, None]
    rel_crime_hist = lam["hist"] / high_hazard[:, None, None]
    rel_crime_rel = rel_crime_hist[:, :, HISTORIES.index("custody")]
    q_rel = q_hist[:, :, HISTORIES.index("custody")]  # released: custody effect
    q_prog = np.ascontiguousarray(q_hist[:, :, :P])
    rel_crime_prog = np.ascontiguousarray(rel_crime_hist[:, :, :P])

    exit_p = np.stack(
        [_weekly_exit(dr[f"programme.{p}.duration_weeks"]) for p in PROGRAMMES], axis=1
    )
    complete_p = np.stack([dr[f"programme.{p}.completion"] for p in PROGRAMMES], axis=1)
    breach_custody = dr["programme.breach_to_custody"]
    release_p = _weekly_exit(dr["custody.weeks_served"])
    desist = -np.expm1(np.log1p(-dr["reoffending.desistance_per_year"]) / WEEKS_PER_YEAR)[:, None]
    window = persistence_weeks(dr)  # (D,) whole weeks
    opioid = SUBGROUPS["drug"] == DRUGS.index("opioid")
    ost_share = np.where(opioid[None, :], dr["custody.ost_at_release"][:, None], 0.0)  # (D, G)

    week_cost_prison = dr["cost.prison_per_year"] / WEEKS_PER_YEAR
    week_cost_ost = dr["cost.ost_per_year"] / WEEKS_PER_YEAR
    order_cost = np.stack([dr[f"cost.programme.{p}.per_order"] for p in PROGRAMMES], axis=1)
    crime_week = dr["crime.cost_per_year_high_risk"] / WEEKS_PER_YEAR
    cost_per_crime = np.maximum(dr["crime.cost_per_crime"], 1e-9)
    cjs_per_reconviction = dr["cost.cjs_per_proven_reoffence"]
    vpf = dr["value.prevented_fatality"] if inputs.value_deaths else np.zeros(n_draws)

    survive_lib = 1.0 - mort["drd"] - mort["other"]
    survive_other = 1.0 - mort["other"]
    survive_rel = 1.0 - mort["drd_rel"] - mort["other_rel"]
    start = initial if initial is not None else State.empty(n_draws)
    free_ref, free_hist, prog = start.free_ref.copy(), start.free_hist.copy(), start.prog.copy()
    custody, desisted = start.custody.copy(), start.desisted.copy()
    released, resentence = start.released.copy(), start.resentence.copy()
    ring_size = int(window.max()) + 1
    ring = _ring(start, n_draws, ring_size)
    # Weekly share of people in a persistence window who stay in it (not dead, reconvicted or
    # desisted); a cohort's survivors after its whole window are its entries x stay ** window.
    stay = survive_lib[:, :, None] * (1.0 - q_hist) * (1.0 - desist[:, :, None])
    stay_window = stay ** window[:, None, None]
    same_window = bool(np.all(window == window[0]))
    draw_index = np.arange(n_draws)

    tot = {
        name: np.zeros((n_draws, N_SUBGROUPS))
        for name in (
            "arrivals",
            "reconvictions",
            "crimes",
            "deaths_drug",
            "deaths_other",
            "custody_weeks",
            "custody_receptions",
            "completions",
            "starts",
            "breaches",
            "person_years_released",
            "deaths_released",
        )
    }
    peak_p = np.zeros((n_draws, P))
    starts_p = np.zeros((n_draws, P))
    completions_p = np.zeros((n_draws, P))
    money = {
        name: np.zeros(n_draws)
        for name in (
            "cost_prison",
            "cost_programmes",
            "cost_ost",
            "cost_cjs",
            "cost_crime_victims",
            "cost_deaths",
        )
    }
    series_prison = np.zeros((n_draws, inputs.weeks)) if inputs.keep_series else None
    series_reconv = np.zeros((n_draws, inputs.weeks)) if inputs.keep_series else None
    mix = inputs.mix
    capped = [(PROGRAMMES.index(p), DISPOSALS.index(p), cap) for p, cap in inputs.capacity.items()]
    entrants = np.asarray(inputs.entrants_per_week, dtype=float).reshape(-1, 1)  # (1 or D, 1)
    weekly_entrants = np.broadcast_to(entrants * inputs.shares[None, :], (n_draws, N_SUBGROUPS))

    health_rate = (
        inputs.discount_rate if inputs.health_discount_rate is None else inputs.health_discount_rate
    )
    for t in range(inputs.weeks):
        clock = start.clock + t
        disc = discount_factor(inputs.discount_rate, t / WEEKS_PER_YEAR)  # (D,)
        disc_health = discount_factor(health_rate, t / WEEKS_PER_YEAR)
        arrivals = weekly_entrants + resentence
        alloc = arrivals[:, :, None] * mix[None, :, :]  # (D, G, 6)
        for pi, di, cap in capped:
            want = alloc[:, :, di].sum(axis=1)
            room = np.maximum(cap - prog[:, :, pi].sum(axis=1), 0.0)
            frac = np.where(want > room, room / np.maximum(want, 1e-12), 1.0)
            over = alloc[:, :, di] * (1.0 - frac)[:, None]
            alloc[:, :, di] -= over
            alloc[:, :, DISPOSALS.index(inputs.overflow[PROGRAMMES[pi]])] += over
        tot["arrivals"] += arrivals
        free_ref += alloc[:, :, 0]
        prog += alloc[:, :, 1 : 1 + P]
        peak_p = np.maximum(peak_p, prog.sum(axis=1))  # right after starts: capacity binds here
        custody += alloc[:, :, 1 + P]
        tot["custody_receptions"] += alloc[:, :, 1 + P]
        tot["starts"] += alloc[:, :, 1 : 1 + P].sum(axis=2)
        starts_p += alloc[:, :, 1 : 1 + P].sum(axis=1)
        money["cost_programmes"] += disc * (alloc[:, :, 1 : 1 + P].sum(axis=1) * order_cost).sum(
            axis=1
        )

        # Deaths.
        at_liberty = free_ref + free_hist.sum(axis=2) + prog.sum(axis=2)
        rel_drug = np.einsum("dgko,dgko->dg", released, mort["drd_rel"])
        rel_other = np.einsum("dgko,dgko->dg", released, mort["other_rel"])
        d_drug = at_liberty * mort["drd"] + rel_drug
        d_other = (at_liberty + custody + desisted) * mort["other"] + rel_other
        tot["deaths_drug"] += d_drug
        tot["deaths_other"] += d_other
        tot["deaths_released"] += rel_drug + rel_other
        tot["person_years_released"] += released.sum(axis=(2, 3)) * (7.0 / 365.25)
        free_ref *= survive_lib
        free_hist *= survive_lib[:, :, None]
        prog *= survive_lib[:, :, None]
        custody *= survive_other
        desisted *= survive_other
        released *= survive_rel
        money["cost_deaths"] += disc_health * vpf * d_drug.sum(axis=1)

        # Reconvictions and the crimes behind them.
        r_ref = free_ref * q_ref
        r_hist = free_hist * q_hist
        rel_alive = released.sum(axis=(2, 3))
        r_rel = rel_alive * q_rel  # one hazard for the whole release window
        resentence = r_ref + r_hist.sum(axis=2) + r_rel
        reconv = resentence + np.einsum("dgp,dgp->dg", prog, q_prog)
        crime_load = (
            free_ref * rel_crime_ref
            + np.einsum("dgh,dgh->dg", free_hist, rel_crime_hist)
            + np.einsum("dgp,dgp->dg", prog, rel_crime_prog)
            + rel_alive * rel_crime_rel
        )  # people-weeks at the high-risk reference rate of offending
        crime_cost = crime_load * crime_week[:, None]
        tot["reconvictions"] += reconv
        tot["crimes"] += crime_cost / cost_per_crime[:, None]
        money["cost_crime_victims"] += disc * crime_cost.sum(axis=1)
        money["cost_cjs"] += disc * cjs_per_reconviction * reconv.sum(axis=1)
        free_ref -= r_ref
        free_hist -= r_hist
        released *= 1.0 - q_rel[:, :, None, None]

        # Programme exits: completion or breach.
        exits = prog * exit_p[:, None, :]
        done = exits * complete_p[:, None, :]
        breach = exits - done
        to_custody = breach * breach_custody[:, None, None]
        prog -= exits
        entering = np.zeros_like(free_hist)  # into a persistence window this week
        entering[:, :, :P] = exits - to_custody
        custody += to_custody.sum(axis=2)
        tot["custody_receptions"] += to_custody.sum(axis=2)
        tot["completions"] += done.sum(axis=2)
        tot["breaches"] += breach.sum(axis=2)
        completions_p += done.sum(axis=1)

        # Prison: bed-days this week, then releases.
        tot["custody_weeks"] += custody
        money["cost_prison"] += disc * week_cost_prison * custody.sum(axis=1)
        money["cost_ost"] += disc * week_cost_ost * released[:, :, :, 1].sum(axis=(1, 2))
        out = custody * release_p[:, None]
        custody -= out
        leaving_window = released[:, :, K - 1, :].sum(axis=2)
        released[:, :, 1:, :] = released[:, :, :-1, :]
        released[:, :, 0, 1] = out * ost_share
        released[:, :, 0, 0] = out * (1.0 - ost_share)

        entering[:, :, HISTORIES.index("custody")] = leaving_window

        # Leaving the pathway: stopping problem drug use and offending (no longer at risk).
        stop_ref, stop_hist = free_ref * desist, free_hist * desist[:, :, None]
        free_ref -= stop_ref
        free_hist -= stop_hist
        desisted += stop_ref + stop_hist.sum(axis=2)

        # End of the persistence window: the people who entered it ``window`` weeks ago and are
        # still in it go back to the reference hazard; this week's entrants start their window.
        if same_window:
            entered = ring[(clock - int(window[0])) % ring_size]
        else:
            entered = ring[(clock - window) % ring_size, draw_index]
        ending = np.minimum(entered * stay_window, free_hist)
        free_hist -= ending
        free_ref += ending.sum(axis=2)
        ring[clock % ring_size] = entering
        free_hist += entering

        if series_prison is not None:
            series_prison[:, t] = custody.sum(axis=1)
            series_reconv[:, t] = reconv.sum(axis=1)

    result: dict[str, np.ndarray] = {f"by_group.{k}": v for k, v in tot.items()}
    result.update(money)
    for i, p in enumerate(PROGRAMMES):
        result[f"starts.{p}"] = starts_p[:, i]
        result[f"completions.{p}"] = completions_p[:, i]
        result[f"peak_places.{p}"] = peak_p[:, i]
    result["desisted_at_end"] = desisted.sum(axis=1)
    final = State(
        free_ref,
        free_hist,
        prog,
        custody,
        desisted,
        released,
        resentence,
        hist_ring=ring,
        clock=start.clock + inputs.weeks,
    )
    result["alive_at_end"] = final.people()
    result["prison_bed_days"] = tot["custody_weeks"].sum(axis=1) * 7.0
    result["prison_population_avg"] = tot["custody_weeks"].sum(axis=1) / max(inputs.weeks, 1)
    if series_prison is not None:
        result["series.prison_population"] = series_prison
        result["series.reconvictions"] = series_reconv
    return result, final
