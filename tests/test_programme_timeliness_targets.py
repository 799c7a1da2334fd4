"""Timeliness targets are data in each programme file (`timeliness:`, R4), checked by the loader:
a bad one is refused naming the file and the field, and loads nothing."""

from pathlib import Path

import pytest
import yaml
from django.conf import settings

from turnpoint.journeys.attention import targets_of
from turnpoint.programmes.loader import ProgrammeFileInvalid, programme_load_files
from turnpoint.programmes.models import Programme

SHIPPED = sorted(Path(settings.TURNPOINT_PROGRAMMES_DIR).glob("*.yaml"))
GHENT = Path(settings.TURNPOINT_PROGRAMMES_DIR) / "ghent-dtc.yaml"


def write(tmp_path, timeliness, *, drop=False) -> Path:
    data = yaml.safe_load(GHENT.read_text())
    if drop:
        del data["timeliness"]
    else:
        data["timeliness"] = timeliness
    path = tmp_path / "ghent-dtc.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.django_db
def test_every_shipped_programme_has_targets_and_says_where_they_come_from():
    programme_load_files(SHIPPED)
    for programme in Programme.objects.all():
        targets = targets_of(programme.definition)
        assert targets["referral_to_assessment_days"] <= targets["referral_to_start_days"]
        assert any(s.startswith("Timeliness") for s in programme.definition["sources"])
    ghent = Programme.objects.get(slug="ghent-dtc")
    assert targets_of(ghent.definition)["offence_to_start_days"] == 183  # about 6 months (R4)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("timeliness", "path", "reason"),
    [
        ({"referral_to_assessment_days": "three weeks"}, "timeliness.referral_to_assessment_days",
         "must be a whole number"),
        ({"referral_to_start_days": 0}, "timeliness.referral_to_start_days",
         "must be at least 1 day"),
        ({"referral_to_start_days": -5}, "timeliness.referral_to_start_days",
         "must not be negative"),
        ({"referral_to_start_days": True}, "timeliness.referral_to_start_days",
         "must be a whole number"),
        ({"referral_to_triage_days": 5}, "timeliness.referral_to_triage_days",
         "unknown key (expected one of: referral_to_assessment_days, referral_to_decision_days, "
         "referral_to_start_days, offence_to_start_days)"),
        ({"referral_to_assessment_days": 30, "referral_to_start_days": 20},
         "timeliness.referral_to_start_days",
         "is 20 days, earlier than referral_to_assessment_days (30 days): a later step cannot "
         "be due sooner"),
        ([21, 42], "timeliness", "must be a mapping"),
    ],
)  # fmt: skip
def test_a_bad_target_is_refused_naming_the_file_and_field(tmp_path, timeliness, path, reason):
    file = write(tmp_path, timeliness)
    with pytest.raises(ProgrammeFileInvalid) as refused:
        programme_load_files([file])
    assert [(p.file, p.path, p.reason) for p in refused.value.problems] == [
        (str(file), path, reason)
    ]
    assert not Programme.objects.exists()


@pytest.mark.django_db
def test_targets_are_optional_and_a_programme_without_them_has_none(tmp_path):
    programme_load_files([write(tmp_path, None, drop=True)])
    assert targets_of(Programme.objects.get(slug="ghent-dtc").definition) == {}
    programme_load_files([write(tmp_path, {"referral_to_start_days": 30})])
    assert targets_of(Programme.objects.get(slug="ghent-dtc").definition) == {
        "referral_to_start_days": 30
    }
