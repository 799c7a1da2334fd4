"""What analysts expect of the outputs: Monte Carlo standard errors, a warning when the sign of
the net present value is not settled, a one-way tornado, the break-even value of a parameter,
an acceptability curve, a side-by-side table, and a note when one line carries the result."""

import io
import json
import math

import numpy as np
import pytest
import yaml

from turnpoint.simulator import analysis, charts, cli, outputs
from turnpoint.simulator.economics import compare
from turnpoint.simulator.runner import simulate
from turnpoint.simulator.scenario import load_scenario

from .helpers import SCENARIOS


@pytest.fixture(scope="module")
def short(tmp_path_factory):
    """The shipped scenarios with a two-year horizon and warm-up, for speed."""
    folder = tmp_path_factory.mktemp("scenarios")
    for path in SCENARIOS.glob("*.yaml"):
        data = yaml.safe_load(path.read_text())
        if "horizon_years" in data:
            data["horizon_years"] = 2
        if "warm_up_years" in data:
            data["warm_up_years"] = 2
        (folder / path.name).write_text(yaml.safe_dump(data, sort_keys=False))
    return folder


def _pair(folder, name, runs=60, seed=3):
    scenario = load_scenario(folder / name)
    baseline = load_scenario(scenario.compare_to)
    return simulate(scenario, runs=runs, seed=seed), simulate(baseline, runs=runs, seed=seed)


def test_every_mean_and_probability_has_its_monte_carlo_standard_error(short):
    result, base = _pair(short, "ew_drug_court_for_short_custody.yaml")
    summary = outputs.summary(result, base)
    npv = outputs.comparison_columns(result, base)["economics.npv"]
    cell = summary["comparison"]["economics"]["npv"]
    assert cell["se"] == pytest.approx(npv.std(ddof=1) / math.sqrt(60), rel=1e-12)
    p = summary["comparison"]["probability_benefits_exceed_costs"]
    assert summary["comparison"]["probability_benefits_exceed_costs_se"] == pytest.approx(
        math.sqrt(p * (1 - p) / 60)
    )
    for group in (summary["outcomes"], summary["comparison"]["changes"]):
        assert all(c["se"] is not None and c["se"] >= 0 for c in group.values())
    assert summary["comparison"]["economics"]["bcr"]["se"] > 0
    assert summary["equity"]["sex"][0]["reconvictions_per_100"]["se"] > 0
    assert all(row["se"] >= 0 for row in summary["comparison"]["acceptability"]["points"])


def test_unsettled_sign_warns_with_the_runs_needed():
    rng = np.random.default_rng(0)
    npv = rng.normal(10.0, 100.0, 400)  # SE 5: the mean is within 2 SE of zero
    sign = outputs.npv_sign(npv)
    mean, se = npv.mean(), npv.std(ddof=1) / 20
    assert abs(mean) < 2 * se and not sign["settled"]
    assert sign["runs_needed"] == math.ceil(400 * (2 * se / abs(mean)) ** 2)
    assert "not settled" in sign["message"] and f"{sign['runs_needed']:,} runs" in sign["message"]
    # With 100 times the runs the standard error is 0.5 and a mean near 10 is settled.
    settled = outputs.npv_sign(rng.normal(10.0, 100.0, 40_000))
    assert settled == {"settled": True, "runs_needed": None, "message": None}


def test_the_summary_says_when_one_line_carries_the_result(short):
    result, base = _pair(short, "ew_ost_continuity_for_all.yaml", runs=30)
    comp = outputs.summary(result, base)["comparison"]
    econ = comp["economics"]
    lines = ["benefits_taxpayers", "benefits_victims", "benefits_deaths_valued"]
    share = abs(econ["benefits_deaths_valued"]["mean"]) / sum(
        abs(econ[k]["mean"]) for k in [*lines, "benefits_indirect"]
    )
    assert share > 0.5  # OST at release: almost all the value is in deaths avoided
    assert comp["rests_on"]["line"] == "benefits_deaths_valued"
    assert comp["rests_on"]["share"] == pytest.approx(share)
    assert "deaths avoided, valued make up" in comp["rests_on"]["message"]


def test_acceptability_curve_revalues_the_same_runs(short):
    result, base = _pair(short, "ew_ost_continuity_for_all.yaml", runs=40)
    curve = outputs.summary(result, base)["comparison"]["acceptability"]
    comp = outputs.comparison_columns(result, base)
    vpf = result.draws["value.prevented_fatality"]
    deaths = comp["economics.benefits_deaths_valued"] / vpf  # discounted deaths avoided
    for point in curve["points"]:
        v = point["value_of_a_prevented_death"]
        expected = np.mean(comp["economics.npv"] - deaths * vpf + deaths * v > 0)
        assert point["probability"] == expected
    # Running the model again with every run's value fixed at one point gives the same chance.
    v = curve["points"][4]["value_of_a_prevented_death"]
    fixed = {"value.prevented_fatality": np.full(40, v)}
    again = compare(
        simulate(load_scenario(short / "ew_ost_continuity_for_all.yaml"), runs=40, seed=3,
                 overrides=fixed).totals,
        simulate(load_scenario(short / "ew_baseline.yaml"), runs=40, seed=3,
                 overrides=fixed).totals,
    )["npv"]  # fmt: skip
    assert np.mean(again > 0) == curve["points"][4]["probability"]
    assert curve["points"][0]["value_of_a_prevented_death"] == 0.0
    assert curve["points"][-1]["value_of_a_prevented_death"] == pytest.approx(3 * 1632892)
    svg = charts.curve_chart(
        [(p["value_of_a_prevented_death"], p["probability"]) for p in curve["points"]],
        title="t", desc="d", x_label="value of a death avoided", y_label="chance NPV > 0",
    )  # fmt: skip
    assert "value of a death avoided" in svg and "chance NPV &gt; 0" in svg


def test_one_way_tornado_gives_the_result_at_each_end_of_each_range(short):
    scenario = load_scenario(short / "ew_drug_court_for_short_custody.yaml")
    baseline = load_scenario(scenario.compare_to)
    tornado = analysis.one_way(scenario, baseline, seed=5, top=40)
    rows = {r["parameter"]: r for r in tornado["parameters"]}
    prison = rows["cost.prison_per_year"]
    assert prison["label"] == "Prison cost per prisoner a year"  # words, not the dotted name
    gamma = scenario.params["cost.prison_per_year"].sample(np.random.default_rng(0), 200_000)
    assert prison["low_value"] == pytest.approx(np.percentile(gamma, 2.5), rel=0.02)
    assert prison["high_value"] == pytest.approx(np.percentile(gamma, 97.5), rel=0.02)
    # Check one row against its own deterministic run: everything at point values but the
    # prison cost at its high end.
    from turnpoint.simulator.runner import point_draws

    def npv_at(value):
        draws = {k: v.copy() for k, v in point_draws(scenario).items()}
        draws["cost.prison_per_year"] = np.array([value])
        a = simulate(load_scenario(short / "ew_drug_court_for_short_custody.yaml"), runs=1,
                     seed=5, overrides=draws)  # fmt: skip
        draws_b = {k: v.copy() for k, v in point_draws(baseline).items()}
        draws_b["cost.prison_per_year"] = np.array([value])
        b = simulate(load_scenario(short / "ew_baseline.yaml"), runs=1, seed=5,
                     overrides=draws_b)  # fmt: skip
        return float(compare(a.totals, b.totals)["npv"][0])

    assert prison["result_at_high"] == pytest.approx(npv_at(prison["high_value"]), rel=1e-9)
    assert tornado["base_result"] == pytest.approx(npv_at(34000.0), rel=1e-9)
    # Ordered by swing, widest first; every label is words (no dotted parameter names).
    swings = [r["swing"] for r in tornado["parameters"]]
    assert swings == sorted(swings, reverse=True)
    assert all("." not in r["label"].split(" ")[0] for r in tornado["parameters"])
    assert all(r["label"] != r["parameter"] for r in tornado["parameters"])


def test_threshold_finds_the_break_even_cost_by_bisection_over_common_random_numbers(short):
    scenario = load_scenario(short / "ew_drug_court_for_short_custody.yaml")
    baseline = load_scenario(scenario.compare_to)
    name = "cost.programme.drug_court.per_order"
    found = analysis.threshold(scenario, baseline, name, runs=30, seed=9)
    value = found["breaks_even_at"]
    assert value is not None and 0 < value < 70_000
    # At the value found the mean net present value is zero (to £1 in hundreds of millions),
    # with the same seed, so the same draws of every other figure.
    fixed = {name: np.full(30, value)}
    npv = compare(
        simulate(load_scenario(short / "ew_drug_court_for_short_custody.yaml"), runs=30, seed=9,
                 overrides=fixed).totals,
        simulate(load_scenario(short / "ew_baseline.yaml"), runs=30, seed=9,
                 overrides=fixed).totals,
    )["npv"]  # fmt: skip
    assert abs(npv.mean()) < 1.0
    # A nonlinear figure (the court's effect) needs more steps; the mean NPV at the value found
    # is within 0.1% of the range searched.
    effect = analysis.threshold(scenario, baseline, "effect.drug_court", runs=10, seed=9)
    ends = [e["mean_npv"] for e in effect["evaluations"][:2]]
    if effect["breaks_even_at"] is not None:
        last = min(effect["evaluations"], key=lambda e: abs(e["value"] - effect["breaks_even_at"]))
        assert abs(last["mean_npv"]) < 1e-3 * abs(ends[1] - ends[0])
    else:
        assert (ends[0] > 0) == (ends[1] > 0) and "does not break even" in effect["message"]


def test_threshold_option_and_side_by_side_table_on_the_command_line(short):
    out = io.StringIO()
    status = cli.main(
        [str(short / "ew_drug_court_for_short_custody.yaml"), "--runs", "20", "--json",
         "--threshold", "cost.programme.drug_court.per_order=0:50000", "--threshold-runs", "20"],
        stdout=out,
    )  # fmt: skip
    assert status == 0
    data = json.loads(out.getvalue())
    assert data["thresholds"][0]["searched"] == [0.0, 50000.0]
    assert data["one_way"]["parameters"][0]["label"]
    out = io.StringIO()
    policies = ["ew_drug_court_for_short_custody.yaml", "ew_ost_continuity_for_all.yaml"]
    status = cli.main([*(str(short / p) for p in policies), "--runs", "20", "--json"], stdout=out)
    assert status == 0
    table = json.loads(out.getvalue())
    assert table["baseline"]["name"] == "ew_baseline"
    assert [r["name"] for r in table["policies"]] == [p[:-5] for p in policies]
    # Each row is what the single comparison gives with the same seed and runs.
    one = json.loads(_run_json(short / policies[1], 20))
    row = table["policies"][1]
    assert row["economics"]["npv"] == one["comparison"]["economics"]["npv"]
    assert (
        row["probability_benefits_exceed_costs"]
        == one["comparison"]["probability_benefits_exceed_costs"]
    )
    text = io.StringIO()
    cli.main([*(str(short / p) for p in policies), "--runs", "20"], stdout=text)
    assert "NPV (SE)" in text.getvalue() and "ew_ost_continuity_for_all" in text.getvalue()


def test_side_by_side_needs_one_baseline(short, capsys):
    status = cli.main(
        [str(short / "ew_ost_continuity_for_all.yaml"),
         str(short / "scotland_ost_continuity_for_all.yaml"), "--runs", "2"]
    )  # fmt: skip
    assert status == 2
    assert "compare_to" in capsys.readouterr().err


def _run_json(path, runs):
    out = io.StringIO()
    cli.main([str(path), "--runs", str(runs), "--json", "--no-tornado"], stdout=out)
    return out.getvalue()
