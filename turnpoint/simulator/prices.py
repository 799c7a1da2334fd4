"""Price-base uprating of costs with a GDP deflator series the deployment supplies.

HM Treasury's *GDP deflators at market prices, and money GDP* (an index by financial year, from ONS
series L8GG, and by calendar year, from MNF2; updated after each Quarterly National Accounts
release and each OBR forecast) is the series Home Office and MoJ appraisal uprates with. No values
of that series are shipped: the deployment gives the release it uses as a YAML file,

    source: "HM Treasury, GDP deflators at market prices, and money GDP, <month year> (...)"
    url: "https://www.gov.uk/government/statistics/gdp-deflators-at-market-prices-and-money-gdp-..."
    index:            # year -> index; financial years as "2010-11", calendar years as "2010"
      "2010-11": ...
      "2022-23": ...

and each cost in pounds is multiplied by index[price year] / index[its own price year]. A cost's
own price year is the year its ``price_base`` starts with ("2010-11 cash" -> 2010-11, "2010 prices
and incomes" -> 2010); a cost whose price base names no year, and any cost in another currency, is
not uprated and is listed as such. Without a series nothing is uprated and the output says so.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from turnpoint.simulator.errors import SimulatorInputError
from turnpoint.simulator.parameters import read_yaml
from turnpoint.simulator.scenario import Scenario

YEAR = re.compile(r"^(\d{4})(?:-(\d{2}))?$")
PRICE_YEAR = re.compile(r"^(\d{4}(?:-\d{2})?)\b")


@dataclass(frozen=True)
class Deflator:
    source: str
    url: str | None
    index: dict[str, float]
    file: str

    @property
    def latest(self) -> str:
        return max(self.index, key=lambda y: (int(y[:4]), len(y)))


def load_deflator(path: Path | str) -> Deflator:
    """Read and check a deflator series; bad input is refused naming the key and the reason."""
    file = str(path)
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise SimulatorInputError(file, "(file)", "must be a mapping with source and index")
    unknown = set(data) - {"source", "url", "index"}
    if unknown:
        raise SimulatorInputError(file, sorted(unknown)[0], "unknown key")
    source = data.get("source")
    if not isinstance(source, str) or not source.strip():
        raise SimulatorInputError(file, "source", "is missing: name the release of the series")
    index = data.get("index")
    if not isinstance(index, dict) or not index:
        raise SimulatorInputError(file, "index", "must map years to index values")
    out: dict[str, float] = {}
    for year, value in index.items():
        key = str(year)
        if not YEAR.match(key):
            raise SimulatorInputError(
                file, f"index.{key}", "must be a year such as 2010 or a financial year 2010-11"
            )
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SimulatorInputError(file, f"index.{key}", f"must be a number (got {value!r})")
        if not math.isfinite(value) or value <= 0:
            raise SimulatorInputError(file, f"index.{key}", f"must be positive (got {value})")
        out[key] = float(value)
    return Deflator(source.strip(), data.get("url"), out, file)


def price_year(price_base: str | None) -> str | None:
    match = PRICE_YEAR.match((price_base or "").strip())
    return match.group(1) if match else None


def uprate(
    scenarios: list[Scenario], deflator: Deflator, year: str | None, *, file: str
) -> dict[str, Any]:
    """Uprate every cost in pounds of these scenarios to ``year`` prices (default: the series'
    latest year), in place; return what was uprated, by what factor, and what was not."""
    target = str(year) if year is not None else deflator.latest
    if target not in deflator.index:
        raise SimulatorInputError(
            file,
            "--price-year",
            f"{target} is not in the deflator series ({deflator.file}); it has"
            f" {min(deflator.index)} to {deflator.latest}",
        )
    uprated: dict[str, dict[str, Any]] = {}
    not_uprated: dict[str, str] = {}
    for scenario in scenarios:
        for name, p in list(scenario.params.items()):
            if not str(p.unit).startswith(("GBP", "USD")) or p.value is None:
                continue
            own = price_year(p.price_base)
            if p.currency != "GBP":
                not_uprated[name] = f"in {p.currency}: a UK deflator does not apply"
                continue
            if own is None:
                not_uprated[name] = f"its price base names no year ({p.price_base})"
                continue
            if own not in deflator.index:
                raise SimulatorInputError(
                    file,
                    name,
                    f"its price year {own} is not in the deflator series ({deflator.file})",
                )
            factor = deflator.index[target] / deflator.index[own]
            scenario.params[name] = replace(
                p,
                value=p.value * factor,
                price_base=f"{target} prices (uprated from {p.price_base} by x{factor:.4f})",
            )
            uprated[name] = {"from": own, "factor": factor, "value": p.value * factor}
    return {
        "price_year": target,
        "deflator": deflator.source,
        "url": deflator.url,
        "uprated": uprated,
        "not_uprated": not_uprated,
    }
