"""Charts as inline SVG strings, drawn on the server: no JavaScript, no build step.

Every chart has a <title> and <desc> for screen readers; the page also shows the numbers in a
table next to it. All text is escaped here, so the templates may mark the result safe.
"""

from __future__ import annotations

from html import escape

WIDTH, HEIGHT = 640, 280
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 70, 20, 20, 40
COLOURS = ("#1d70b8", "#d4351c", "#00703c", "#f47738")  # GOV.UK blue, red, green, orange


def _fmt(x: float) -> str:
    ax = abs(x)
    if ax >= 1e9:
        return f"{x / 1e9:.1f}bn"
    if ax >= 1e6:
        return f"{x / 1e6:.1f}m"
    if ax >= 1e4:
        return f"{x / 1e3:.0f}k"
    if x == 0:
        return "0"
    return f"{x:,.0f}" if ax >= 10 else f"{x:.2f}"


def _open(title: str, desc: str, height: int = HEIGHT) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img"'
        f' class="tp-chart" width="100%" style="max-width:{WIDTH}px"'
        ' font-family="system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif">',
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>",
    ]


def line_chart(
    series: dict[str, list[float]], *, title: str, x_label: str, desc: str, y_label: str = ""
) -> str:
    """Lines over weeks (x = index), one per named series, with a legend."""
    values = [v for line in series.values() for v in line]
    if not values:
        return ""
    top = max(values) * 1.3 or 1.0  # headroom for the legend
    n = max(len(line) for line in series.values())
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM

    def x(i: int) -> float:
        return MARGIN_LEFT + plot_w * i / max(n - 1, 1)

    def y(v: float) -> float:
        return MARGIN_TOP + plot_h * (1 - v / top)

    out = _open(title, desc)
    for k in range(5):
        v = top * k / 4
        out.append(
            f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{y(v):.1f}" y2="{y(v):.1f}"'
            ' stroke="#b1b4b6" stroke-width="0.5"/>'
            f'<text x="{MARGIN_LEFT - 6}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="11">'
            f"{escape(_fmt(v))}</text>"
        )
    years = n / 52.18
    for yr in range(int(years) + 1):
        xi = x(int(yr * 52.18))
        out.append(
            f'<text x="{xi:.1f}" y="{HEIGHT - MARGIN_BOTTOM + 16}" text-anchor="middle"'
            f' font-size="11">{yr}</text>'
        )
    out.append(
        f'<text x="{MARGIN_LEFT + plot_w / 2}" y="{HEIGHT - 6}" text-anchor="middle"'
        f' font-size="12">{escape(x_label)}</text>'
    )
    if y_label:
        mid = MARGIN_TOP + plot_h / 2
        out.append(
            f'<text x="14" y="{mid:.1f}" text-anchor="middle" font-size="12"'
            f' transform="rotate(-90 14 {mid:.1f})">{escape(y_label)}</text>'
        )
    for idx, (name, line) in enumerate(series.items()):
        colour = COLOURS[idx % len(COLOURS)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(line))
        dash = ' stroke-dasharray="6 4"' if idx else ""
        out.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash} points="{points}"/>'
        )
        ly = MARGIN_TOP + 14 + 16 * idx
        out.append(
            f'<line x1="{MARGIN_LEFT + 10}" x2="{MARGIN_LEFT + 34}" y1="{ly - 4}" y2="{ly - 4}"'
            f' stroke="{colour}" stroke-width="2"{dash}/>'
            f'<text x="{MARGIN_LEFT + 40}" y="{ly}" font-size="12">{escape(name)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def tornado_chart(items: list[dict], *, title: str, desc: str) -> str:
    """Horizontal bars from -1 to 1 (rank correlations), largest influence at the top."""
    if not items:
        return ""
    row, label_w = 22, 260
    height = MARGIN_TOP + row * len(items) + 30
    plot_w = WIDTH - label_w - MARGIN_RIGHT
    mid = label_w + plot_w / 2
    out = _open(title, desc, height)
    out.append(
        f'<line x1="{mid}" x2="{mid}" y1="{MARGIN_TOP - 6}" y2="{height - 24}" stroke="#0b0c0c"/>'
    )
    for k, tick in enumerate((-1, -0.5, 0, 0.5, 1)):
        tx = mid + tick * plot_w / 2
        anchor = ("start", "middle", "middle", "middle", "end")[k]
        out.append(
            f'<text x="{tx:.1f}" y="{height - 8}" text-anchor="{anchor}" font-size="11">'
            f"{tick:g}</text>"
        )
    for i, item in enumerate(items):
        rho = float(item["correlation"])
        cy = MARGIN_TOP + row * i
        w = abs(rho) * plot_w / 2
        bx = mid if rho >= 0 else mid - w
        colour = COLOURS[0] if rho >= 0 else COLOURS[1]
        out.append(
            f'<text x="{label_w - 8}" y="{cy + 14}" text-anchor="end" font-size="11">'
            f"{escape(item['parameter'])}</text>"
            f'<rect x="{bx:.1f}" y="{cy + 3}" width="{w:.1f}" height="{row - 6}" fill="{colour}"/>'
        )
    out.append("</svg>")
    return "".join(out)


def one_way_chart(rows: list[dict], *, base: float, title: str, desc: str, x_label: str) -> str:
    """One-way tornado: for each parameter, a bar from the result at its low value to the result
    at its high value, around the result with every parameter at its point value (the line).
    Bars are drawn widest first; the label is in words, not the parameter's name."""
    if not rows:
        return ""
    row, label_w = 24, 300
    height = MARGIN_TOP + row * len(rows) + 46
    values = [base] + [r["result_at_low"] for r in rows] + [r["result_at_high"] for r in rows]
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    plot_w = WIDTH - label_w - MARGIN_RIGHT - 10

    def x(v: float) -> float:
        return label_w + plot_w * (v - lo) / span

    out = _open(title, desc, height)
    bottom = MARGIN_TOP + row * len(rows)
    for i, r in enumerate(rows):
        cy = MARGIN_TOP + row * i
        for key, colour in (("result_at_low", COLOURS[1]), ("result_at_high", COLOURS[0])):
            x0, x1 = sorted((x(base), x(r[key])))
            out.append(
                f'<rect x="{x0:.1f}" y="{cy + 4}" width="{max(x1 - x0, 1):.1f}"'
                f' height="{row - 8}" fill="{colour}" fill-opacity="0.85"/>'
            )
        out.append(
            f'<text x="{label_w - 8}" y="{cy + 16}" text-anchor="end" font-size="11">'
            f"{escape(r['label'])}</text>"
        )
    out.append(
        f'<line x1="{x(base):.1f}" x2="{x(base):.1f}" y1="{MARGIN_TOP - 6}" y2="{bottom}"'
        ' stroke="#0b0c0c" stroke-width="1.5"/>'
    )
    for tick in (lo, base, hi):
        out.append(
            f'<text x="{x(tick):.1f}" y="{bottom + 14}" text-anchor="middle" font-size="11">'
            f"{escape(_fmt(tick))}</text>"
        )
    out.append(
        f'<text x="{label_w + plot_w / 2:.1f}" y="{height - 8}" text-anchor="middle"'
        f' font-size="12">{escape(x_label)} (red: figure at its low end; blue: at its high'
        " end)</text>"
    )
    out.append("</svg>")
    return "".join(out)


def curve_chart(
    points: list[tuple[float, float]], *, title: str, desc: str, x_label: str, y_label: str
) -> str:
    """A line through (x, y) points with y a probability from 0 to 1; both axes labelled."""
    if not points:
        return ""
    xs = [p[0] for p in points]
    x_lo, x_hi = min(xs), max(xs)
    x_span = (x_hi - x_lo) or 1.0
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM

    def px(v: float) -> float:
        return MARGIN_LEFT + plot_w * (v - x_lo) / x_span

    def py(v: float) -> float:
        return MARGIN_TOP + plot_h * (1 - v)

    out = _open(title, desc)
    for k in range(5):
        v = k / 4
        out.append(
            f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{py(v):.1f}"'
            f' y2="{py(v):.1f}" stroke="#b1b4b6" stroke-width="0.5"/>'
            f'<text x="{MARGIN_LEFT - 6}" y="{py(v) + 4:.1f}" text-anchor="end" font-size="11">'
            f"{v:.0%}</text>"
        )
    for k in range(5):
        v = x_lo + x_span * k / 4
        out.append(
            f'<text x="{px(v):.1f}" y="{HEIGHT - MARGIN_BOTTOM + 16}" text-anchor="middle"'
            f' font-size="11">{escape(_fmt(v))}</text>'
        )
    out.append(
        f'<text x="{MARGIN_LEFT + plot_w / 2}" y="{HEIGHT - 6}" text-anchor="middle"'
        f' font-size="12">{escape(x_label)}</text>'
        f'<text x="14" y="{MARGIN_TOP + plot_h / 2:.1f}" text-anchor="middle" font-size="12"'
        f' transform="rotate(-90 14 {MARGIN_TOP + plot_h / 2:.1f})">{escape(y_label)}</text>'
    )
    line = " ".join(f"{px(a):.1f},{py(b):.1f}" for a, b in points)
    out.append(f'<polyline fill="none" stroke="{COLOURS[0]}" stroke-width="2" points="{line}"/>')
    out.append("</svg>")
    return "".join(out)


def interval_chart(rows: list[tuple[str, dict]], *, title: str, desc: str) -> str:
    """Horizontal bars for means with 95% interval whiskers; a zero line when values cross it."""
    cells = [(label, c) for label, c in rows if c.get("mean") is not None]
    if not cells:
        return ""
    row, label_w = 28, 220
    height = MARGIN_TOP + row * len(cells) + 30
    lows = [min(c["low"], 0.0) for _, c in cells]
    highs = [max(c["high"], 0.0) for _, c in cells]
    lo, hi = min(lows), max(highs)
    span = (hi - lo) or 1.0
    plot_w = WIDTH - label_w - MARGIN_RIGHT - 10

    def x(v: float) -> float:
        return label_w + plot_w * (v - lo) / span

    out = _open(title, desc, height)
    out.append(
        f'<line x1="{x(0):.1f}" x2="{x(0):.1f}" y1="{MARGIN_TOP - 6}" y2="{height - 24}"'
        ' stroke="#0b0c0c"/>'
    )
    for tick in (lo, 0.0, hi):
        out.append(
            f'<text x="{x(tick):.1f}" y="{height - 8}" text-anchor="middle" font-size="11">'
            f"{escape(_fmt(tick))}</text>"
        )
    for i, (label, c) in enumerate(cells):
        cy = MARGIN_TOP + row * i
        x0, x1 = sorted((x(0), x(c["mean"])))
        colour = COLOURS[0] if c["mean"] >= 0 else COLOURS[1]
        out.append(
            f'<text x="{label_w - 8}" y="{cy + 17}" text-anchor="end" font-size="11">'
            f"{escape(label)}</text>"
            f'<rect x="{x0:.1f}" y="{cy + 6}" width="{max(x1 - x0, 1):.1f}" height="{row - 12}"'
            f' fill="{colour}" fill-opacity="0.8"/>'
            f'<line x1="{x(c["low"]):.1f}" x2="{x(c["high"]):.1f}" y1="{cy + row / 2}"'
            f' y2="{cy + row / 2}" stroke="#0b0c0c" stroke-width="1.5"/>'
        )
    out.append("</svg>")
    return "".join(out)
