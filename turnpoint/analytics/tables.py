"""Read an analyst's CSV table for the survival estimators, refusing it whole if any cell is bad.

Line numbers count the header as line 1, as a spreadsheet or `sed -n` shows them. Every problem
is reported (up to `MAX_PROBLEMS`, then a count of the rest), each naming its line, column and
reason; nothing is estimated from a refused table.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

from turnpoint.errors import InvalidInput, Problem

MAX_PROBLEMS = 50


def _as_number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def load_survival_csv(
    path: Path | str,
    *,
    duration: str,
    event: str,
    group: str | None = None,
    covariates: tuple[str, ...] | list[str] = (),
) -> dict[str, Any]:
    """{"durations": [...], "events": [...], "groups": [...] | None, "covariates": {name: [...]}}.

    Durations must be numbers of zero or more, events 0 or 1, covariates numbers; the group
    column is read as text (blank is refused). A table with no rows, or in which no row has the
    event, is refused.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InvalidInput(Problem(str(path), "no such file")) from None
    except UnicodeDecodeError:
        raise InvalidInput(Problem(str(path), "is not UTF-8 text")) from None
    except OSError as exc:
        raise InvalidInput(Problem(str(path), f"cannot be read ({exc.strerror})")) from None
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        raise InvalidInput(Problem(str(path), "is empty (no header line)"))
    header = [h.strip() for h in header]
    wanted = [duration, event, *([group] if group else []), *covariates]
    missing = [c for c in dict.fromkeys(wanted) if c not in header]
    if missing:
        raise InvalidInput(
            [
                Problem(c, f"is not a column of the file (its columns: {', '.join(header)})")
                for c in missing
            ]
        )
    index = {name: header.index(name) for name in wanted}
    problems: list[Problem] = []
    durations: list[float] = []
    events: list[int] = []
    groups: list[str] = []
    values: dict[str, list[float]] = {name: [] for name in covariates}

    def problem(line: int, column: str, reason: str) -> None:
        problems.append(Problem(f"line {line}: {column}", reason))

    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problem(line, "row", f"has {len(row)} cells; the header has {len(header)}")
            continue
        raw = row[index[duration]].strip()
        number = _as_number(raw)
        if number is None:
            problem(line, duration, f"is not a number ({raw!r})" if raw else "is empty")
        elif number < 0:
            problem(line, duration, f"is negative ({raw})")
        else:
            durations.append(number)
        raw = row[index[event]].strip()
        flag = _as_number(raw)
        if flag not in (0, 1):
            problem(
                line,
                event,
                f"must be 0 (censored) or 1 (event), not {raw!r}" if raw else "is empty",
            )
        else:
            events.append(1 if flag == 1 else 0)
        if group:
            raw = row[index[group]].strip()
            if not raw:
                problem(line, group, "is empty")
            groups.append(raw)
        for name in covariates:
            raw = row[index[name]].strip()
            number = _as_number(raw)
            if number is None:
                problem(line, name, f"is not a number ({raw!r})" if raw else "is empty")
            else:
                values[name].append(number)
    if problems:
        shown = problems[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            shown.append(Problem("", f"and {len(problems) - MAX_PROBLEMS} more problems"))
        raise InvalidInput(shown)
    if not durations:
        raise InvalidInput(Problem(str(path), "has a header but no rows"))
    if not any(events):
        raise InvalidInput(Problem(event, "no row has the event (every row is 0, censored)"))
    return {
        "durations": durations,
        "events": events,
        "groups": groups if group else None,
        "covariates": values,
    }
