"""The parameter library: every figure the model uses, with its distribution and its provenance.

A library file is YAML mapping a dotted parameter name to an entry::

    mortality.release_weeks_1_4.no_ost:
      value: 36.7
      unit: rate_per_1000py
      distribution: {type: gamma, shape: 18}
      source: "Marsden et al. 2017, Addiction 112(8):1408-1418"
      year: 2017
      currency: null
      price_base: null
      basis: n/a
      status: read

``status`` says how far the figure was checked (shared/reference/costs.md): ``read``, ``verify``,
``derived``, ``not_found`` (no value; a scenario must supply an assumption or the entry must say
``if_missing: zero``) or ``assumption`` (a value supplied by an analyst, never a published figure).
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from turnpoint.simulator.errors import SimulatorInputError

LIBRARY_DIR = Path(__file__).parent / "parameters"

REQUIRED_KEYS = (
    "value",
    "unit",
    "distribution",
    "source",
    "year",
    "currency",
    "price_base",
    "basis",
    "status",
)
OPTIONAL_KEYS = ("url", "note", "if_missing", "comparison")
# What a rate was observed after, or what an effect was measured against (a disposal).
COMPARISONS = ("none", "diversion", "dtto", "cpo", "drug_court", "custody")
STATUSES = ("read", "verify", "derived", "not_found", "assumption")
BASES = ("average", "marginal", "n/a")
PROBABILITY_UNITS = ("probability",)
SIGNED_UNITS = ("effect_size_d",)
NON_NEGATIVE_UNITS = (
    "rate_per_1000py",
    "weeks",
    "count",
    "count_per_year",
    "ratio",
    "crimes_per_year",
    "GBP_per_year",
    "GBP_per_order",
    "GBP_per_crime",
    "GBP_per_event",
    "GBP",
    "USD",
    "discount_rate",
)
UNITS = PROBABILITY_UNITS + SIGNED_UNITS + NON_NEGATIVE_UNITS
MONEY_PREFIXES = ("GBP", "USD")
MONEY_DISTRIBUTIONS = ("gamma", "fixed")
DISTRIBUTIONS = {
    "fixed": (),
    "normal": ("sd",),
    "beta": ("sd",),
    "gamma": ("shape",),
    "lognormal": ("low", "high"),
    "triangular": ("low", "high"),
    "uniform": ("low", "high"),
}


@dataclass(frozen=True)
class Parameter:
    """One figure with its provenance; ``value`` is the point estimate (None if not found)."""

    name: str
    value: float | None
    unit: str
    distribution: dict[str, Any]
    source: str
    year: int | str | None
    currency: str | None
    price_base: str | None
    basis: str
    status: str
    url: str | None = None
    note: str | None = None
    if_missing: str | None = None
    comparison: str | None = None  # the disposal the source compared with (rates: observed after)
    origin: str = field(default="", compare=False)

    @property
    def is_missing(self) -> bool:
        return self.value is None

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` values; the distribution is anchored on ``value`` (mean, median or mode)."""
        if self.value is None:
            raise SimulatorInputError(self.origin, self.name, "has no value (status not_found)")
        v = float(self.value)
        d = self.distribution
        kind = d["type"]
        if kind == "fixed":
            return np.full(n, v)
        if kind == "normal":
            return rng.normal(v, d["sd"], n)
        if kind == "beta":
            a, b = beta_shapes(v, d["sd"])
            return rng.beta(a, b, n)
        if kind == "gamma":
            k = float(d["shape"])
            return rng.gamma(k, v / k, n)
        if kind == "lognormal":
            # value is the median; low/high a 95% interval.
            sigma = (math.log(d["high"]) - math.log(d["low"])) / (2 * 1.959964)
            return v * np.exp(rng.normal(0.0, sigma, n))
        if kind == "triangular":
            return rng.triangular(d["low"], v, d["high"], n)
        if kind == "uniform":
            return rng.uniform(d["low"], d["high"], n)
        raise AssertionError(kind)  # validated on load


def beta_shapes(mean: float, sd: float) -> tuple[float, float]:
    """Method-of-moments Beta(a, b) with the given mean and standard deviation."""
    common = mean * (1 - mean) / sd**2 - 1
    return mean * common, (1 - mean) * common


def parameter_rng(seed: int, name: str) -> np.random.Generator:
    """A generator for one parameter, built from the run seed and the parameter's name.

    Each parameter has its own stream so that a scenario and its baseline draw the same values
    for every parameter they share (common random numbers), whatever else they override.
    """
    return np.random.default_rng(
        np.random.SeedSequence(seed, spawn_key=(zlib.crc32(name.encode()),))
    )


def _check_number(file: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise SimulatorInputError(file, key, f"must be a number (got {value!r})")
    if not math.isfinite(value):
        raise SimulatorInputError(file, key, f"must be a finite number (got {value!r})")
    return float(value)


# Plausible ranges: a value outside is refused, with the reason, before anything runs.
# (low, high, low_open, high_open, reason); an open end excludes the end itself.
EFFECT_LIMIT = 1.0
EFFECT_SD_LIMIT = 0.5
PLAUSIBLE: dict[str, tuple[float, float, bool, bool, str]] = {
    "reoffending.reference_one_year.": (
        0.0,
        1.0,
        True,
        True,
        "a reconviction hazard is derived from it as -ln(1 - p) and effects act on its logit, "
        "so it must be strictly between 0 and 1",
    ),
    "reoffending.desistance_per_year": (
        0.0,
        1.0,
        False,
        True,
        "a weekly rate is derived from it as -ln(1 - p), so it must be below 1",
    ),
    "custody.weeks_served": (
        1.0,
        260.0,
        False,
        False,
        "time served is plausible from 1 week (less is remand, not a sentence) to 260 weeks "
        "(five years served means a sentence of about ten years, since a standard determinate "
        "sentence is served half in custody; no sentence for the offending in this pathway is "
        "that long)",
    ),
    "economics.discount_rate": (
        0.0,
        0.10,
        False,
        False,
        "a social discount rate is plausible from 0 to 10% a year (the Green Book's is 3.5%, "
        "declining after 30 years)",
    ),
    "economics.health_discount_rate": (
        0.0,
        0.10,
        False,
        False,
        "a discount rate for health effects is plausible from 0 to 10% a year (the Green "
        "Book's is 1.5%)",
    ),
    "reoffending.persistence_weeks": (
        1.0,
        520.0,
        False,
        False,
        "the effect window is plausible from 1 week to 10 years (the source says effects last "
        "up to three years)",
    ),
}
EFFECT_REASON = (
    f"an effect size d is plausible between -{EFFECT_LIMIT:g} and {EFFECT_LIMIT:g}: d = 1 is an "
    "odds ratio of 5.2 (exp(1.65)), moving a 50% reconviction rate to 84% or 16%; the largest "
    "adult criminal-justice effects in WSIPP's inventory are about 0.3 (adult drug courts -0.255)"
)


def _plausible(file: str, key: str, name: str, unit: str, value: float, dist: dict) -> None:
    """Refuse a value (or a distribution's bounds) outside the parameter's plausible range."""
    checks = [("value", value)]
    checks += [(end, dist[end]) for end in ("low", "high") if end in dist]
    if unit in SIGNED_UNITS:
        for where, x in checks:
            if abs(x) > EFFECT_LIMIT:
                at = f"{key}.value" if where == "value" else f"{key}.distribution.{where}"
                raise SimulatorInputError(file, at, f"{EFFECT_REASON} (got {x:g})")
        if dist.get("sd", 0.0) > EFFECT_SD_LIMIT:
            raise SimulatorInputError(
                file,
                f"{key}.distribution.sd",
                f"a standard deviation above {EFFECT_SD_LIMIT:g} for an effect size puts most "
                f"draws outside the plausible range ({EFFECT_REASON}) (got {dist['sd']:g})",
            )
        return
    for stem, (low, high, low_open, high_open, reason) in PLAUSIBLE.items():
        if not (name == stem or (stem.endswith(".") and name.startswith(stem))):
            continue
        for where, x in checks:
            below = x <= low if low_open else x < low
            above = x >= high if high_open else x > high
            if below or above:
                at = f"{key}.value" if where == "value" else f"{key}.distribution.{where}"
                raise SimulatorInputError(file, at, f"{reason} (got {x:g})")


def _check_value(file: str, key: str, unit: str, value: float) -> None:
    if unit in PROBABILITY_UNITS and not 0.0 <= value <= 1.0:
        raise SimulatorInputError(
            file, key, f"is a probability and must be between 0 and 1 (got {value})"
        )
    if unit in NON_NEGATIVE_UNITS and value < 0:
        raise SimulatorInputError(file, key, f"is a {unit} and must not be negative (got {value})")


def _check_distribution(file: str, key: str, entry: dict[str, Any]) -> dict[str, Any]:
    dist = entry["distribution"]
    if not isinstance(dist, dict) or "type" not in dist:
        raise SimulatorInputError(file, key, "must be a mapping with a 'type'")
    kind = dist["type"]
    if kind not in DISTRIBUTIONS:
        raise SimulatorInputError(
            file,
            f"{key}.type",
            f"unknown distribution {kind!r}; use one of {sorted(DISTRIBUTIONS)}",
        )
    wanted = DISTRIBUTIONS[kind]
    for extra in set(dist) - set(wanted) - {"type"}:
        raise SimulatorInputError(file, f"{key}.{extra}", f"unknown key for a {kind} distribution")
    out: dict[str, Any] = {"type": kind}
    for arg in wanted:
        if arg not in dist:
            raise SimulatorInputError(file, f"{key}.{arg}", f"a {kind} distribution needs {arg!r}")
        out[arg] = _check_number(file, f"{key}.{arg}", dist[arg])
    if kind == "normal" and entry["unit"] not in SIGNED_UNITS:
        raise SimulatorInputError(
            file, f"{key}.type", f"a normal distribution can leave the range of a {entry['unit']}"
        )
    if kind in ("beta",) and entry["unit"] not in PROBABILITY_UNITS:
        raise SimulatorInputError(file, f"{key}.type", "a beta distribution is for probabilities")
    if str(entry["unit"]).startswith(MONEY_PREFIXES) and kind not in MONEY_DISTRIBUTIONS:
        raise SimulatorInputError(
            file,
            f"{key}.type",
            f"a cost or value must be gamma (its mean is the value), or fixed, so that the mean "
            f"of the draws is the cited figure; a {kind} distribution centres elsewhere",
        )
    v = entry["value"]
    if v is None:
        return out
    if kind in ("normal", "beta") and out["sd"] <= 0:
        raise SimulatorInputError(file, f"{key}.sd", "must be greater than 0")
    if kind == "beta" and out["sd"] ** 2 >= v * (1 - v):
        raise SimulatorInputError(file, f"{key}.sd", f"is too large for a Beta with mean {v}")
    if kind == "gamma" and out["shape"] <= 0:
        raise SimulatorInputError(file, f"{key}.shape", "must be greater than 0")
    if kind in ("lognormal", "triangular", "uniform"):
        low, high = out["low"], out["high"]
        inside = low <= v <= high if kind != "lognormal" else 0 < low < v < high
        if not inside:
            raise SimulatorInputError(
                file, key, f"needs low <= value <= high (got {low}, {v}, {high})"
            )
        _check_value(file, f"{key}.low", entry["unit"], low)
        _check_value(file, f"{key}.high", entry["unit"], high)
    return out


def parameter_from_entry(
    file: str, name: str, entry: Any, param_name: str | None = None
) -> Parameter:
    """Validate one library entry (or a fully merged override) and build a :class:`Parameter`.

    ``name`` is the key errors name; ``param_name`` the parameter's own name when they differ.
    """
    if not isinstance(entry, dict):
        raise SimulatorInputError(
            file, name, "must be a mapping of value, unit, distribution, source, ..."
        )
    for key in entry:
        if key not in REQUIRED_KEYS and key not in OPTIONAL_KEYS:
            raise SimulatorInputError(file, f"{name}.{key}", "unknown key")
    for key in REQUIRED_KEYS:
        if key not in entry:
            raise SimulatorInputError(file, f"{name}.{key}", "is missing")
    if not isinstance(entry["source"], str) or not entry["source"].strip():
        raise SimulatorInputError(
            file, f"{name}.source", "is missing: every figure needs its source"
        )
    unit = entry["unit"]
    if unit not in UNITS:
        raise SimulatorInputError(file, f"{name}.unit", f"unknown unit {unit!r}")
    if entry["status"] not in STATUSES:
        raise SimulatorInputError(file, f"{name}.status", f"must be one of {', '.join(STATUSES)}")
    if entry["basis"] not in BASES:
        raise SimulatorInputError(file, f"{name}.basis", f"must be one of {', '.join(BASES)}")
    is_money = unit.startswith(("GBP", "USD"))
    if is_money:
        for key in ("currency", "price_base"):
            if not entry[key]:
                raise SimulatorInputError(file, f"{name}.{key}", "is required for a cost")
        if entry["basis"] == "n/a":
            raise SimulatorInputError(file, f"{name}.basis", "a cost must say average or marginal")
    value = entry["value"]
    if value is None:
        if entry["status"] != "not_found":
            raise SimulatorInputError(
                file, f"{name}.value", "is empty; only not_found figures may be"
            )
    else:
        if entry["status"] == "not_found":
            raise SimulatorInputError(file, f"{name}.status", "is not_found but a value is given")
        value = _check_number(file, f"{name}.value", value)
        _check_value(file, f"{name}.value", unit, value)
    if entry.get("if_missing") not in (None, "zero"):
        raise SimulatorInputError(file, f"{name}.if_missing", "may only be 'zero'")
    comparison = entry.get("comparison")
    if comparison is not None:
        own = (param_name or name).rsplit(".", 1)[-1]
        if comparison not in COMPARISONS:
            raise SimulatorInputError(
                file, f"{name}.comparison", f"must be one of {', '.join(COMPARISONS)}"
            )
        if unit not in SIGNED_UNITS and not (param_name or name).startswith(
            "reoffending.reference_one_year."
        ):
            raise SimulatorInputError(
                file, f"{name}.comparison", "only effects and reference rates have a comparison"
            )
        if unit in SIGNED_UNITS and comparison == own:
            raise SimulatorInputError(
                file, f"{name}.comparison", "an effect cannot be measured against itself"
            )
    dist = _check_distribution(file, f"{name}.distribution", {**entry, "value": value})
    if value is not None:
        _plausible(file, name, param_name or name, unit, value, dist)
    return Parameter(
        name=name,
        value=value,
        unit=unit,
        distribution=dist,
        source=entry["source"].strip(),
        year=entry["year"],
        currency=entry["currency"],
        price_base=entry["price_base"],
        basis=entry["basis"],
        status=entry["status"],
        url=entry.get("url"),
        note=entry.get("note"),
        if_missing=entry.get("if_missing"),
        comparison=comparison,
        origin=file,
    )


def read_yaml(path: Path | str, label: str | None = None) -> Any:
    label = label or str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SimulatorInputError(label, "(file)", f"cannot be read: {exc.strerror}") from exc
    return parse_yaml(text, label)


def parse_yaml(text: str, label: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(file)"
        raise SimulatorInputError(
            label, where, f"is not valid YAML: {getattr(exc, 'problem', exc)}"
        ) from exc


def load_library_file(path: Path | str, label: str | None = None) -> dict[str, Parameter]:
    label = label or Path(path).name
    data = read_yaml(path, label)
    if not isinstance(data, dict):
        raise SimulatorInputError(label, "(top level)", "must be a mapping of parameter names")
    return {
        str(name): parameter_from_entry(label, str(name), entry) for name, entry in data.items()
    }


def load_library(jurisdiction: str) -> dict[str, Parameter]:
    """The shipped defaults: ``common.yaml`` overlaid with the jurisdiction's own file."""
    params = load_library_file(LIBRARY_DIR / "common.yaml", "parameters/common.yaml")
    own = LIBRARY_DIR / f"{jurisdiction}.yaml"
    if own.exists():
        params.update(load_library_file(own, f"parameters/{own.name}"))
    return params


def override_parameter(base: Parameter | None, file: str, name: str, entry: Any) -> Parameter:
    """Apply a scenario override: keys given replace the library's, and a source is required."""
    key = f"parameters.{name}"
    if base is None:
        raise SimulatorInputError(file, key, "unknown parameter (not in the parameter library)")
    if not isinstance(entry, dict):
        raise SimulatorInputError(file, key, "must be a mapping with at least value and source")
    if "source" not in entry or not str(entry["source"] or "").strip():
        raise SimulatorInputError(
            file, f"{key}.source", "is missing: an override must say where it comes from"
        )
    merged = {k: getattr(base, k) for k in REQUIRED_KEYS}
    merged.update({k: getattr(base, k) for k in OPTIONAL_KEYS if getattr(base, k) is not None})
    if entry.get("status") == "assumption":
        merged.pop("url", None)  # the library's citation does not back an analyst's value
    if "value" in entry and "status" not in entry:
        raise SimulatorInputError(
            file, f"{key}.status", "is missing: say read, verify, derived or assumption"
        )
    if "value" in entry and "distribution" not in entry:
        # A new value alone is a point value, except for a cost or value whose library spread is
        # a gamma: its shape is kept (a gamma's spread is relative to its mean).
        keep = str(base.unit).startswith(MONEY_PREFIXES) and base.distribution["type"] == "gamma"
        merged["distribution"] = dict(base.distribution) if keep else {"type": "fixed"}
    merged.update(entry)
    param = parameter_from_entry(file, key, merged, param_name=name)
    return replace(param, name=name)
