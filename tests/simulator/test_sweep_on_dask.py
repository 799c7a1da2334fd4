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


def test_sweep_on_a_dask_cluster_given_its_address(tmp_path):
    """A LocalCluster started in this process, reached through its tcp:// address: the same
    numbers as running locally, through the function and through the command."""
    from distributed import Client, LocalCluster

    files = _files(tmp_path)
    local = sweep.sweep(files, runs=6, seed=11, chunk=2, scheduler="synchronous")
    with LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, protocol="tcp", dashboard_address=None
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://")
        with Client(cluster.scheduler_address) as client:
            remote = sweep.sweep(files, runs=6, seed=11, client=client)
            assert sweep.workers(client) == 2
        out = tmp_path / "remote.csv"
        status = sweep.main(
            [*map(str, files), "--runs", "6", "--seed", "11", "--csv", str(out),
             "--dask-address", cluster.scheduler_address]
        )  # fmt: skip
    assert status == 0
    for name in ("policy", "ew_baseline"):
        for key in ("prison_bed_days", "cost_ost", "by_group.deaths_drug", "entrants_per_year"):
            assert np.array_equal(remote[name][0].totals[key], local[name][0].totals[key]), key
    here = tmp_path / "local.csv"
    assert sweep.main([*map(str, files), "--runs", "6", "--seed", "11", "--csv", str(here)]) == 0
    assert out.read_text() == here.read_text()


def test_default_is_one_chunk_per_worker_and_the_measured_scheduler():
    assert sweep.DEFAULT_SCHEDULER == "auto"
    assert sweep.auto_scheduler(200) == "synchronous"
    assert sweep.auto_scheduler(1000) == "processes"
    assert sweep.one_chunk_per_worker(200, 2) == 100
    assert sweep.one_chunk_per_worker(201, 2) == 101
    assert sweep.one_chunk_per_worker(1, 8) == 1
    assert sweep.one_chunk_per_worker(100_000, 2) == sweep.MAX_CHUNK  # memory stays bounded


def test_process_scheduler_gives_the_same_numbers(tmp_path):
    files = _files(tmp_path)
    local = sweep.sweep(files, runs=4, seed=2, chunk=2, scheduler="synchronous")
    procs = sweep.sweep(files, runs=4, seed=2, scheduler="processes")
    for name in ("policy", "ew_baseline"):
        assert np.array_equal(
            procs[name][0].totals["prison_bed_days"], local[name][0].totals["prison_bed_days"]
        )
