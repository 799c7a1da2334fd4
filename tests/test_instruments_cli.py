"""`turnpoint instruments list | score | check | fhir` (docs/assessments.md, "On the command
line")."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings


def run(*args):
    out = StringIO()
    call_command("instruments", *args, stdout=out)
    return out.getvalue()


def test_list_shows_every_instrument_with_its_licence_and_switch():
    with override_settings(TURNPOINT_INSTRUMENTS_OFF=["bam"]):
        rows = {r["id"]: r for r in json.loads(run("list", "--json"))}
        text = run("list")
    assert len(rows) == 12
    assert rows["bam"]["on"] is False and rows["phq-9"]["on"] is True
    assert rows["who-5"]["licence"] == {
        "verdict": "SHIP-WITH-ATTRIBUTION",
        "status": "provisional",
        "provisional": ["licence", "wording"],
    }
    assert rows["tp-readiness"]["validated"] is False
    assert rows["core-10"]["category"] == "mental_health"
    assert "bam                off validated" in text
    assert "tp-readiness       on  not validated strengths" in text


def test_score_prints_every_scale_band_cutoff_and_flag():
    answers = json.dumps({f"phq9_{i}": 2 for i in range(1, 10)})
    text = run("score", "phq-9", "--answers", answers)
    assert "Total score: 18 (0 to 27)  Moderately severe" in text
    assert "  met     Score of 10 or more" in text
    assert "FLAG: Item 9 (thoughts of death or self-harm) answered above 0" in text
    payload = json.loads(run("score", "phq-9", "--answers", answers, "--json"))
    assert payload["scales"][0]["score"] == 18 and payload["answered"] == 9


def test_score_reads_answers_from_a_file_and_takes_a_context(tmp_path):
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"auditc_1": 2, "auditc_2": 1, "auditc_3": 0}))
    male = json.loads(
        run("score", "audit-c", "--answers", str(answers), "--context", '{"sex": "male"}', "--json")
    )
    female = json.loads(
        run(
            "score",
            "audit-c",
            "--answers",
            str(answers),
            "--context",
            '{"sex": "female"}',
            "--json",
        )
    )
    assert male["scales"][0]["cutoffs"][0]["met"] is False
    assert female["scales"][0]["cutoffs"][0]["met"] is True
    text = run("score", "audit-c", "--answers", str(answers))
    assert "Sex not stated: the lower threshold (3 or more) is used." in text


def test_socrates_shows_the_decile_and_its_caveat():
    answers = json.dumps({"soc_2": 5, "soc_6": 5, "soc_11": 5, "soc_16": 5})
    text = run("score", "socrates-8d", "--answers", answers, "--partial")
    assert "Ambivalence: 20 (4 to 20)" in text
    assert "Decile (alcohol-treatment norms): 90 Very High" in text
    assert "presenting for alcohol treatment" in text
    assert "Taking Steps is not scored until items 18 and 19 are verified" in text
    assert "Provisional (wording): Items 18 and 19" in text


def test_bad_answers_exit_non_zero_naming_each_item():
    with pytest.raises(CommandError) as refused:
        run("score", "phq-9", "--answers", '{"phq9_1": 4, "phq9_2": "x", "extra": 1}')
    message = str(refused.value)
    assert message.startswith("Nothing was scored: 3 problem(s) with the answers.")
    assert "  - extra: is not an item of PHQ-9" in message
    assert "  - phq9_1: 4 is not one of the answers (0, 1, 2, 3)" in message
    assert "  - phq9_2: 'x' is not a number" in message


def test_incomplete_answers_and_bad_json_and_unknown_ids_are_refused():
    with pytest.raises(CommandError) as refused:
        run("score", "gad-7", "--answers", '{"gad7_1": 1}')
    assert "  - gad7_2: not answered (Total score needs every item)" in str(refused.value)
    with pytest.raises(CommandError) as refused:
        run("score", "gad-7", "--answers", "{not json")
    assert "answers: is not JSON" in str(refused.value)
    with pytest.raises(CommandError) as refused:
        run("score", "gad-8", "--answers", "{}")
    assert "there is no instrument 'gad-8'" in str(refused.value)


def test_check_validates_a_deployments_own_file(tmp_path):
    data = yaml.safe_load((Path(settings.TURNPOINT_INSTRUMENTS_DIR) / "gad-7.yaml").read_text())
    data["id"] = "local-gad"
    good = tmp_path / "local-gad.yaml"
    good.write_text(yaml.safe_dump(data, allow_unicode=True))
    assert "local-gad.yaml: local-gad is valid: 7 items, scales total" in run("check", str(good))
    data["scales"][0]["bands"][0]["max"] = 3
    good.write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(CommandError) as refused:
        run("check", str(good))
    assert "local-gad.yaml: scale total: bands 'Minimal' and 'Mild' leave a gap" in str(
        refused.value
    )
    clash = tmp_path / "gad-7.yaml"
    data["id"] = "gad-7"
    data["scales"][0]["bands"][0]["max"] = 4
    clash.write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(CommandError) as refused:
        run("check", str(clash))
    assert "id 'gad-7' is already taken by a shipped instrument" in str(refused.value)


def test_fhir_prints_a_questionnaire():
    resource = json.loads(run("fhir", "phq-9"))
    assert resource["resourceType"] == "Questionnaire"
    assert resource["item"][1]["linkId"] == "phq9_1"


def test_the_installed_command_exits_1_with_json_errors_and_no_traceback(tmp_path):
    turnpoint = Path(sys.executable).parent / "turnpoint"
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(settings.BASE_DIR),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "SECRET_KEY": "x" * 60,
        "HOME": os.environ.get("HOME", str(tmp_path)),
    }
    result = subprocess.run(
        [str(turnpoint), "instruments", "score", "core-10", "--json",
         "--answers", '{"core10_1": 5, "core10_2": -1}'],
        env=env, cwd=tmp_path, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    payload = json.loads(result.stdout)
    assert payload == {
        "ok": False,
        "errors": [
            "core10_1: 5 is not one of the answers (0, 1, 2, 3, 4)",
            "core10_2: -1 is not one of the answers (0, 1, 2, 3, 4)",
        ],
    }
