"""Small server-rendered SVG charts for the dashboard and the annual report.

Each function returns a `Chart`: the SVG markup (labelled axes, `<title>` and `<desc>`, role
"img"), and the same numbers as a table (caption, header, rows) that the page prints visually
hidden for screen readers and the PDF prints in full. Only published numbers go in: whatever
was withheld is left out of the drawing and shown as "withheld" in the table.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from html import escape

W, H = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 150, 20, 30, 50
COLOURS = ("#1d70b8", "#d4351c", "#00703c", "#f47738", "#4c2c92", "#505a5f")


@dataclass
class Chart:
    svg: str
    caption: str
    head: list[str]
    rows: list[list[str]] = field(default_factory=list)


def _fmt(value, digits: int = 2) -> str:
    if value is None:
        return "withheld"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _frame(title: str, desc: str, body: list[str], x_label: str, y_label: str) -> str:
    ident = "chart-" + hashlib.sha256(f"{title}|{desc}".encode()).hexdigest()[:10]
    return "".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="100%" '
            f'role="img" aria-labelledby="{ident}-t {ident}-d" class="app-chart">',
            f'<title id="{ident}-t">{escape(title)}</title>',
            f'<desc id="{ident}-d">{escape(desc)}</desc>',
            f'<line x1="{LEFT}" y1="{H - BOTTOM}" x2="{W - RIGHT}" y2="{H - BOTTOM}" '
            'stroke="#0b0c0c"/>',
            f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{H - BOTTOM}" stroke="#0b0c0c"/>',
            *body,
            f'<text x="{(LEFT + W - RIGHT) / 2}" y="{H - 10}" text-anchor="middle" font-size="13" '
            f'fill="#0b0c0c">{escape(x_label)}</text>',
            f'<text x="14" y="{(TOP + H - BOTTOM) / 2}" text-anchor="middle" font-size="13" '
            f'fill="#0b0c0c" transform="rotate(-90 14 {(TOP + H - BOTTOM) / 2})">{escape(y_label)}'
            "</text></svg>",
        ]
    )


def _ticks(high: float, *, vertical: bool, scale) -> list[str]:
    out = []
    for i in range(5):
        value = high * i / 4
        if vertical:
            y = scale(value)
            out.append(
                f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
                f'fill="#0b0c0c">{value:g}</text>'
            )
        else:
            x = scale(value)
            out.append(
                f'<text x="{x:.1f}" y="{H - BOTTOM + 16}" text-anchor="middle" '
                f'font-size="11" fill="#0b0c0c">{value:.4g}</text>'
            )
    return out


def bars(
    title: str, desc: str, labels: list[str], values: list, *, x_label: str, y_label: str = ""
) -> Chart:
    """Horizontal bars, one per label (withheld values drawn as no bar)."""
    shown = [v for v in values if v is not None]
    high = max(shown, default=0) or 1
    band = (H - TOP - BOTTOM) / max(len(labels), 1)

    def sx(v):
        return LEFT + (W - LEFT - RIGHT) * v / high

    body = _ticks(high, vertical=False, scale=sx)
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = TOP + i * band
        body.append(
            f'<text x="{LEFT - 6}" y="{y + band / 2 + 4:.1f}" text-anchor="end" '
            f'font-size="11" fill="#0b0c0c">{escape(str(label))}</text>'
        )
        if value is not None:
            body.append(
                f'<rect x="{LEFT}" y="{y + band * 0.15:.1f}" width="{sx(value) - LEFT:.1f}" '
                f'height="{band * 0.7:.1f}" fill="{COLOURS[0]}"/>'
            )
    return Chart(
        _frame(title, desc, body, x_label, y_label),
        title,
        [y_label or "", x_label],
        [[str(lab), _fmt(v)] for lab, v in zip(labels, values, strict=True)],
    )


def survival_curves(
    title: str,
    desc: str,
    curves: list[dict],
    *,
    x_label: str = "days",
    y_label: str = "still without the event",
) -> Chart:
    """Kaplan-Meier step curves with their interval bands (rows: time, survival, lower,
    upper)."""
    high = max((r["time"] for c in curves for r in c["rows"]), default=0) or 1

    def sx(t):
        return LEFT + (W - LEFT - RIGHT) * t / high

    def sy(s):
        return TOP + (H - TOP - BOTTOM) * (1 - s)

    body = _ticks(high, vertical=False, scale=sx) + _ticks(1.0, vertical=True, scale=sy)
    rows = []
    for i, curve in enumerate(curves):
        colour = COLOURS[i % len(COLOURS)]
        pts = [(0.0, 1.0, 1.0, 1.0)] + [
            (
                r["time"],
                r["survival"],
                r["lower"] if r["lower"] is not None else r["survival"],
                r["upper"] if r["upper"] is not None else r["survival"],
            )
            for r in curve["rows"]
        ]
        line, upper, lower = [], [], []
        for j, (t, s, lo, hi) in enumerate(pts):
            if j:
                line.append(f"L{sx(t):.1f},{sy(pts[j - 1][1]):.1f}")
                upper.append(f"L{sx(t):.1f},{sy(pts[j - 1][3]):.1f}")
                lower.append((sx(t), sy(pts[j - 1][2])))
            line.append(f"{'M' if not j else 'L'}{sx(t):.1f},{sy(s):.1f}")
            upper.append(f"{'M' if not j else 'L'}{sx(t):.1f},{sy(hi):.1f}")
            lower.append((sx(t), sy(lo)))
        band = "".join(upper) + "".join(f"L{x:.1f},{y:.1f}" for x, y in reversed(lower)) + "Z"
        body.append(f'<path d="{band}" fill="{colour}" fill-opacity="0.15" stroke="none"/>')
        body.append(f'<path d="{"".join(line)}" fill="none" stroke="{colour}" stroke-width="2"/>')
        body.append(
            f'<text x="{W - RIGHT - 4}" y="{TOP + 14 * (i + 1)}" text-anchor="end" '
            f'font-size="12" fill="{colour}">{escape(str(curve["group"]))}</text>'
        )
        step = max(1, len(curve["rows"]) // 12)
        for r in curve["rows"][::step]:
            rows.append(
                [
                    str(curve["group"]),
                    _fmt(r["time"], 0),
                    _fmt(r["survival"], 3),
                    _fmt(r["lower"], 3),
                    _fmt(r["upper"], 3),
                ]
            )
    return Chart(
        _frame(title, desc, body, x_label, y_label),
        title,
        ["group", x_label, "survival", "lower 95%", "upper 95%"],
        rows,
    )


def ranges(title: str, desc: str, items: list[dict], *, x_label: str = "days") -> Chart:
    """One box per item: quartiles as the box, the median as a line, the 90th percentile as
    a whisker."""
    shown = [i for i in items if i.get("median") is not None]
    high = max((i["p90"] for i in shown), default=0) or 1
    band = (H - TOP - BOTTOM) / max(len(items), 1)

    def sx(v):
        return LEFT + (W - LEFT - RIGHT) * v / high

    body = _ticks(high, vertical=False, scale=sx)
    for k, item in enumerate(items):
        y = TOP + k * band
        body.append(
            f'<text x="{LEFT - 6}" y="{y + band / 2 + 4:.1f}" text-anchor="end" '
            f'font-size="11" fill="#0b0c0c">{escape(str(item["label"]))}</text>'
        )
        if item.get("median") is None:
            continue
        mid = y + band / 2
        body += [
            f'<line x1="{sx(item["q3"]):.1f}" y1="{mid:.1f}" x2="{sx(item["p90"]):.1f}" '
            f'y2="{mid:.1f}" stroke="#0b0c0c"/>',
            f'<rect x="{sx(item["q1"]):.1f}" y="{y + band * 0.2:.1f}" '
            f'width="{max(sx(item["q3"]) - sx(item["q1"]), 1):.1f}" height="{band * 0.6:.1f}" '
            f'fill="{COLOURS[0]}" fill-opacity="0.3" stroke="{COLOURS[0]}"/>',
            f'<line x1="{sx(item["median"]):.1f}" y1="{y + band * 0.2:.1f}" '
            f'x2="{sx(item["median"]):.1f}" y2="{y + band * 0.8:.1f}" stroke="#0b0c0c" '
            'stroke-width="3"/>',
        ]
    rows = [
        [
            str(i["label"]),
            _fmt(i.get("n")),
            _fmt(i.get("q1"), 1),
            _fmt(i.get("median"), 1),
            _fmt(i.get("q3"), 1),
            _fmt(i.get("p90"), 1),
        ]
        for i in items
    ]
    return Chart(
        _frame(title, desc, body, x_label, ""),
        title,
        ["", "people", "lower quartile", "median", "upper quartile", "90th percentile"],
        rows,
    )


def ratios(
    title: str,
    desc: str,
    items: list[dict],
    *,
    x_label: str = "ratio to the reference group",
    with_rate: bool = True,
) -> Chart:
    """Disparity ratios as points with their intervals, and a line at 1 (no difference).
    `with_rate=False` for ratios that have no rate behind them (hazard ratios); an item with
    `reference` true is the reference group (its ratio is 1 by definition, with no interval)."""
    values = [v for i in items for v in (i.get("ratio"), i.get("upper")) if v is not None]
    high = max([*values, 2.0])
    band = (H - TOP - BOTTOM) / max(len(items), 1)

    def sx(v):
        return LEFT + (W - LEFT - RIGHT) * v / high

    body = _ticks(high, vertical=False, scale=sx)
    body.append(
        f'<line x1="{sx(1):.1f}" y1="{TOP}" x2="{sx(1):.1f}" y2="{H - BOTTOM}" '
        'stroke="#505a5f" stroke-dasharray="4 3"/>'
    )
    for k, item in enumerate(items):
        mid = TOP + k * band + band / 2
        body.append(
            f'<text x="{LEFT - 6}" y="{mid + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#0b0c0c">{escape(str(item["label"]))}</text>'
        )
        if item.get("ratio") is None:
            continue
        if item.get("lower") is not None and item.get("upper") is not None:
            body.append(
                f'<line x1="{sx(item["lower"]):.1f}" y1="{mid:.1f}" '
                f'x2="{sx(item["upper"]):.1f}" y2="{mid:.1f}" stroke="{COLOURS[0]}" '
                'stroke-width="2"/>'
            )
        body.append(
            f'<circle cx="{sx(item["ratio"]):.1f}" cy="{mid:.1f}" r="5" fill="{COLOURS[0]}"/>'
        )
    rows = [
        [
            str(i["label"]),
            *([_fmt(i.get("rate"), 3)] if with_rate else []),
            _fmt(i.get("ratio"), 2),
            *(
                ["reference group"] * 2
                if i.get("reference")
                else [_fmt(i.get("lower"), 2), _fmt(i.get("upper"), 2)]
            ),
        ]
        for i in items
    ]
    head = ["group", *(["rate"] if with_rate else []), "ratio", "lower 95%", "upper 95%"]
    return Chart(_frame(title, desc, body, x_label, ""), title, head, rows)
