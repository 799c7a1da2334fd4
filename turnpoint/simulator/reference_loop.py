"""A straightforward person-by-person, week-by-week version of the model, for one draw.

It exists for two reasons: as the plain baseline the benchmark measures the vectorised model
against, and as an independent check that the cohort arithmetic in model.py moves people the way
the pathway says (tests compare the two). It draws individual events with ``random.Random``
seeded by the caller and uses the same weekly probabilities as the model.
"""

from __future__ import annotations

import math
import random

import numpy as np

from turnpoint.simulator import model


def _scalar_draws(draws: dict[str, np.ndarray], index: int) -> dict[str, np.ndarray]:
    return {name: values[index : index + 1] for name, values in draws.items()}


def run_people(
    inputs: model.ModelInputs, *, draw: int = 0, seed: int = 0, scale: float = 1.0
) -> dict[str, float]:
    """Simulate ``scale`` x the inflow as individuals for draw ``draw``; totals are divided by
    ``scale`` so they estimate the full population's."""
    rnd = random.Random(seed)
    d = _scalar_draws(inputs.draws, draw)
    lam, mort = model.hazards(d, inputs.comparisons), model.mortality(d)
    G, P, K = model.N_SUBGROUPS, len(model.PROGRAMMES), model.RELEASE_WINDOW_WEEKS
    q_ref = (-np.expm1(-lam["ref"][0])).tolist()
    q_hist = (-np.expm1(-lam["hist"][0])).tolist()
    custody_h = model.HISTORIES.index("custody")
    p_drd, p_oth = mort["drd"][0].tolist(), mort["other"][0].tolist()
    p_drd_rel, p_oth_rel = mort["drd_rel"][0].tolist(), mort["other_rel"][0].tolist()

    def exit_prob(weeks: float) -> float:
        return -math.expm1(-1.0 / max(weeks, 1e-9))

    p_exit = [exit_prob(float(d[f"programme.{p}.duration_weeks"][0])) for p in model.PROGRAMMES]
    p_complete = [float(d[f"programme.{p}.completion"][0]) for p in model.PROGRAMMES]
    p_breach_custody = float(d["programme.breach_to_custody"][0])
    p_release = exit_prob(float(d["custody.weeks_served"][0]))
    window = int(model.persistence_weeks(d)[0])  # weeks an effect lasts after leaving
    p_desist = -math.expm1(math.log1p(-float(d["reoffending.desistance_per_year"][0])) / 52.1786)
    p_ost = float(d["custody.ost_at_release"][0])
    opioid = (model.SUBGROUPS["drug"] == model.DRUGS.index("opioid")).tolist()
    groups, mix = list(range(G)), inputs.mix.tolist()
    shares = inputs.shares.tolist()
    caps = {model.PROGRAMMES.index(p): c for p, c in inputs.capacity.items()}
    overflow = {model.PROGRAMMES.index(p): t for p, t in inputs.overflow.items()}

    # A person is [group, state, detail]: state "ref", "hist" (detail (h, weeks in the window)),
    # "prog" (p), "custody", "rel" (detail (k, ost)), "desisted". Dead people are dropped.
    entrants_per_week = float(np.asarray(inputs.entrants_per_week).reshape(-1)[0])
    if np.ndim(inputs.entrants_per_week):
        entrants_per_week = float(np.asarray(inputs.entrants_per_week)[draw])
    people: list[list] = []
    waiting: list[int] = []  # groups of people reconvicted last week, back at the decision
    occupancy = [0] * P
    totals = dict.fromkeys(
        ("reconvictions", "deaths_drug", "deaths_other", "custody_weeks", "completions"), 0.0
    )
    carry = 0.0

    def allocate(g: int) -> None:
        disposal = model.DISPOSALS[rnd.choices(range(len(mix[g])), mix[g])[0]]
        if disposal in model.PROGRAMMES:
            p = model.PROGRAMMES.index(disposal)
            if p in caps and occupancy[p] + 1 > caps[p] * scale:
                disposal = overflow[p]
        if disposal == "none":
            people.append([g, "ref", None])
        elif disposal == "custody":
            people.append([g, "custody", None])
        else:
            p = model.PROGRAMMES.index(disposal)
            occupancy[p] += 1
            people.append([g, "prog", p])

    for _week in range(inputs.weeks):
        carry += entrants_per_week * scale
        arriving = int(carry)
        carry -= arriving
        for g in rnd.choices(groups, shares, k=arriving) + waiting:
            allocate(g)
        waiting = []
        survivors = []
        for person in people:
            g, state, detail = person
            u = rnd.random()
            if state == "rel":
                k, ost = detail
                drd, oth = p_drd_rel[g][k][ost], p_oth_rel[g][k][ost]
            elif state in ("custody", "desisted"):
                drd, oth = 0.0, p_oth[g]
            else:
                drd, oth = p_drd[g], p_oth[g]
            if u < drd + oth:
                totals["deaths_drug" if u < drd else "deaths_other"] += 1
                if state == "prog":
                    occupancy[detail] -= 1
                continue
            if state in ("ref", "hist", "rel", "prog"):
                q = {"ref": q_ref[g], "rel": q_hist[g][custody_h]}.get(state)
                if q is None:
                    q = q_hist[g][detail[0] if state == "hist" else detail]
                if rnd.random() < q:
                    totals["reconvictions"] += 1
                    if state != "prog":
                        waiting.append(g)
                        continue
            if state == "prog" and rnd.random() < p_exit[detail]:
                occupancy[detail] -= 1
                if rnd.random() < p_complete[detail]:
                    totals["completions"] += 1
                    person[1], person[2] = "hist", (detail, 0)
                elif rnd.random() < p_breach_custody:
                    person[1], person[2] = "custody", None
                else:
                    person[1], person[2] = "hist", (detail, 0)
            elif state == "rel":
                k, ost = detail
                left_window = k + 1 == K
                person[1], person[2] = (
                    ("hist", (custody_h, 0)) if left_window else ("rel", (k + 1, ost))
                )
            elif state == "hist":
                person[2] = (detail[0], detail[1] + 1)  # one more week in the window
            if person[1] == "custody":
                totals["custody_weeks"] += 1
                if rnd.random() < p_release:
                    person[1], person[2] = "rel", (0, int(opioid[g] and rnd.random() < p_ost))
                survivors.append(person)
                continue
            if person[1] in ("ref", "hist") and rnd.random() < p_desist:
                person[1] = "desisted"
            if person[1] == "hist" and person[2][1] == window:  # the effect stops
                person[1], person[2] = "ref", None
            survivors.append(person)
        people = survivors
    return {k: v / scale for k, v in totals.items()}
