"""Measures for an analyst: the decided, audited read, the extract, the measures.

`turnpoint.sharing.evaluation` decides (analysts only, for the programmes of their team) and
reads and audits the rows; `make_extract` turns them into the columnar extract (and, with
`research_dir`, writes the de-identified research extract); `measure_report` computes measures
over it. Nothing identifying leaves: measures are aggregated and suppressed, research extracts
are pseudonymised with coarse dates (extract.py).
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from django.utils import timezone

from turnpoint.errors import InvalidInput, Problem
from turnpoint.sharing.evaluation import evaluation_programmes, evaluation_rows

from .extract import Extract, build_extract, write_research_extract
from .measures import Measures, Scope

programmes_for = evaluation_programmes


def make_extract(
    user,
    *,
    programme: str | None = None,
    as_of: datetime.date | None = None,
    research_dir: Path | None = None,
    route: str = "analytics",
    detail: dict | None = None,
) -> Extract:
    """The extract of the programmes the user may analyse (the read is audited as an export).
    With `research_dir`, the de-identified research extract is written there as Parquet."""
    as_of = as_of or timezone.localdate()
    detail = {"as_of": as_of.isoformat(), **(detail or {})}
    if research_dir is not None:
        detail["research_extract"] = True
    rows = evaluation_rows(user, programme, route=route, detail=detail)
    extract = build_extract(rows, as_of=as_of)
    if research_dir is not None:
        write_research_extract(extract, research_dir)
    return extract


def measure_report(
    user,
    name: str,
    *,
    start: datetime.date,
    end: datetime.date,
    programme: str | None = None,
    site: str | None = None,
    group: str | None = None,
    route: str = "analytics",
    as_of: datetime.date | None = None,
) -> dict[str, Any]:
    """Measure `name` (or "all") for the scope, computed over a fresh audited extract."""
    scope = Scope(start, end, programme=programme, site=site, group=group)
    scope.check()
    extract = make_extract(
        user,
        programme=programme,
        as_of=as_of,
        route=route,
        detail={
            "measure": name,
            "from": start.isoformat(),
            "to": end.isoformat(),
            "site": site or "all",
            "group": group or "",
        },
    )
    sites = set(extract.tables["referrals"].column("site").to_pylist())
    if site is not None and site not in sites:
        raise InvalidInput(Problem("site", f"'{site}' is not a site of these programmes"))
    return Measures(extract).run(name, scope)
