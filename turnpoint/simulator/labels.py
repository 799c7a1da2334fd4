"""Words people use for the simulator's parameters, for charts, tables and messages."""

from __future__ import annotations

from turnpoint.simulator.model import AGES, PROGRAMMES, SEXES

PROGRAMME_WORDS = {
    "diversion": "pre-trial diversion",
    "dtto": "treatment order with court review (DTTO-like)",
    "cpo": "treatment order without court review (CPO-like)",
    "drug_court": "drug treatment court",
    "custody": "short custody",
}


def _labels() -> dict[str, str]:
    out = {
        "reoffending.reference_one_year.high": "Reconvicted within a year, higher risk",
        "reoffending.reference_one_year.low": "Reconvicted within a year, lower risk",
        "reoffending.persistence_weeks": "Weeks an effect lasts after a programme",
        "reoffending.desistance_per_year": "Chance a year of stopping offending",
        "mortality.drd_rr_stimulant": "Drug death risk of stimulant users (times opioid users')",
        "mortality.drd_rr_weeks_1_2": "Drug death risk in weeks 1-2 after release (times usual)",
        "mortality.drd_rr_weeks_3_4": "Drug death risk in weeks 3-4 after release (times usual)",
        "mortality.release_weeks_1_4.ost": "Deaths in 4 weeks after release, with OST",
        "mortality.release_weeks_1_4.no_ost": "Deaths in 4 weeks after release, without OST",
        "programme.breach_to_custody": "Share of breached orders ending in custody",
        "custody.weeks_served": "Weeks served in custody",
        "custody.ost_at_release": "Share of opioid users released on OST",
        "cost.prison_per_year": "Prison cost per prisoner a year",
        "cost.ost_per_year": "OST cost per person a year",
        "cost.cjs_per_proven_reoffence": "Justice cost per proven reoffence",
        "crime.cost_per_year_high_risk": "Cost of crime a year, person at higher risk",
        "crime.cost_per_crime": "Average cost per crime",
        "value.prevented_fatality": "Value of a prevented death",
        "economics.discount_rate": "Discount rate for money",
        "economics.health_discount_rate": "Discount rate for health",
    }
    for h, words in PROGRAMME_WORDS.items():
        out[f"effect.{h}"] = f"Effect on reconviction: {words}"
    for p in PROGRAMMES:
        words = PROGRAMME_WORDS[p]
        out[f"programme.{p}.duration_weeks"] = f"Weeks in {words}"
        out[f"programme.{p}.completion"] = f"Share completing {words}"
        out[f"cost.programme.{p}.per_order"] = f"Cost per person starting {words}"
    for a in AGES:
        out[f"mortality.other_cause.{a}"] = f"Deaths from other causes, aged {a}"
    for s in SEXES:
        people = "men" if s == "male" else "women"
        out[f"mortality.drd_liberty.{s}"] = f"Drug-related deaths at liberty, {people}"
    return out


LABELS = _labels()


def label(name: str) -> str:
    """Words people use for a parameter (its dotted name when no label is known)."""
    return LABELS.get(name, name)
