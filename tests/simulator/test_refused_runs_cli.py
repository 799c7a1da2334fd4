"""`turnpoint simulate` refuses bad input and oversized runs: the key, the reason, the documented
exit status (2 refused, 0 finished), and never a traceback, with or without --json.

These run the real command in a subprocess, as a user would.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from turnpoint.simulator import resources
from turnpoint.simulator.scenario import load_scenario

from .helpers import SCENARIOS, baseline_data, write_yaml

ROOT = Path(__file__).resolve().parents[2]


def _simulate(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "turnpoint.settings"}
    return subprocess.run(
        [sys.executable, "-m", "turnpoint", "simulate", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )


def _short_baseline(tmp_path, change=None) -> Path:
    data = baseline_data()
    data["horizon_years"], data["warm_up_years"] = 1, 1
    if change:
        change(data)
    return write_yaml(tmp_path / "scenario.yaml", data)


def _override(name, **entry):
    def change(data):
        data["parameters"][name] = {"source": "test", "status": "assumption", **entry}

    return change


BAD = [
    # (change, key, words in the reason)
    (_override("cost.prison_per_year", value=float("inf")), "parameters.cost.prison_per_year.value",
     "finite"),
    (_override("cost.prison_per_year", value=float("nan")), "parameters.cost.prison_per_year.value",
     "must be a number"),
    (lambda d: d["inflow"].update(arrivals_per_year=float("inf")), "inflow.arrivals_per_year",
     "finite"),
    (_override("reoffending.reference_one_year.high", value=1.0),
     "parameters.reoffending.reference_one_year.high.value", "strictly between 0 and 1"),
    (_override("reoffending.reference_one_year.low", value=0.0),
     "parameters.reoffending.reference_one_year.low.value", "strictly between 0 and 1"),
    (_override("reoffending.reference_one_year.low", value=0.3,
               distribution={"type": "uniform", "low": 0.0, "high": 0.5}),
     "parameters.reoffending.reference_one_year.low.distribution.low", "logit"),
    (_override("reoffending.desistance_per_year", value=1.0),
     "parameters.reoffending.desistance_per_year.value", "below 1"),
    (_override("effect.dtto", value=-2.5), "parameters.effect.dtto.value", "odds ratio"),
    (_override("effect.dtto", value=0.0, distribution={"type": "normal", "sd": 0.9}),
     "parameters.effect.dtto.distribution.sd", "plausible"),
    (_override("custody.weeks_served", value=0.2), "parameters.custody.weeks_served.value",
     "remand"),
    (_override("custody.weeks_served", value=8, distribution={"type": "uniform", "low": 4,
                                                               "high": 900}),
     "parameters.custody.weeks_served.distribution.high", "260 weeks"),
    (_override("economics.discount_rate", value=0.25), "parameters.economics.discount_rate.value",
     "0 to 10%"),
    (_override("reoffending.persistence_weeks", value=0),
     "parameters.reoffending.persistence_weeks.value", "1 week to 10 years"),
]  # fmt: skip


@pytest.mark.parametrize("json_flag", [False, True])
def test_bad_input_is_refused_with_key_reason_and_status_2(tmp_path, json_flag):
    for change, key, words in BAD:
        path = _short_baseline(tmp_path, change)
        proc = _simulate(str(path), "--runs", "2", *(["--json"] if json_flag else []))
        assert proc.returncode == 2, (key, proc.stderr)
        assert "Traceback" not in proc.stderr + proc.stdout, key
        assert key in proc.stderr and words in proc.stderr, (key, proc.stderr)
        if json_flag:
            error = json.loads(proc.stdout)["error"]
            assert error["field"] == key and words in error["reason"], error
            assert error["file"] == str(path)


def test_refused_options_and_missing_files_have_no_traceback(tmp_path):
    path = _short_baseline(tmp_path)
    for args, words in (
        (["--runs", "0"], "--runs"),
        (["--runs", "2", "--max-minutes", "nan"], "--max-minutes"),
        (["--runs", "2", "--max-minutes", "0"], "--max-minutes"),
        (["--runs", "x"], "invalid int value"),
    ):
        proc = _simulate(str(path), *args, "--json")
        assert proc.returncode == 2, (args, proc.stderr)
        assert words in proc.stderr and "Traceback" not in proc.stderr
    proc = _simulate(str(tmp_path / "nowhere.yaml"))
    assert proc.returncode == 2 and "cannot be read" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_an_oversized_run_is_refused_before_it_starts_with_its_estimate(tmp_path):
    shipped = SCENARIOS / "ew_drug_court_for_short_custody.yaml"
    began = time.monotonic()
    proc = _simulate(str(shipped), "--runs", "1000000", "--max-minutes", "1", "--json")
    took = time.monotonic() - began
    assert proc.returncode == 2, proc.stderr
    error = json.loads(proc.stdout)["error"]
    assert error["field"] == "--runs"
    assert "this run would take about" in error["reason"] and "MiB of memory" in error["reason"]
    assert "1,000,000 runs x 3,236 simulated weeks x 24 subgroups" in error["reason"]
    assert "at most" in error["reason"] and "runs fit" in error["reason"]
    assert took < 60  # refused after a short measurement, not after simulating
    # Memory alone also refuses, even when time is no object.
    proc = _simulate(str(shipped), "--runs", "100000", "--max-minutes", "100000",
                     "--max-memory-mib", "50")  # fmt: skip
    assert proc.returncode == 2 and "50 MiB of memory" in proc.stderr


def test_a_run_that_fits_finishes_and_reports_estimate_beside_elapsed_time(tmp_path):
    path = _short_baseline(tmp_path)
    proc = _simulate(str(path), "--runs", "250", "--json")
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout)["resources"]
    # warm-up, horizon, and the status quo's year that calibrates the inflow in each draw
    assert res["runs"] == 250 and res["simulated_weeks_per_run"] == 3 * 52
    # The estimate is calibrated on this machine: within a factor of 5 of the time taken (the
    # machine is shared, so timings move; a constant from another machine could be 10x out).
    assert res["elapsed_seconds"] / 5 < res["estimated_seconds"] < res["elapsed_seconds"] * 5


def test_estimate_scales_with_runs_and_years():
    scenario = load_scenario(SCENARIOS / "ew_baseline.yaml")
    small = resources.estimate(scenario, None, runs=250)
    large = resources.estimate(scenario, None, runs=1000)
    assert large.weeks == small.weeks == sum(round(y * 365.25 / 7) for y in (20, 10, 1))
    # Four chunks of the same size: four times the chunk-weeks (measured speed varies a little).
    ratio = (large.seconds / large.seconds_per_chunk_week) / (
        small.seconds / small.seconds_per_chunk_week
    )
    assert ratio == pytest.approx(4.0)
    assert large.peak_bytes > small.peak_bytes
    assert large.states_per_subgroup == 1 + 5 + 4 + 1 + 1 + 24 + 1 + 5 * 157
