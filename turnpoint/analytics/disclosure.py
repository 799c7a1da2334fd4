"""Publishing safely: small-cell suppression, keyed pseudonyms, coarse dates (docs/analytics.md).

`suppress` protects a two-way table of counts published with its row and column totals:

1. Primary suppression: every count from 1 to 4 (`THRESHOLD` = 5) is withheld. A count of 0
   is published: it discloses nobody, and withholding zeros would hide where a service has no
   one at all.
2. Secondary suppression, so no withheld count can be worked out from what is published. The
   table with its margins is treated as (rows + total row) x (columns + total column); every
   line of it (a row with its total, a column with its total, and the line of totals) adds up.
   a. In every line with a withheld entry, at least two are withheld: else the one is its total
      minus the others. The next entry withheld is the line's smallest published interior
      count, non-zero counts first; a total only when no interior count is left.
   b. Then the whole system of sums is checked: a withheld entry is recoverable when it takes
      the same value in every solution of the published sums (in the graph of withheld
      entries, a bridge). While one is, the smallest published entry of its row or column is
      withheld too, and the check runs again. Whatever is published, no withheld entry can be
      solved for from the sums.
   This protects against solving the sums exactly. Narrow intervals (a withheld 2 shown to lie
   between 0 and 3 because its complement is 1) are still possible, as with every rule of this
   kind.

`pseudonymise` replaces identifiers with HMAC-SHA256 of the identifier under a key held in the
settings (`TURNPOINT_PSEUDONYM_KEY`, at least 32 characters, not the SECRET_KEY): the same
person gets the same pseudonym across extracts made with one key, and nobody without the key can
recompute or reverse it. `coarsen_date` turns a date into its month ("2026-03") or quarter
("2026-Q1").
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from turnpoint.errors import InvalidInput, Problem

THRESHOLD = 5
MIN_KEY_LENGTH = 32


def _check_table(table: Sequence[Sequence[int]]) -> np.ndarray:
    rows = [list(r) for r in table]
    if not rows or not rows[0]:
        raise InvalidInput(Problem("table", "has no cells"))
    width = len(rows[0])
    problems = []
    for i, row in enumerate(rows, start=1):
        if len(row) != width:
            problems.append(Problem(f"row {i}", f"has {len(row)} cells; row 1 has {width}"))
            continue
        for j, value in enumerate(row, start=1):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
                problems.append(Problem(f"row {i}, column {j}", "must be a count (0 or more)"))
    if problems:
        raise InvalidInput(problems)
    return np.array(rows, dtype=np.int64)


def _augmented(cells: np.ndarray) -> np.ndarray:
    """The table with its row totals as a last column and column totals as a last row."""
    r, c = cells.shape
    full = np.zeros((r + 1, c + 1), dtype=np.int64)
    full[:r, :c] = cells
    full[:r, c] = cells.sum(axis=1)
    full[r, :c] = cells.sum(axis=0)
    full[r, c] = cells.sum()
    return full


def _lines(shape: tuple[int, int]) -> list[list[tuple[int, int]]]:
    rows, cols = shape
    return [[(i, j) for j in range(cols)] for i in range(rows)] + [
        [(i, j) for i in range(rows)] for j in range(cols)
    ]


def _pick(full: np.ndarray, hidden: np.ndarray, candidates: list[tuple[int, int]]) -> tuple:
    """The published entry to withhold next: interior before totals, non-zero, smallest."""
    last_row, last_col = full.shape[0] - 1, full.shape[1] - 1

    def order(cell: tuple[int, int]) -> tuple:
        is_total = cell[0] == last_row or cell[1] == last_col
        value = int(full[cell])
        return (is_total, value == 0, value, cell)

    return min((c for c in candidates if not hidden[c]), key=order)


def recoverable(full: np.ndarray, hidden: np.ndarray) -> list[tuple[int, int]]:
    """Withheld entries of an augmented table that every solution of its sums agrees on, in
    row-major order.

    Unknowns are the withheld entries; each line of the table is one equation, and each unknown
    is in exactly two: its row's and its column's. So the equations are the incidence matrix of
    a bipartite graph, lines as vertices and withheld entries as edges (negating the equations
    of the total row and total column, and the unknowns that are totals, makes every
    coefficient +1). The solutions move along the graph's cycles, so an unknown is fixed exactly
    when its edge lies on no cycle: when it is a bridge. Bridges are found by one depth-first
    search (Tarjan), in time linear in the number of withheld entries.
    """
    unknowns = [tuple(int(x) for x in cell) for cell in np.argwhere(hidden)]
    if not unknowns:
        return []
    rows = full.shape[0]
    adjacent: dict[int, list[tuple[int, int]]] = {}
    for k, (i, j) in enumerate(unknowns):
        adjacent.setdefault(i, []).append((rows + j, k))
        adjacent.setdefault(rows + j, []).append((i, k))
    order: dict[int, int] = {}
    low: dict[int, int] = {}
    bridges: set[int] = set()
    for root in adjacent:
        if root in order:
            continue
        order[root] = low[root] = len(order)
        stack = [(root, -1, iter(adjacent[root]))]
        while stack:
            vertex, via, edges = stack[-1]
            advanced = False
            for other, k in edges:
                if k == via:
                    continue
                if other in order:
                    low[vertex] = min(low[vertex], order[other])
                else:
                    order[other] = low[other] = len(order)
                    stack.append((other, k, iter(adjacent[other])))
                    advanced = True
                    break
            if advanced:
                continue
            stack.pop()
            if stack:
                parent = stack[-1][0]
                low[parent] = min(low[parent], low[vertex])
                if low[vertex] > order[parent]:
                    bridges.add(via)
    return [cell for k, cell in enumerate(unknowns) if k in bridges]


def suppress(table: Sequence[Sequence[int]]) -> dict[str, Any]:
    """Withhold small counts of a two-way table and enough others that none can be recovered.

    `table` is a list of rows of counts (no totals). Returns {"cells": rows of int | None,
    "row_totals", "column_totals": lists of int | None, "grand_total": int | None,
    "primary": rows of bool (withheld for being 1-4), "withheld": rows of bool (all withheld
    interior cells)}; None marks a withheld value.
    """
    cells = _check_table(table)
    full = _augmented(cells)
    r, c = cells.shape
    hidden = np.zeros(full.shape, dtype=bool)
    primary = (full > 0) & (full < THRESHOLD)
    hidden |= primary
    lines = _lines(full.shape)
    while True:
        changed = False
        for line in lines:
            withheld = sum(hidden[cell] for cell in line)
            if withheld == 1 and any(not hidden[cell] for cell in line):
                hidden[_pick(full, hidden, line)] = True
                changed = True
        if changed:
            continue
        fixed = recoverable(full, hidden)
        if not fixed:
            break
        i, j = fixed[0]
        neighbours = [cell for cell in lines[i] + lines[full.shape[0] + j] if not hidden[cell]]
        if not neighbours:
            # Its row and column are withheld whole: withhold the smallest entry anywhere.
            neighbours = [(a, b) for a, b in np.argwhere(~hidden)]
        if not neighbours:  # everything withheld: no sum is known, nothing can be fixed
            break
        hidden[_pick(full, hidden, [(int(a), int(b)) for a, b in neighbours])] = True

    def shown(i: int, j: int) -> int | None:
        return None if hidden[i, j] else int(full[i, j])

    return {
        "cells": [[shown(i, j) for j in range(c)] for i in range(r)],
        "row_totals": [shown(i, c) for i in range(r)],
        "column_totals": [shown(r, j) for j in range(c)],
        "grand_total": shown(r, c),
        "primary": [[bool(primary[i, j]) for j in range(c)] for i in range(r)],
        "withheld": [[bool(hidden[i, j]) for j in range(c)] for i in range(r)],
    }


def pseudonym_key() -> bytes:
    """The pseudonym key from the settings; refused when missing, short or reused."""
    key = getattr(settings, "TURNPOINT_PSEUDONYM_KEY", "") or ""
    if not key:
        raise ImproperlyConfigured(
            "TURNPOINT_PSEUDONYM_KEY is not set: research extracts need their own random key"
        )
    if len(key) < MIN_KEY_LENGTH:
        raise ImproperlyConfigured(
            f"TURNPOINT_PSEUDONYM_KEY must be at least {MIN_KEY_LENGTH} characters; "
            f"it is {len(key)}"
        )
    if key in (settings.SECRET_KEY, getattr(settings, "TURNPOINT_AUDIT_KEY", None)):
        raise ImproperlyConfigured(
            "TURNPOINT_PSEUDONYM_KEY must differ from SECRET_KEY and TURNPOINT_AUDIT_KEY"
        )
    return key.encode()


def pseudonymise(ids: Iterable[object], key: bytes | None = None) -> list[str]:
    """HMAC-SHA256 pseudonyms (64 hex characters), one per identifier, in order.

    Identifiers are taken as text (`str(id)`), so 42 and "42" get the same pseudonym. The key
    defaults to `pseudonym_key()`; a key passed in is held to the same length rule.
    """
    secret = pseudonym_key() if key is None else key
    if len(secret) < MIN_KEY_LENGTH:
        raise ImproperlyConfigured(f"a pseudonym key must be at least {MIN_KEY_LENGTH} bytes")
    return [
        hmac.new(secret, str(identifier).encode(), hashlib.sha256).hexdigest() for identifier in ids
    ]


def coarsen_date(value: datetime.date, to: str = "month") -> str:
    """The month ("2026-03") or quarter ("2026-Q1") a date falls in."""
    if isinstance(value, datetime.datetime):
        value = value.date()
    if not isinstance(value, datetime.date):
        raise InvalidInput(Problem("date", f"must be a date, not {type(value).__name__}"))
    if to == "month":
        return f"{value.year:04d}-{value.month:02d}"
    if to == "quarter":
        return f"{value.year:04d}-Q{(value.month - 1) // 3 + 1}"
    raise InvalidInput(Problem("to", "must be month or quarter"))
