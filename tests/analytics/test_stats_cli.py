"""`turnpoint stats km | cox` (docs/analytics.md, "On the command line"): the same estimators as
turnpoint.analytics.survival on any CSV table, and bad tables refused with line, column and
reason, exit status 1 and no traceback."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from lifelines.datasets import load_leukemia, load_rossi

from turnpoint.analytics.survival import cox, kaplan_meier

COVARIATES = "fin,age,race,wexp,mar,paro,prio"


def run(*args):
    out = StringIO()
    call_command("stats", *args, stdout=out)
    return out.getvalue()


def refused(*args):
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("stats", *args, "--json", stdout=out)
    return json.loads(out.getvalue())["errors"], str(caught.value)


@pytest.fixture
def rossi_csv(tmp_path):
    path = tmp_path / "rossi.csv"
    load_rossi().to_csv(path, index=False)
    return path


@pytest.fixture
def leukemia_csv(tmp_path):
    path = tmp_path / "leukemia.csv"
    load_leukemia().to_csv(path, index=False)
    return path


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "table.csv"
    path.write_text(text)
    return path


def test_km_json_is_exactly_what_the_estimator_returns(leukemia_csv):
    payload = json.loads(
        run("km", "--csv", str(leukemia_csv), "--duration", "t", "--event", "status",
            "--group", "Rx", "--conf-type", "log", "--json")
    )  # fmt: skip
    data = load_leukemia()
    direct = kaplan_meier(
        data["t"], data["status"], groups=data["Rx"].astype(str).tolist(), conf_type="log"
    )
    assert payload == json.loads(json.dumps(direct))
    first = payload["curves"][0]["rows"][0]
    assert payload["curves"][0]["group"] == "0"
    assert (first["time"], first["n_risk"], first["n_event"]) == (6, 21, 3)
    assert round(first["survival"], 3) == 0.857 and round(first["lower"], 3) == 0.720


def test_km_defaults_to_log_log_and_prints_a_table(leukemia_csv):
    text = run("km", "--csv", str(leukemia_csv), "--duration", "t", "--event", "status")
    assert "95% intervals on the log-log scale" in text
    assert "everybody: n = 42, events = 30" in text
    assert "survival" in text and "std err" in text


def test_cox_json_matches_the_estimator_and_prints_r_s_figures(rossi_csv):
    args = ["cox", "--csv", str(rossi_csv), "--duration", "week", "--event", "arrest"]
    payload = json.loads(run(*args, "--covariates", COVARIATES, "--json"))
    data = load_rossi()
    direct = cox(data["week"], data["arrest"], {c: data[c] for c in COVARIATES.split(",")})
    assert payload == json.loads(json.dumps(direct))
    text = run(*args, "--covariates", COVARIATES)
    assert "fin   -0.37942   0.68426   0.19138   -1.983" in text
    assert "likelihood ratio test = 33.27 on 7 df" in text
    breslow = json.loads(run(*args, "--covariates", COVARIATES, "--ties", "breslow", "--json"))
    assert breslow["ties"] == "breslow" and breslow["library"].startswith("statsmodels")


def test_a_missing_column_is_named_with_the_columns_there_are(rossi_csv):
    errors, headline = refused(
        "cox", "--csv", str(rossi_csv), "--duration", "week", "--event", "arrest",
        "--covariates", "fin,wealth",
    )  # fmt: skip
    assert errors == [
        "wealth: is not a column of the file (its columns: week, arrest, fin, age, race, wexp, "
        "mar, paro, prio)"
    ]
    assert "nothing was estimated" in headline


def test_every_bad_cell_is_refused_with_its_line_column_and_reason(tmp_path):
    path = write(
        tmp_path,
        "weeks,arrested,age\n10,1,30\nabc,1,31\n-3,0,32\n12,2,33\n14,1,\n15,yes,thirty\n",
    )
    errors, _ = refused(
        "cox", "--csv", str(path), "--duration", "weeks", "--event", "arrested",
        "--covariates", "age",
    )  # fmt: skip
    assert errors == [
        "line 3: weeks: is not a number ('abc')",
        "line 4: weeks: is negative (-3)",
        "line 5: arrested: must be 0 (censored) or 1 (event), not '2'",
        "line 6: age: is empty",
        "line 7: arrested: must be 0 (censored) or 1 (event), not 'yes'",
        "line 7: age: is not a number ('thirty')",
    ]


def test_empty_files_tables_without_events_and_ragged_rows_are_refused(tmp_path):
    km = ["km", "--duration", "weeks", "--event", "arrested"]
    errors, _ = refused(*km, "--csv", str(write(tmp_path, "")))
    assert errors == [f"{tmp_path / 'table.csv'}: is empty (no header line)"]
    errors, _ = refused(*km, "--csv", str(write(tmp_path, "weeks,arrested\n")))
    assert errors == [f"{tmp_path / 'table.csv'}: has a header but no rows"]
    errors, _ = refused(*km, "--csv", str(write(tmp_path, "weeks,arrested\n3,0\n5,0\n")))
    assert errors == ["arrested: no row has the event (every row is 0, censored)"]
    errors, _ = refused(*km, "--csv", str(write(tmp_path, "weeks,arrested\n3,1,7\n")))
    assert errors == ["line 2: row: has 3 cells; the header has 2"]
    errors, _ = refused(*km, "--csv", str(tmp_path / "absent.csv"))
    assert errors == [f"{tmp_path / 'absent.csv'}: no such file"]


def test_collinear_and_constant_covariates_are_refused(rossi_csv, tmp_path):
    data = load_rossi()
    data["age_in_months"] = data["age"] * 12 + 6
    data["everyone"] = 1
    path = tmp_path / "rossi_more.csv"
    data.to_csv(path, index=False)
    base = ["cox", "--csv", str(path), "--duration", "week", "--event", "arrest"]
    errors, _ = refused(*base, "--covariates", "fin,age,age_in_months")
    assert errors == [
        "age_in_months: is collinear with fin, age (a linear combination of them), so its "
        "effect cannot be separated; leave one out"
    ]
    errors, _ = refused(*base, "--covariates", "fin,everyone")
    assert errors == ["everyone: has the same value on every row, so has no effect"]
    errors, _ = refused(*base, "--covariates", "fin,fin")
    assert errors == ["covariates: names fin twice"]


def test_a_refusal_exits_1_with_no_traceback(tmp_path):
    path = write(tmp_path, "weeks,arrested\n4,maybe\n")
    env = {**os.environ, "PYTHONPATH": str(Path.cwd())}
    done = subprocess.run(
        [sys.executable, "-m", "turnpoint", "stats", "km", "--csv", str(path),
         "--duration", "weeks", "--event", "arrested"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "line 2: arrested: must be 0 (censored) or 1 (event), not 'maybe'" in done.stderr
