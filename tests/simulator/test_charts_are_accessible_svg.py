"""Server-side charts: well-formed SVG with a title and description, and escaped text."""

import xml.etree.ElementTree as ET

import pytest

from turnpoint.simulator import charts

NS = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # noqa: S314 - our own output, not untrusted input
    assert root.tag == f"{NS}svg" and root.get("role") == "img"
    assert root.find(f"{NS}title").text and root.find(f"{NS}desc").text
    return root


def test_line_chart_draws_one_line_per_series():
    svg = charts.line_chart(
        {"Scenario": [0, 10, 20], "Baseline <b>": [0, 12, 25]},
        title="People in prison",
        x_label="years",
        desc="d",
    )
    root = _parse(svg)
    assert len(root.findall(f"{NS}polyline")) == 2
    assert "Baseline <b>" in [t.text for t in root.iter(f"{NS}text")]  # escaped, then parsed back


def test_tornado_bars_point_the_way_of_the_correlation():
    items = [{"parameter": "a", "correlation": 0.5}, {"parameter": "b", "correlation": -0.25}]
    root = _parse(charts.tornado_chart(items, title="t", desc="d"))
    widths = [float(r.get("width")) for r in root.iter(f"{NS}rect")]
    assert widths[0] == 2 * widths[1]


def test_interval_chart_skips_empty_cells():
    rows = [("Net cost", {"mean": 5.0, "low": 1.0, "high": 9.0}), ("Ratio", {"mean": None})]
    root = _parse(charts.interval_chart(rows, title="t", desc="d"))
    assert len(list(root.iter(f"{NS}rect"))) == 1


def test_one_way_bars_run_from_the_base_result_to_each_end():
    rows = [
        {"label": "Prison cost <a year>", "result_at_low": -10.0, "result_at_high": 30.0},
        {"label": "Effect", "result_at_low": 5.0, "result_at_high": 0.0},
    ]
    root = _parse(charts.one_way_chart(rows, base=0.0, title="t", desc="d", x_label="NPV"))
    widths = [float(r.get("width")) for r in root.iter(f"{NS}rect")]
    assert widths[0] * 3 == pytest.approx(widths[1])  # 10 below and 30 above the base
    assert widths[2] * 2 == pytest.approx(widths[0], rel=0.01)  # 5 above, half of 10
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert "Prison cost <a year>" in texts  # escaped, then parsed back
    assert any(t and t.startswith("NPV") for t in texts)  # the axis has its label


def test_acceptability_curve_has_both_axes_labelled():
    svg = charts.curve_chart(
        [(0.0, 0.2), (1e6, 0.5), (2e6, 0.9)], title="t", desc="d", x_label="x", y_label="y"
    )
    root = _parse(svg)
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert "x" in texts and "y" in texts and "100%" in texts
    assert len(root.findall(f"{NS}polyline")) == 1
