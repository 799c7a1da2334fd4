"""A measures report as text, as CSV and Parquet tables, as charts and as the annual PDF.

Everything here takes the result of `Measures.run` (already aggregated and suppressed) and
changes only its form.

The tables (CSV and Parquet) are long: one row per published number, with the measure, the
table it belongs to (its path in the report, joined with "/"), the row and column labels and the
value; a withheld value is empty (CSV) or null (Parquet) with `withheld` true.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from . import charts

LABEL_KEYS = ("group", "instrument", "measure", "follow_up")
COLUMNS = ("measure", "table", "row", "column", "value", "withheld")
_MEASURE_TITLES = {
    "census": "Census, admissions and exits",
    "funnel": "The pathway funnel",
    "timeliness": "Timeliness",
    "retention": "Retention and completion",
    "reoffending": "Reoffending",
    "recovery-capital": "Recovery capital (BARC-10)",
    "equity": "Equity",
    "completeness": "Data completeness",
}


def label(value) -> str:
    """How a code reads to people: a pathway stage, a gender or an ethnicity by its label,
    anything else with its underscores as spaces."""
    from turnpoint.journeys.models import State
    from turnpoint.people.models import Ethnicity, Sex

    text = str(value)
    for choices in (State, Sex, Ethnicity):
        if text in choices.values:
            return str(choices(text).label)
    if text == "all":
        return "Everybody"
    text = text.replace("_", " ")
    return text[:1].upper() + text[1:]


def _is_table(node) -> bool:
    return isinstance(node, dict) and {"rows", "columns", "cells"} <= set(node)


def flat_rows(result: dict[str, Any]) -> list[tuple]:
    """(measure, table, row, column, value, withheld) for every published number."""
    out: list[tuple] = []

    def walk(measure: str, path: list[str], node) -> None:
        if _is_table(node):
            table = "/".join(path)
            for r, cells in zip(node["rows"], node["cells"], strict=True):
                for c, v in zip(node["columns"], cells, strict=True):
                    out.append((measure, table, r, c, v, v is None))
            for r, v in zip(node["rows"], node.get("row_totals") or [], strict=False):
                out.append((measure, table, r, "total", v, v is None))
            for c, v in zip(node["columns"], node.get("column_totals") or [], strict=False):
                out.append((measure, table, "total", c, v, v is None))
            if "grand_total" in node:
                v = node["grand_total"]
                out.append((measure, table, "total", "total", v, v is None))
        elif isinstance(node, dict):
            # A row's label: its group (or time), with what else names it (an instrument's
            # measure at a follow-up).
            names = [str(node[k]) for k in LABEL_KEYS if k in node and node[k] is not None]
            label = " / ".join(names) if "group" in node or "follow_up" in node else None
            label = label if label is not None else node.get("time")
            for k, v in node.items():
                named = k in LABEL_KEYS and ("group" in node or "follow_up" in node)
                if (k in ("group", "rows") or named) and not isinstance(v, list | dict):
                    continue
                if isinstance(v, dict | list):
                    step = [*path, k] if label is None else [*path, str(label), k]
                    walk(measure, step, v)
                elif isinstance(v, int | float) or v is None:
                    row = str(label) if label is not None else "/".join(path[-1:]) or measure
                    out.append((measure, "/".join(path), row, k, v, v is None))
        elif isinstance(node, list):
            for i, item in enumerate(node):
                walk(measure, path if isinstance(item, dict) else [*path, str(i)], item)

    for measure, body in result.items():
        if measure != "scope":
            walk(measure, [], body)
    return [
        (m, t, r, c, float(v) if v is not None else None, w)
        for m, t, r, c, v, w in out
        if not isinstance(v, bool)
    ]


def write_csv(result: dict, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for m, t, r, c, v, w in flat_rows(result):
            writer.writerow([m, t, r, c, "" if v is None else f"{v:g}", "true" if w else "false"])


def write_parquet(result: dict, path: Path) -> None:
    rows = flat_rows(result)
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in COLUMNS]
    types = [pa.string(), pa.string(), pa.string(), pa.string(), pa.float64(), pa.bool_()]
    table = pa.Table.from_arrays(
        [pa.array(list(col), type=t) for col, t in zip(columns, types, strict=True)],
        names=list(COLUMNS),
    )
    scope = {f"scope.{k}": str(v) for k, v in result["scope"].items()}
    pq.write_table(table.replace_schema_metadata(scope), path)


def text(result: dict) -> str:
    s = result["scope"]
    lines = [
        f"Programme {s['programme']}, site {s['site']}, {s['from']} to {s['to']} "
        f"(follow-up to {s['as_of']})" + (f", by {s['group']}" if s["group"] else "")
    ]
    current = None
    for m, t, r, c, v, _ in flat_rows(result):
        if (m, t) != current:
            current = (m, t)
            lines.append("")
            lines.append(f"{_MEASURE_TITLES.get(m, m)}: {t}" if t else _MEASURE_TITLES.get(m, m))
        lines.append(f"  {r} | {c}: {'withheld' if v is None else f'{v:g}'}")
    return "\n".join(lines)


def chart_set(result: dict) -> list[tuple[str, charts.Chart]]:
    """(measure, chart) for what the report holds: the funnel, survival curves, waits and
    equity ratios."""
    out = []
    if "funnel" in result:
        reached = result["funnel"]["reached"]
        out.append(
            (
                "funnel",
                charts.bars(
                    "How far referrals got along the pathway",
                    "Referrals in the period reaching each stage; withheld counts are not drawn.",
                    [label(r) for r in reached["rows"]],
                    reached["row_totals"],
                    x_label="referrals",
                    y_label="stage",
                ),
            )
        )
    if "retention" in result:
        curves = _labelled(result["retention"]["time_to_leaving_early"]["curves"])
        out.append(
            (
                "retention",
                charts.survival_curves(
                    "Staying on the programme",
                    "Share not yet left without completing, by days since "
                    "the start, with 95% intervals (Kaplan-Meier).",
                    curves,
                    y_label="not left early",
                ),
            )
        )
    if "reoffending" in result:
        for key, since in (
            ("reconviction_from_entry", "entry"),
            ("reconviction_from_exit", "exit"),
        ):
            curves = _labelled(result["reoffending"][key]["by_group"]["curves"])
            out.append(
                (
                    "reoffending",
                    charts.survival_curves(
                        f"Time to a first reconviction from {since}",
                        "Share not reconvicted, by days "
                        f"since {since}, with 95% intervals (Kaplan-Meier).",
                        curves,
                        y_label="not reconvicted",
                    ),
                )
            )
    if "timeliness" in result:
        items = []
        for name, body in result["timeliness"].items():
            for g in body["groups"]:
                items.append(
                    {
                        **g,
                        "label": label(name)
                        + (f" ({label(g['group'])})" if g["group"] != "all" else ""),
                    }
                )
        out.append(
            (
                "timeliness",
                charts.ranges(
                    "Waiting times",
                    "Days between steps: quartiles (box), median (line) and 90th "
                    "percentile (whisker).",
                    items[:8],
                ),
            )
        )
    if "equity" in result:
        for g in ("gender", "ethnicity"):
            body = result["equity"][g]["completion"]
            items = [
                {**x, "label": label(x["group"]), "reference": x["group"] == body["reference"]}
                for x in body["groups"]
            ]
            out.append(
                (
                    "equity",
                    charts.ratios(
                        f"Completion by {g}",
                        f"Completion rate of each group divided by that of the "
                        f"reference group ({label(body['reference'])}), with 95% intervals.",
                        items,
                    ),
                )
            )
        for g in ("gender", "ethnicity", "age_band"):
            body = result["equity"][g]["reconviction_hazard_ratios"]
            if not body["estimated"]:
                continue
            items = [
                {"label": label(x["group"]), "ratio": x["hazard_ratio"], "lower": x["lower"],
                 "upper": x["upper"], "reference": x["group"] == body["reference"]}
                for x in body["groups"]
            ]  # fmt: skip
            out.append(
                (
                    "equity",
                    charts.ratios(
                        f"Hazard of reconviction by {label(g).lower()}",
                        "Hazard ratio of a first reconviction from entry against the "
                        f"reference group ({label(body['reference'])}), with 95% intervals "
                        "(Cox model); groups of fewer than 5 people are left out.",
                        items,
                        x_label="hazard ratio to the reference group",
                        with_rate=False,
                    ),
                )
            )
    return out


def _labelled(curves: list[dict]) -> list[dict]:
    return [{**c, "group": label(c["group"])} for c in curves]


def annual_pdf(result: dict) -> bytes:
    """The annual report: scope, charts with their numbers, then every published table."""
    from fpdf import FPDF

    from turnpoint.sharing.documents import _latin1

    s = result["scope"]
    pdf = FPDF()
    pdf.set_auto_page_break(True, margin=15)
    pdf.set_title(_latin1(f"Evaluation report: {s['programme']}"))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(
        0,
        9,
        _latin1(f"Evaluation report: programme {s['programme']}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("Helvetica", "", 11)
    pdf.multi_cell(
        0,
        6,
        _latin1(
            f"Site {s['site']}; {s['from']} to {s['to']}; follow-up to {s['as_of']}. Counts of "
            "1 to 4 and counts from which they could be worked out are withheld; rates and "
            "curves over fewer than 5 people are withheld. No person can be identified from "
            "this report."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    for _, chart in chart_set(result):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 13)
        pdf.multi_cell(0, 7, _latin1(chart.caption), new_x="LMARGIN", new_y="NEXT")
        # fpdf2 draws the shapes and ignores <title>/<desc>: the caption and table carry them.
        svg = re.sub(r"<title.*?</title>|<desc.*?</desc>", "", chart.svg)
        pdf.image(io.BytesIO(svg.encode()), w=180)
        pdf.set_font("Helvetica", "", 8)
        for row in [chart.head, *chart.rows[:30]]:
            pdf.multi_cell(0, 4, _latin1(" | ".join(row)), new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 13)
    pdf.multi_cell(0, 7, "The published tables", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 8)
    for line in text(result).splitlines()[1:]:
        pdf.multi_cell(0, 4, _latin1(line or " "), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
