"""`turnpoint programmes load`: shipped programmes load; a malformed file loads nothing (R1, R2)."""

import json
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command

from turnpoint.programmes.models import Phase, Programme
from turnpoint.sharing.models import AuditEntry

SHIPPED = sorted(Path(settings.TURNPOINT_PROGRAMMES_DIR).glob("*.yaml"))


def load(*args):
    from io import StringIO

    out = StringIO()
    call_command("programmes", "load", *map(str, args), stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_shipped_programmes_load_and_differ_for_real():
    payload = json.loads(load("--shipped", "--json"))
    assert {p["status"] for p in payload["programmes"]} == {"created"}
    programmes = {p.slug: p for p in Programme.objects.all()}
    assert set(programmes) >= {
        "ghent-dtc", "scotland-dtto", "scotland-cpo-dtr", "england-drr", "us-adult-drug-court",
        "england-police-drug-intervention", "england-prison-to-community",
    }  # fmt: skip
    # R2: the DTTO reports tests to the court, the CPO does not; Ghent is pre-conviction.
    assert programmes["scotland-dtto"].court_receives_test_results
    assert not programmes["scotland-cpo-dtr"].court_receives_test_results
    assert programmes["scotland-cpo-dtr"].review_mode == "on_request"
    assert programmes["ghent-dtc"].stage == "pre-trial"
    assert not programmes["ghent-dtc"].non_completion_penalised
    assert programmes["us-adult-drug-court"].phases.count() == 5
    # Every programme a distinct combination of stage and switches.
    shapes = {
        (p.stage, p.court_receives_test_results, p.non_completion_penalised, p.review_mode,
         p.max_duration_weeks,
         tuple(p.phases.values_list("min_weeks", "contacts_per_week", "tests_per_week")))
        for p in programmes.values()
    }  # fmt: skip
    assert len(shapes) == len(programmes)


@pytest.mark.django_db
def test_loading_the_same_file_twice_changes_nothing():
    load(*SHIPPED)
    phases = list(Phase.objects.values_list("id", flat=True))
    output = load(*SHIPPED)
    assert output.count("unchanged") == len(SHIPPED)
    assert list(Phase.objects.values_list("id", flat=True)) == phases


@pytest.mark.django_db
def test_changed_file_raises_the_revision(tmp_path):
    data = yaml.safe_load(SHIPPED[0].read_text())
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(data))
    load(path)
    data["max_duration_weeks"] += 4
    path.write_text(yaml.safe_dump(data))
    assert "updated" in load(path)
    programme = Programme.objects.get(slug=data["slug"])
    assert (programme.revision, programme.max_duration_weeks) == (2, data["max_duration_weeks"])


@pytest.mark.django_db
def test_malformed_file_lists_every_problem_and_loads_nothing(tmp_path):
    data = yaml.safe_load((Path(settings.TURNPOINT_PROGRAMMES_DIR) / "ghent-dtc.yaml").read_text())
    data["stage"] = "after-lunch"
    data["colour"] = "blue"
    del data["legal_basis"]
    data["phases"][1]["min_weeks"] = -3
    data["eligibility"][0]["op"] = "≈"
    data["policy"]["court_receives_test_results"] = "yes"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    before = AuditEntry.objects.count()
    with pytest.raises(CommandError) as excinfo:
        load(SHIPPED[1], bad)  # a good file beside the bad one loads nothing either
    message = str(excinfo.value)
    for path, reason in [
        ("stage", "must be one of"),
        ("colour", "unknown key"),
        ("legal_basis", "is required"),
        ("phases[1].min_weeks", "must not be negative"),
        ("eligibility[0].op", "must be one of"),
        ("policy.court_receives_test_results", "must be true or false"),
    ]:
        assert f"bad.yaml: {path}: {reason}" in message, path
    assert Programme.objects.count() == 0
    assert AuditEntry.objects.count() == before + 1
    assert AuditEntry.objects.latest("id").action == "import_rejected"


@pytest.mark.django_db
def test_invalid_yaml_names_the_line(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("slug: x\nphases: [\n")
    with pytest.raises(CommandError) as excinfo:
        load(bad)
    assert "broken.yaml: line" in str(excinfo.value)
    assert Programme.objects.count() == 0


def test_cli_exits_non_zero_with_json_errors(tmp_path):
    """Through the real console script, as a script would call it."""
    import subprocess
    import sys

    bad = tmp_path / "bad.yaml"
    bad.write_text("slug: 3\n")
    db = tmp_path / "cli.sqlite3"
    env = {"DATABASE_URL": f"sqlite:///{db}", "PATH": "/usr/bin:/bin"}
    turnpoint = [sys.executable, "-m", "turnpoint"]
    subprocess.run([*turnpoint, "migrate", "-v0"], check=True, env=env, cwd=settings.BASE_DIR)
    result = subprocess.run(
        [*turnpoint, "programmes", "load", "--json", str(bad)],
        env=env, cwd=settings.BASE_DIR, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode != 0
    payload = json.loads(result.stdout)
    assert payload["ok"] is False
    assert any("slug: must be text" in e for e in payload["errors"])
    assert any("name: is required" in e for e in payload["errors"])
