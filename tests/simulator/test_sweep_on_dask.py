"""A scenario sweep on Dask gives the same numbers as running each scenario directly."""

import numpy as np

from turnpoint.simulator import sweep
from turnpoint.simulator.runner import simulate
from turnpoint.simulator.scenario import load_scenario

from .helpers import baseline_data, write_yaml


def _files(tmp_path):
    base = baseline_data()
    base["horizon_years"] = 1
    base["warm_up_years"] = 1
    write_yaml(tmp_path / "ew_baseline.yaml", base)
    policy = {
        "extends": "ew_baseline.yaml",
        "compare_to": "ew_baseline.yaml",
        "name": "policy",
        "title": "policy",
        "parameters": {
            "custody.ost_at_release": {
                "value": 1.0,
                "source": "assumption: test",
                "status": "assumption",
            }
        },
    }
    return [write_yaml(tmp_path / "policy.yaml", policy), tmp_path / "ew_baseline.yaml"]


def test_sweep_matches_direct_runs(tmp_path):
    files = _files(tmp_path)
    results = sweep.sweep(files, runs=5, seed=4, chunk=2, scheduler="threads")
    assert set(results) == {"policy", "ew_baseline"}
    direct = simulate(load_scenario(files[0]), runs=5, seed=4)
    swept, base = results["policy"]
    assert base.scenario.name == "ew_baseline"
    for key in ("prison_bed_days", "cost_ost", "by_group.deaths_drug"):
        assert np.array_equal(swept.totals[key], direct.totals[key]), key


def test_sweep_command_writes_one_row_per_scenario_and_run(tmp_path, capsys):
    files = _files(tmp_path)
    out = tmp_path / "sweep.csv"
    status = sweep.main([*map(str, files), "--runs", "3", "--chunk", "2", "--csv", str(out)])
    assert status == 0
    lines = out.read_text().splitlines()
    assert len(lines) == 1 + 2 * 3
    assert "policy" in capsys.readouterr().out
