"""Line charts drawn on the server as inline SVG: no script, nothing fetched, printable.

`line_chart` is a pure function from points to markup. Each chart has a title and description
(`<title>`, `<desc>`, named by `aria-labelledby`), labelled axes (dates along the bottom, the
scale's own range up the side), and beside it a visually hidden table with the same numbers for
screen readers (the SVG is one image to them, named by its title and description). Series are
told apart by line pattern and marker shape as well as colour.
"""

from dataclasses import dataclass
from datetime import date

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 24, 16, 48
# Colours of the GOV.UK palette (blue, orange, green, purple) and patterns beside them.
COLOURS = ("#1d70b8", "#f47738", "#00703c", "#4c2c92")
DASHES = ("", "8 4", "2 4", "12 4 2 4")


@dataclass(frozen=True)
class Series:
    name: str
    points: tuple  # ((date, value), ...), oldest first


def _number(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _spoken(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _ticks(low: float, high: float, labels: dict | None) -> list[tuple[float, str]]:
    if labels:
        return [(float(v), str(t)) for v, t in sorted(labels.items())]
    span = high - low
    step = next((s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500) if span / s <= 5), span)
    first = int(low // step) * step
    ticks = []
    value = first
    while value <= high + 1e-9:
        if value >= low - 1e-9:
            ticks.append((float(value), _number(value)))
        value += step
    return ticks


def line_chart(*, chart_id: str, title: str, description: str, series, y_min: float,
               y_max: float, y_label: str, y_labels: dict | None = None) -> SafeString:  # fmt: skip
    """An SVG line chart of `series` (each a `Series` of (date, value) points, oldest first) on a
    y axis from `y_min` to `y_max` named `y_label` (`y_labels`, when given, names the ticks:
    {1: "Low", ...}), and its table. Empty series are left out; with no points at all the chart
    says so in words instead."""
    series = [s for s in series if s.points]
    if not series:
        empty = f'<p class="govuk-body" id="{escape(chart_id)}">{escape(title)}: nothing recorded'
        return mark_safe(empty + " yet.</p>")  # noqa: S308 - escaped above
    days = sorted({d for s in series for d, _ in s.points})
    first, last = days[0], days[-1]
    span_days = max((last - first).days, 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    low, high = float(y_min), float(y_max)
    if high <= low:
        high = low + 1

    def x(day: date) -> float:
        if first == last:
            return LEFT + plot_w / 2
        return LEFT + plot_w * (day - first).days / span_days

    def y(value) -> float:
        clamped = min(max(float(value), low), high)
        return TOP + plot_h * (1 - (clamped - low) / (high - low))

    cid = escape(chart_id)
    parts = [
        f'<svg class="tp-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" focusable="false" '
        f'aria-labelledby="{cid}-title {cid}-desc" id="{cid}" '
        f'preserveAspectRatio="xMinYMin meet">',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{escape(description)}</desc>',
    ]
    # Axes, grid and tick labels.
    for value, label in _ticks(low, high, y_labels):
        yy = y(value)
        parts.append(f'<line class="tp-chart__grid" x1="{LEFT}" y1="{yy:.1f}" '
                     f'x2="{WIDTH - RIGHT}" y2="{yy:.1f}"/>')  # fmt: skip
        parts.append(f'<text class="tp-chart__tick" x="{LEFT - 6}" y="{yy + 4:.1f}" '
                     f'text-anchor="end">{escape(label)}</text>')  # fmt: skip
    base = TOP + plot_h
    parts.append(f'<line class="tp-chart__axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{base}"/>')
    parts.append(
        f'<line class="tp-chart__axis" x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}"/>'
    )
    shown = days if len(days) <= 6 else [days[i * (len(days) - 1) // 5] for i in range(6)]
    for day in dict.fromkeys(shown):
        parts.append(f'<text class="tp-chart__tick" x="{x(day):.1f}" y="{base + 18}" '
                     f'text-anchor="middle">{escape(_spoken(day))}</text>')  # fmt: skip
    parts.append(f'<text class="tp-chart__label" x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 6}" '
                 'text-anchor="middle">Date</text>')  # fmt: skip
    parts.append(f'<text class="tp-chart__label" x="14" y="{TOP + plot_h / 2:.1f}" '
                 f'text-anchor="middle" transform="rotate(-90 14 {TOP + plot_h / 2:.1f})">'
                 f'{escape(y_label)}</text>')  # fmt: skip
    # One line per series, with its markers.
    for index, s in enumerate(series):
        colour, dash = COLOURS[index % len(COLOURS)], DASHES[index % len(DASHES)]
        coords = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in s.points)
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<polyline class="tp-chart__line" fill="none" stroke="{colour}" '
                     f'stroke-width="3"{dashed} points="{coords}"/>')  # fmt: skip
        for d, v in s.points:
            label = escape(f"{s.name}, {_spoken(d)}: {_number(v)}")
            cx, cy = x(d), y(v)
            if index % 2:
                parts.append(f'<rect x="{cx - 5:.1f}" y="{cy - 5:.1f}" width="10" height="10" '
                             f'fill="{colour}"><title>{label}</title></rect>')  # fmt: skip
            else:
                parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="5" fill="{colour}">'
                             f"<title>{label}</title></circle>")  # fmt: skip
    parts.append("</svg>")
    legend = ""
    if len(series) > 1:
        keys = "".join(
            f'<li><svg width="32" height="12" aria-hidden="true" focusable="false">'
            f'<line x1="0" y1="6" x2="32" y2="6" stroke="{COLOURS[i % len(COLOURS)]}" '
            f'stroke-width="3"'
            + (f' stroke-dasharray="{DASHES[i % len(DASHES)]}"' if DASHES[i % len(DASHES)] else "")
            + f"/></svg> {escape(s.name)}</li>"
            for i, s in enumerate(series)
        )
        legend = f'<ul class="govuk-list govuk-body-s tp-chart__legend">{keys}</ul>'
    header = "".join(f'<th scope="col" class="govuk-table__header">{escape(s.name)}</th>'
                     for s in series)  # fmt: skip
    values = {(s.name, d): v for s in series for d, v in s.points}
    body = "".join(
        '<tr class="govuk-table__row">'
        f'<th scope="row" class="govuk-table__header">{escape(_spoken(d))}</th>'
        + "".join(
            f'<td class="govuk-table__cell">'
            f"{escape(_label(values.get((s.name, d)), y_labels))}</td>"
            for s in series
        )
        + "</tr>"
        for d in days
    )
    table = (
        # Hidden by its wrapper: a table ignores a width narrower than its content, so hiding
        # the table itself would still widen the page on a small screen.
        f'<div class="govuk-visually-hidden"><table class="govuk-table" id="{cid}-data">'
        f'<caption class="govuk-table__caption">{escape(title)}</caption>'
        f'<thead class="govuk-table__head"><tr class="govuk-table__row">'
        f'<th scope="col" class="govuk-table__header">Date</th>{header}</tr></thead>'
        f'<tbody class="govuk-table__body">{body}</tbody></table></div>'
    )
    figure = f'<figure class="tp-chart-figure">{"".join(parts)}{legend}</figure>'
    return mark_safe(figure + table)  # noqa: S308 - every value above is escaped


def _label(value, labels: dict | None) -> str:
    if value is None:
        return "Not recorded"
    if labels and value in labels:
        return str(labels[value])
    return _number(value)
