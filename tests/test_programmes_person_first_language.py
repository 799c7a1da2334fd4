"""Programme files stay person-first in the words they show users: a word that labels a person
("offender", "addict", "abuser", "junkie") or a test ("clean", "dirty") is refused outside double
quotes, naming the file, the field and the word; legal names stay as they are, quoted."""

from pathlib import Path

import pytest
import yaml
from django.conf import settings

from turnpoint.programmes.loader import (
    ProgrammeFileInvalid,
    programme_load_files,
    read_definition,
    validate_definition,
)
from turnpoint.programmes.models import Programme

SHIPPED = sorted(Path(settings.TURNPOINT_PROGRAMMES_DIR).glob("*.yaml"))


def ghent() -> dict:
    return yaml.safe_load((Path(settings.TURNPOINT_PROGRAMMES_DIR) / "ghent-dtc.yaml").read_text())


def problems(data: dict) -> list[str]:
    return [f"{p.path}: {p.reason}" for p in validate_definition(data, "x.yaml")]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_programme_passes_the_person_first_check(path):
    read_definition(path)  # raises ProgrammeFileInvalid with every problem


@pytest.mark.django_db
def test_a_file_that_labels_people_is_refused_naming_the_file_the_field_and_the_word(tmp_path):
    data = ghent()
    data["legal_basis"] = "Deferral with the offender's agreement."
    data["phases"][1]["description"] = "Tests stay clean for a month."
    data["exit_types"][1]["label"] = "Stopped: Addicts who relapse leave"
    data["eligibility"][0]["reason"] = "No known drug abuser under 18"
    data["description"] = "Not for junkies or dirty tests."
    bad = tmp_path / "labels.yaml"
    bad.write_text(yaml.safe_dump(data))
    with pytest.raises(ProgrammeFileInvalid) as excinfo:
        programme_load_files([bad])
    message = str(excinfo.value)
    for field, word in [
        ("legal_basis", "offender"),
        ("phases[1].description", "clean"),
        ("exit_types[1].label", "Addicts"),
        ("eligibility[0].reason", "abuser"),
        ("description", "junkies"),
        ("description", "dirty"),
    ]:
        assert f"labels.yaml: {field}: uses '{word}'" in message, (field, word)
    assert "say 'the participant' instead" in message
    assert not Programme.objects.exists()


def test_statutory_disclosure_names_and_phase_names_are_checked_too():
    data = ghent()
    data["phases"][0]["name"] = "Offender intake"
    data["statutory_disclosures"] = [{
        "code": "report", "name": "Offenders' progress report", "statute": "An Act, s.1",
        "categories": ["identity"], "recipients": ["judge"], "purpose": "court_review",
    }]  # fmt: skip
    found = problems(data)
    assert any(p.startswith("phases[0].name: uses 'Offender'") for p in found), found
    assert any(p.startswith("statutory_disclosures[0].name: uses 'Offenders'") for p in found)


def test_legal_names_in_double_quotes_and_the_word_offending_are_allowed():
    data = ghent()
    data["legal_basis"] = (
        'The "Offender Rehabilitation Act 2014" and the statute\'s words \u201cthe offender '
        "expresses willingness to comply\u201d; the offending is linked to drug use."
    )
    data["description"] = "Cleaning up the record is not a goal; recovery is."
    assert problems(data) == []


def test_text_outside_the_quotes_is_still_checked():
    data = ghent()
    data["legal_basis"] = 'The "Offender Rehabilitation Act 2014" applies to every offender.'
    assert problems(data) == [
        "legal_basis: uses 'offender', which labels a person: say 'the participant' instead, or "
        "put a legal name or a statute's own words in double quotes"
    ]


def test_sources_and_comments_are_not_user_facing_and_may_quote_anything():
    data = ghent()
    data["sources"] = ["UKDPC 2008: programmes for problem drug-using offenders"]
    assert problems(data) == []
