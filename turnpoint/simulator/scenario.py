"""Scenario files: a jurisdiction's inflow, disposal mix, capacities, overrides and horizon.

A scenario is YAML (see scenarios/ at the repository root and docs/simulator.md). Loading it
validates every key; anything wrong raises :class:`SimulatorInputError` naming the file, the key and
the reason, before any simulation runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from turnpoint.simulator.errors import SimulatorInputError
from turnpoint.simulator.model import (
    AGES,
    DISPOSALS,
    DRUGS,
    HISTORIES,
    N_SUBGROUPS,
    PROGRAMMES,
    RISKS,
    SEXES,
    SUBGROUPS,
)
from turnpoint.simulator.parameters import (
    LIBRARY_DIR,
    Parameter,
    load_library,
    override_parameter,
    parameter_rng,
    parse_yaml,
    read_yaml,
)

TOP_KEYS = {
    "extends",
    "warm_up_years",
    "name",
    "title",
    "jurisdiction",
    "description",
    "compare_to",
    "horizon_years",
    "inflow",
    "disposal_mix",
    "capacity",
    "overflow",
    "value_deaths",
    "deadweight_cost_of_taxation",
    "parameters",
}
REQUIRED_TOP = ("name", "title", "jurisdiction", "horizon_years", "inflow", "disposal_mix")
DIMENSIONS = {"sex": SEXES, "age": AGES, "risk": RISKS, "drug": DRUGS}


def required_parameter_names() -> list[str]:
    """Every parameter the model reads, in a stable order."""
    names = [f"reoffending.reference_one_year.{r}" for r in RISKS]
    names += ["reoffending.persistence_weeks", "reoffending.desistance_per_year"] + [
        f"effect.{h}" for h in HISTORIES
    ]
    names += [f"mortality.other_cause.{a}" for a in AGES]
    names += [f"mortality.drd_liberty.{s}" for s in SEXES]
    names += [
        "mortality.drd_rr_stimulant",
        "mortality.drd_rr_weeks_1_2",
        "mortality.drd_rr_weeks_3_4",
        "mortality.release_weeks_1_4.ost",
        "mortality.release_weeks_1_4.no_ost",
        "programme.breach_to_custody",
        "custody.weeks_served",
        "custody.ost_at_release",
    ]
    for p in PROGRAMMES:
        names += [f"programme.{p}.duration_weeks", f"programme.{p}.completion"]
        names.append(f"cost.programme.{p}.per_order")
    names += [
        "cost.prison_per_year",
        "cost.ost_per_year",
        "cost.cjs_per_proven_reoffence",
        "crime.cost_per_year_high_risk",
        "crime.cost_per_crime",
        "value.prevented_fatality",
        "economics.discount_rate",
        "economics.health_discount_rate",
    ]
    return names


@dataclass
class Scenario:
    name: str
    title: str
    jurisdiction: str
    horizon_years: int
    entrants_per_year: float | None  # new people a year; None until derived from arrivals
    shares: np.ndarray  # (G,)
    mix: np.ndarray  # (G, len(DISPOSALS)): disposal shares for each subgroup
    params: dict[str, Parameter]
    file: str
    description: str = ""
    arrivals_per_year: float | None = None  # everyone at the decision in a year, new or returning
    warm_up_years: int = 0
    deadweight_cost_of_taxation: float = 0.0  # WSIPP uses 0.5; HM Treasury appraisal uses none
    compare_to: Path | None = None
    capacity: dict[str, float] = field(default_factory=dict)
    overflow: dict[str, str] = field(default_factory=dict)
    value_deaths: bool = True
    sources: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)  # not found, counted as zero

    @property
    def weeks(self) -> int:
        return round(self.horizon_years * 365.25 / 7)

    @property
    def comparisons(self) -> dict[str, str]:
        """Parameter name -> the disposal its source compared with, where one is stated."""
        return {
            name: p.comparison
            for name, p in self.params.items()
            if p.comparison is not None and p.comparison != "none"
        }

    @property
    def assumptions(self) -> list[Parameter]:
        return [p for p in self.params.values() if p.status == "assumption"]

    def draw(self, runs: int, seed: int) -> dict[str, np.ndarray]:
        """Sample every parameter ``runs`` times, each with a generator built from ``seed``."""
        out = {}
        for name in required_parameter_names():
            param = self.params[name]
            if param.is_missing:
                out[name] = np.zeros(runs)
            else:
                out[name] = param.sample(parameter_rng(seed, name), runs)
        return out


def _number(
    file: str, key: str, value: Any, *, low: float = 0.0, high: float | None = None
) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SimulatorInputError(file, key, f"must be a number (got {value!r})")
    if not math.isfinite(value):
        raise SimulatorInputError(file, key, f"must be a finite number (got {value!r})")
    if value < low:
        what = "a count or cost" if high is None else "a probability"
        raise SimulatorInputError(file, key, f"is {what} and must not be below {low} (got {value})")
    if high is not None and value > high:
        raise SimulatorInputError(
            file, key, f"is a probability and must be between 0 and 1 (got {value})"
        )
    return float(value)


def _mapping(file: str, key: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SimulatorInputError(file, key, "must be a mapping")
    return value


def _source(file: str, key: str, block: dict[str, Any]) -> str:
    text = block.get("source")
    if not isinstance(text, str) or not text.strip():
        raise SimulatorInputError(
            file, f"{key}.source", "is missing: every figure needs its source"
        )
    return text.strip()


def _shares(file: str, key: str, block: Any, labels: tuple[str, ...]) -> np.ndarray:
    block = _mapping(file, key, block)
    for label in block:
        if label not in labels:
            raise SimulatorInputError(
                file, f"{key}.{label}", f"unknown key; expected {', '.join(labels)}"
            )
    values = []
    for label in labels:
        if label not in block:
            raise SimulatorInputError(file, f"{key}.{label}", "is missing")
        values.append(_number(file, f"{key}.{label}", block[label], high=1.0))
    if abs(sum(values) - 1.0) > 1e-6:
        raise SimulatorInputError(
            file, key, f"shares must add up to 1 (they add up to {sum(values):.6g})"
        )
    return np.array(values)


def _inflow(file: str, block: Any) -> tuple[float | None, float | None, np.ndarray, dict[str, str]]:
    block = _mapping(file, "inflow", block)
    for key in block:
        if key not in ("entrants_per_year", "arrivals_per_year", "source", "shares"):
            raise SimulatorInputError(file, f"inflow.{key}", "unknown key")
    sources = {"inflow": _source(file, "inflow", block)}
    given = [k for k in ("entrants_per_year", "arrivals_per_year") if k in block]
    if len(given) != 1:
        raise SimulatorInputError(
            file, "inflow", "give exactly one of entrants_per_year and arrivals_per_year"
        )
    number = _number(file, f"inflow.{given[0]}", block[given[0]])
    entrants = number if given[0] == "entrants_per_year" else None
    arrivals = number if given[0] == "arrivals_per_year" else None
    shares_block = _mapping(file, "inflow.shares", block.get("shares"))
    for key in shares_block:
        if key not in DIMENSIONS and key != "source":
            raise SimulatorInputError(file, f"inflow.shares.{key}", "unknown key")
    sources["inflow.shares"] = _source(file, "inflow.shares", shares_block)
    shares = np.ones(N_SUBGROUPS)
    for dim, labels in DIMENSIONS.items():
        dim_shares = _shares(file, f"inflow.shares.{dim}", shares_block.get(dim), labels)
        shares = shares * dim_shares[SUBGROUPS[dim]]
    return entrants, arrivals, shares, sources


def _disposals(file: str, data: dict[str, Any]) -> tuple[np.ndarray, dict, dict, str]:
    block = _mapping(file, "disposal_mix", data["disposal_mix"])
    for key in block:
        if key not in ("source", "shares", "by_risk"):
            raise SimulatorInputError(file, f"disposal_mix.{key}", "unknown key")
    source = _source(file, "disposal_mix", block)
    flat = _shares(file, "disposal_mix.shares", block.get("shares"), DISPOSALS)
    # One row of shares per subgroup; by_risk replaces the row for a risk level (R7: match the
    # intensity of a disposal to the risk of reoffending).
    by_risk = {r: flat for r in RISKS}
    for risk, table in _mapping(file, "disposal_mix.by_risk", block.get("by_risk") or {}).items():
        if risk not in RISKS:
            raise SimulatorInputError(
                file, f"disposal_mix.by_risk.{risk}", f"unknown risk level; use {', '.join(RISKS)}"
            )
        by_risk[risk] = _shares(file, f"disposal_mix.by_risk.{risk}", table, DISPOSALS)
    mix = np.stack([by_risk[RISKS[r]] for r in SUBGROUPS["risk"]])  # (G, disposals)
    capacity = {}
    for prog, cap in _mapping(file, "capacity", data.get("capacity") or {}).items():
        if prog not in PROGRAMMES:
            raise SimulatorInputError(
                file, f"capacity.{prog}", f"unknown programme; use {', '.join(PROGRAMMES)}"
            )
        if cap is not None:
            capacity[prog] = _number(file, f"capacity.{prog}", cap)
    overflow = {p: "custody" for p in PROGRAMMES}
    for prog, target in _mapping(file, "overflow", data.get("overflow") or {}).items():
        if prog not in PROGRAMMES:
            raise SimulatorInputError(
                file, f"overflow.{prog}", f"unknown programme; use {', '.join(PROGRAMMES)}"
            )
        if target not in DISPOSALS or target in capacity or target == prog:
            raise SimulatorInputError(
                file,
                f"overflow.{prog}",
                f"must be a disposal without a capacity limit (got {target!r})",
            )
        overflow[prog] = target
    return mix, capacity, overflow, source


def _unused(name: str, programmes: set[str]) -> bool:
    """Figures of a programme nobody can enter are not needed (they are drawn as zero)."""
    parts = name.split(".")
    return (
        parts[0] in ("programme", "effect")
        and parts[1] in PROGRAMMES
        and parts[1] not in programmes
    ) or (parts[:2] == ["cost", "programme"] and parts[2] not in programmes)


def _comparison_loop(params: dict[str, Parameter]) -> str | None:
    """The first effect whose chain of comparisons comes back to itself, if any."""
    for h in HISTORIES:
        seen, at = [], h
        while at != "none":
            if at in seen:
                return f"effect.{h}"
            seen.append(at)
            param = params.get(f"effect.{at}")
            at = (param.comparison if param is not None else None) or "none"
    return None


def _parameters(
    file: str, jurisdiction: str, overrides: Any, programmes: set[str]
) -> tuple[dict[str, Parameter], list[str]]:
    params = load_library(jurisdiction)
    for name, entry in _mapping(file, "parameters", overrides or {}).items():
        params[str(name)] = override_parameter(params.get(str(name)), file, str(name), entry)
    seen_loop = _comparison_loop(params)
    if seen_loop:
        raise SimulatorInputError(
            file, f"parameters.{seen_loop}.comparison", "effects' comparisons form a loop"
        )
    missing = []
    for name in required_parameter_names():
        param = params.get(name)
        if param is None:
            raise SimulatorInputError(
                f"parameters/{jurisdiction}.yaml",
                name,
                "is required by the model but not in the library",
            )
        if param.is_missing:
            if _unused(name, programmes):
                continue
            if param.if_missing == "zero":
                missing.append(name)
                continue
            raise SimulatorInputError(
                file,
                f"parameters.{name}",
                f"has no published value ({param.source}); give an assumption with value, "
                "distribution, source and status: assumption",
            )
    return params, missing


def scenario_from_data(data: Any, file: str, base_dir: Path | None = None) -> Scenario:
    """Validate parsed YAML and build a :class:`Scenario`."""
    data = _mapping(file, "(top level)", data)
    for key in data:
        if key not in TOP_KEYS:
            raise SimulatorInputError(file, str(key), "unknown key")
    for key in REQUIRED_TOP:
        if key not in data:
            raise SimulatorInputError(file, key, "is missing")
    for key in ("name", "title", "jurisdiction"):
        if not isinstance(data[key], str) or not data[key].strip():
            raise SimulatorInputError(file, key, "must be a non-empty text")
    jurisdiction = data["jurisdiction"]
    known = sorted(p.stem for p in LIBRARY_DIR.glob("*.yaml") if p.stem != "common")
    if jurisdiction not in known:
        raise SimulatorInputError(file, "jurisdiction", f"unknown; use one of {', '.join(known)}")
    horizon = data["horizon_years"]
    if isinstance(horizon, bool) or not isinstance(horizon, int) or not 1 <= horizon <= 50:
        raise SimulatorInputError(
            file, "horizon_years", f"must be a whole number of years, 1 to 50 (got {horizon!r})"
        )
    entrants, arrivals, shares, sources = _inflow(file, data["inflow"])
    warm_up = data.get("warm_up_years", 0)
    if isinstance(warm_up, bool) or not isinstance(warm_up, int) or not 0 <= warm_up <= 60:
        raise SimulatorInputError(
            file, "warm_up_years", f"must be a whole number of years, 0 to 60 (got {warm_up!r})"
        )
    mix, capacity, overflow, mix_source = _disposals(file, data)
    sources["disposal_mix"] = mix_source
    programmes = {p for p in PROGRAMMES if mix[:, DISPOSALS.index(p)].max() > 0}
    programmes |= {t for p, t in overflow.items() if p in programmes and t in PROGRAMMES}
    params, missing = _parameters(file, jurisdiction, data.get("parameters"), programmes)
    compare_to = None
    if data.get("compare_to"):
        if not isinstance(data["compare_to"], str):
            raise SimulatorInputError(file, "compare_to", "must be a file name")
        compare_to = (base_dir or Path(".")) / data["compare_to"]
    deadweight = _number(
        file, "deadweight_cost_of_taxation", data.get("deadweight_cost_of_taxation", 0.0), high=1.0
    )
    value_deaths = data.get("value_deaths", True)
    if not isinstance(value_deaths, bool):
        raise SimulatorInputError(file, "value_deaths", "must be true or false")
    return Scenario(
        name=data["name"].strip(),
        title=data["title"].strip(),
        jurisdiction=jurisdiction,
        horizon_years=horizon,
        entrants_per_year=entrants,
        arrivals_per_year=arrivals,
        warm_up_years=warm_up,
        deadweight_cost_of_taxation=deadweight,
        shares=shares,
        mix=mix,
        params=params,
        file=file,
        description=str(data.get("description") or ""),
        compare_to=compare_to,
        capacity=capacity,
        overflow=overflow,
        value_deaths=value_deaths,
        sources=sources,
        missing=missing,
    )


def _merge(base: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    """``own`` over ``base``. Nested mappings merge, but each parameter override and each share
    table is replaced whole, so that no half-old, half-new figure results."""
    out = dict(base)
    for key, value in own.items():
        if key == "parameters" and isinstance(out.get(key), dict) and isinstance(value, dict):
            out[key] = {**out[key], **value}
        elif (
            key not in ("shares", "by_risk")
            and isinstance(value, dict)
            and isinstance(out.get(key), dict)
        ):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def resolve_extends(data: Any, file: str, base_dir: Path | None, seen: tuple[str, ...] = ()) -> Any:
    """Merge the scenario named by ``extends`` (a file beside this one) under this one."""
    if not isinstance(data, dict) or "extends" not in data:
        return data
    parent_name = data["extends"]
    if not isinstance(parent_name, str) or not parent_name.strip():
        raise SimulatorInputError(file, "extends", "must be a scenario file name")
    parent_path = (base_dir or Path(".")) / parent_name
    if str(parent_path) in seen:
        raise SimulatorInputError(file, "extends", "forms a loop")
    parent = read_yaml(parent_path, str(parent_path))
    if not isinstance(parent, dict):
        raise SimulatorInputError(str(parent_path), "(top level)", "must be a mapping")
    parent = resolve_extends(
        parent, str(parent_path), parent_path.parent, (*seen, str(parent_path))
    )
    own = {k: v for k, v in data.items() if k != "extends"}
    parent.pop("compare_to", None)
    return _merge(parent, own)


def load_scenario(path: Path | str) -> Scenario:
    path = Path(path)
    data = resolve_extends(read_yaml(path, str(path)), str(path), path.parent)
    return scenario_from_data(data, str(path), path.parent)


def scenario_from_text(
    text: str, label: str = "scenario", base_dir: Path | None = None
) -> Scenario:
    data = resolve_extends(parse_yaml(text, label), label, base_dir)
    return scenario_from_data(data, label, base_dir)
