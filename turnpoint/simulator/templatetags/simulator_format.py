"""Number formats for the simulator page: counts, pounds and ratios with their intervals."""

from django import template

register = template.Library()


def _one(value, kind: str) -> str:
    if value is None:
        return "n/a"
    if kind == "money":
        millions = round(value / 1e6, 1) + 0.0  # + 0.0 turns -0.0 into 0.0
        return f"{'-' if millions < 0 else ''}£{abs(millions):,.1f}m"
    if kind == "ratio":
        return f"{value:.2f}"
    if kind == "rate":
        return f"{value:,.2f}"
    return f"{value:,.0f}"


@register.filter
def sim_value(cell, kind="count"):
    return _one(cell.get("mean"), kind)


@register.filter
def sim_interval(cell, kind="count"):
    if cell.get("low") is None:
        return "n/a"
    return f"{_one(cell['low'], kind)} to {_one(cell['high'], kind)}"


@register.filter
def sim_se(cell, kind="count"):
    return _one(cell.get("se"), kind)


@register.filter
def sim_money(value):
    return _one(value, "money")


@register.filter
def sim_figure(value):
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


@register.filter
def sim_percent(value):
    return f"{value:.0%}"


@register.filter
def sim_percent_points(value):
    return f"{value * 100:.1f} points"


@register.filter
def get_change_deaths(row):
    cell = row.get("change.drug_deaths_per_1000")
    return _one(cell.get("mean"), "rate") if cell else "n/a"
