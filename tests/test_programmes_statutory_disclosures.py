"""`statutory_disclosures` in a programme definition (security.md SEC-15, docs/programmes.md):
the shipped programmes declare only what their sources support, and a declaration naming an
unknown category, role or purpose is refused with its path and loads nothing."""

from pathlib import Path

import pytest
import yaml
from django.conf import settings

from turnpoint.programmes.loader import ProgrammeFileInvalid, programme_load_files
from turnpoint.programmes.models import Programme

DIR = Path(settings.TURNPOINT_PROGRAMMES_DIR)


def drr_with(tmp_path, **changes):
    data = yaml.safe_load((DIR / "england-drr.yaml").read_text())
    data["statutory_disclosures"][0].update(changes)
    path = tmp_path / "drr.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def messages(path) -> str:
    with pytest.raises(ProgrammeFileInvalid) as excinfo:
        programme_load_files([path])
    return str(excinfo.value)


@pytest.mark.django_db
def test_sec_15_shipped_programmes_declare_only_what_their_sources_support(programmes):
    drr = programmes["england-drr"].statutory_disclosure("drr-review-report")
    # Sentencing Act 2020 Sch. 9 para 21(2)(e): test results and the provider's views.
    assert {"drug_tests", "treatment_progress"} <= set(drr["categories"])
    assert "Schedule 9, paragraph 21(2)" in drr["statute"]
    assert (drr["recipients"], drr["purpose"]) == (["judge"], "court_review")
    assert any("paragraph 21" in s for s in programmes["england-drr"].definition["sources"])
    # The DTTO's sources support test results, not (yet) the provider's views.
    dtto = programmes["scotland-dtto"].statutory_disclosure("dtto-review-report")
    assert "drug_tests" in dtto["categories"]
    assert "treatment_progress" not in dtto["categories"]
    for slug in ("scotland-cpo-dtr", "ghent-dtc", "us-adult-drug-court"):
        assert programmes[slug].statutory_disclosures == [], slug


@pytest.mark.django_db
def test_sec_15_unknown_category_is_refused_with_its_path_and_loads_nothing(tmp_path):
    path = drr_with(tmp_path, categories=["drug_tests", "everything"])
    message = messages(path)
    assert "drr.yaml: statutory_disclosures[0].categories[1]: 'everything' is not a data " in (
        message
    )
    assert not Programme.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changes, path, reason",
    [
        ({"recipients": ["sheriff"]}, "recipients[0]", "'sheriff' is not a role"),
        ({"recipients": ["analyst"]}, "recipients[0]", "never receives an identifiable report"),
        ({"recipients": ["defence"]}, "recipients[0]", "does not act for court_review"),
        ({"purpose": "curiosity"}, "purpose", "'curiosity' is not a purpose"),
        ({"categories": []}, "categories", "must list at least one category"),
        ({"categories": ["drug_tests", "drug_tests"]}, "categories[1]", "is listed twice"),
        ({"code": "drr review"}, "code", "letters, digits and hyphens"),
        ({"statute": ""}, "statute", "must not be empty"),
        ({"colour": "blue"}, "colour", "unknown key"),
    ],
)
def test_sec_15_bad_declarations_are_refused_with_their_path(tmp_path, changes, path, reason):
    message = messages(drr_with(tmp_path, **changes))
    assert f"statutory_disclosures[0].{path}: " in message
    assert reason in message.split(f"statutory_disclosures[0].{path}: ", 1)[1]
    assert not Programme.objects.exists()


@pytest.mark.django_db
def test_sec_15_a_missing_key_and_a_repeated_code_are_refused(tmp_path):
    data = yaml.safe_load((DIR / "england-drr.yaml").read_text())
    second = dict(data["statutory_disclosures"][0])
    del second["statute"]
    data["statutory_disclosures"].append(second)
    path = tmp_path / "drr.yaml"
    path.write_text(yaml.safe_dump(data))
    message = messages(path)
    assert "statutory_disclosures[1].statute: is required" in message
    assert "statutory_disclosures[1].code: 'drr-review-report' is used by an earlier" in message
    assert not Programme.objects.exists()
