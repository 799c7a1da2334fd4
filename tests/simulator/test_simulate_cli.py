"""``turnpoint simulate``: the plain function and the Django management command."""

import csv
import io
import json

import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command

from turnpoint.simulator import cli

from .helpers import SCENARIOS, baseline_data, write_yaml


def _short_copy(tmp_path, name="ew_ost_continuity_for_all.yaml"):
    """Copies of a policy scenario and its baseline with a two-year horizon, for speed."""
    base = baseline_data()
    base["horizon_years"] = 2
    base["warm_up_years"] = 2
    write_yaml(tmp_path / "ew_baseline.yaml", base)
    text = (SCENARIOS / name).read_text()
    path = tmp_path / name
    path.write_text(text)
    return path


def test_json_summary_has_intervals_and_comparison(tmp_path):
    out = io.StringIO()
    status = cli.main(
        [str(_short_copy(tmp_path)), "--runs", "5", "--seed", "3", "--json"], stdout=out
    )
    assert status == 0
    data = json.loads(out.getvalue())
    assert data["scenario"]["runs"] == 5
    cell = data["outcomes"]["deaths_drug"]
    assert cell["low"] <= cell["mean"] <= cell["high"]
    comp = data["comparison"]
    assert comp["baseline"] == "ew_baseline"
    assert comp["changes"]["deaths_drug"]["high"] < 0  # OST for all: fewer deaths in every run
    assert 0.0 <= comp["probability_benefits_exceed_costs"] <= 1.0
    assert data["sensitivity"]["parameters"]
    assert {g["group"] for g in data["equity"]["sex"]} == {"male", "female"}
    assert data["provenance"]["assumptions"]


def test_same_seed_prints_the_same_output(tmp_path):
    path = str(_short_copy(tmp_path))
    first, second = io.StringIO(), io.StringIO()
    cli.main([path, "--runs", "4", "--seed", "8"], stdout=first)
    cli.main([path, "--runs", "4", "--seed", "8"], stdout=second)
    assert first.getvalue() == second.getvalue()
    assert "chance benefits exceed costs" in first.getvalue()


def test_csv_and_parquet_have_one_row_per_run(tmp_path):
    path = str(_short_copy(tmp_path))
    csv_file, parquet_file = tmp_path / "runs.csv", tmp_path / "runs.parquet"
    cli.main(
        [path, "--runs", "7", "--csv", str(csv_file), "--parquet", str(parquet_file)],
        stdout=io.StringIO(),
    )
    rows = list(csv.DictReader(csv_file.open()))
    assert [int(r["run"]) for r in rows] == list(range(7))
    assert "economics.npv" in rows[0] and "param.effect.drug_court" in rows[0]
    table = pq.read_table(parquet_file)
    assert table.num_rows == 7
    assert table.column("economics.npv").to_pylist() == [float(r["economics.npv"]) for r in rows]


def test_bad_input_exits_non_zero_with_file_key_and_reason(tmp_path, capsys):
    data = baseline_data()
    data["disposal_mix"]["shares"]["custody"] = 2
    path = write_yaml(tmp_path / "bad.yaml", data)
    assert cli.main([str(path), "--runs", "2"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "disposal_mix.shares.custody" in err and "between 0 and 1" in err


def test_missing_file_exits_non_zero(tmp_path, capsys):
    assert cli.main([str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml" in capsys.readouterr().err


def test_management_command_prints_summary(tmp_path):
    out = io.StringIO()
    call_command("simulate", str(_short_copy(tmp_path)), runs=3, seed=1, json=True, stdout=out)
    assert json.loads(out.getvalue())["scenario"]["name"] == "ew_ost_continuity_for_all"


def test_management_command_raises_command_error(tmp_path):
    data = baseline_data()
    data["inflow"]["arrivals_per_year"] = -1
    path = write_yaml(tmp_path / "bad.yaml", data)
    with pytest.raises(CommandError, match=r"inflow\.arrivals_per_year"):
        call_command("simulate", str(path), runs=2, stdout=io.StringIO())
