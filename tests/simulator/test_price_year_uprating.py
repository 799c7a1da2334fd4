"""Costs uprated to a chosen price year with a deployment-supplied GDP deflator series; refused
without one. The series below is test data, not HM Treasury's figures."""

import io
import json

import numpy as np
import pytest
import yaml

from turnpoint.simulator import cli, prices

from .helpers import baseline_data, write_yaml

SERIES = {
    "source": "test series (made-up index values for the test, not a published release)",
    "index": {
        "2004-05": 70.0,
        "2010": 80.0,
        "2010-11": 82.0,
        "2012": 85.0,
        "2022-23": 100.0,
        "2023-24": 105.0,
    },
}


def _files(tmp_path):
    base = baseline_data()
    base["horizon_years"], base["warm_up_years"] = 1, 1
    path = write_yaml(tmp_path / "ew_baseline.yaml", base)
    series = tmp_path / "deflator.yaml"
    series.write_text(yaml.safe_dump(SERIES))
    return path, series


def test_each_cost_is_uprated_from_its_own_price_year(tmp_path):
    path, series = _files(tmp_path)
    deflator = prices.load_deflator(series)
    plain = cli.run_simulation(path, runs=6, seed=5)
    up = cli.run_simulation(path, runs=6, seed=5, deflator=deflator)
    assert up.prices["price_year"] == "2023-24"  # the series' latest year by default
    factors = {k: v["factor"] for k, v in up.prices["uprated"].items()}
    assert factors["cost.prison_per_year"] == pytest.approx(105 / 100, rel=1e-12)
    assert factors["value.prevented_fatality"] == pytest.approx(105 / 80, rel=1e-12)
    assert factors["cost.programme.dtto.per_order"] == pytest.approx(105 / 70, rel=1e-12)
    assert factors["crime.cost_per_year_high_risk"] == pytest.approx(105 / 85, rel=1e-12)
    assert "cost.ost_per_year" in up.prices["not_uprated"]  # its source names no year
    params = up.result.scenario.params
    assert params["cost.prison_per_year"].value == pytest.approx(34_000 * 1.05, rel=1e-12)
    # Same seed, same draws: every prison-cost draw and so the prison cost line scale exactly.
    for key, factor in (("cost_prison", 1.05), ("cost_deaths", 105 / 80)):
        assert np.allclose(up.result.totals[key], plain.result.totals[key] * factor, rtol=1e-9)
    assert np.array_equal(
        up.result.totals["prison_bed_days"], plain.result.totals["prison_bed_days"]
    )
    summary = up.summary()
    assert summary["prices"]["price_year"] == "2023-24"
    assert "2023-24 prices" in summary["provenance"]["warning"]


def test_a_chosen_year_rescales_to_that_year(tmp_path):
    path, series = _files(tmp_path)
    out = io.StringIO()
    status = cli.main(
        [str(path), "--runs", "3", "--no-tornado", "--deflator", str(series),
         "--price-year", "2010-11", "--json"],
        stdout=out,
    )  # fmt: skip
    assert status == 0
    data = json.loads(out.getvalue())
    assert data["prices"]["price_year"] == "2010-11"
    assert data["prices"]["uprated"]["cost.prison_per_year"]["factor"] == pytest.approx(0.82)


def test_price_year_is_refused_without_a_series_or_outside_it(tmp_path, capsys):
    path, series = _files(tmp_path)
    assert cli.main([str(path), "--runs", "2", "--price-year", "2023"]) == 2
    err = capsys.readouterr().err
    assert "--price-year" in err and "deflator" in err
    assert (
        cli.main([str(path), "--runs", "2", "--deflator", str(series), "--price-year", "1999"]) == 2
    )
    assert "1999 is not in the deflator series" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"source": "x", "index": {"2010": -1}}))
    assert cli.main([str(path), "--runs", "2", "--deflator", str(bad)]) == 2
    assert "index.2010" in capsys.readouterr().err


def test_without_a_series_the_output_says_money_is_not_uprated(tmp_path):
    path, _ = _files(tmp_path)
    summary = cli.run_simulation(path, runs=2, seed=1).summary()
    assert "prices" not in summary
    assert "not uprated" in summary["provenance"]["warning"]
