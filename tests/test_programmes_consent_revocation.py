"""Programme definitions say whether consents are revocable at any time or, for a US
criminal-justice referral, only after a stated event, and which roles monitor the participant
(security.md SEC-09; 42 CFR 2.35)."""

from pathlib import Path

import pytest
import yaml
from django.conf import settings

from turnpoint.programmes.loader import ProgrammeFileInvalid, programme_load_files
from turnpoint.programmes.models import Programme

DIR = Path(settings.TURNPOINT_PROGRAMMES_DIR)


def _write(tmp_path, name: str, data: dict) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _definition(slug: str) -> dict:
    return yaml.safe_load((DIR / f"{slug}.yaml").read_text())


def _problems(paths) -> dict[str, str]:
    with pytest.raises(ProgrammeFileInvalid) as excinfo:
        programme_load_files(paths)
    return {p.path: p.reason for p in excinfo.value.problems}


@pytest.mark.django_db
def test_sec_09_shipped_programmes_declare_how_consents_are_revoked(programmes):
    us = programmes["us-adult-drug-court"]
    assert us.criminal_justice_referral and us.consent_revocation == "after_stated_event"
    assert set(us.monitoring_roles) == {
        "judge", "prosecutor", "probation_officer", "coordinator", "case_manager"
    }  # fmt: skip
    assert any("42 CFR 2.35" in source for source in us.definition["sources"])
    for slug in ("ghent-dtc", "scotland-dtto", "scotland-cpo-dtr", "england-drr"):
        policy = programmes[slug].definition["policy"]
        # Said explicitly in the file, not left to the default.
        assert (policy["criminal_justice_referral"], policy["consent_revocation"]) == (
            False, "any_time"
        ), slug  # fmt: skip
        assert any("Art. 7(3)" in s for s in programmes[slug].definition["sources"]), slug
        assert programmes[slug].monitoring_roles == ()


@pytest.mark.django_db
def test_sec_09_bad_consent_revocation_is_refused_with_its_path_and_loads_nothing(tmp_path):
    data = _definition("us-adult-drug-court")
    data["policy"]["consent_revocation"] = "sometimes"
    data["policy"]["monitoring_roles"] = ["judge", "analyst", "bailiff"]
    path = _write(tmp_path, "us", data)
    problems = _problems([path, DIR / "ghent-dtc.yaml"])
    assert problems == {
        "policy.consent_revocation": "must be one of: any_time, after_stated_event",
        "policy.monitoring_roles[1]": problems["policy.monitoring_roles[1]"],
        "policy.monitoring_roles[2]": problems["policy.monitoring_roles[1]"],
    }
    assert problems["policy.monitoring_roles[1]"].startswith("must be one of: coordinator,")
    assert "analyst" not in problems["policy.monitoring_roles[1]"]
    assert not Programme.objects.exists()


@pytest.mark.django_db
def test_sec_09_only_a_criminal_justice_referral_may_hold_consents_back(tmp_path):
    uk = _definition("england-drr")
    uk["policy"]["consent_revocation"] = "after_stated_event"
    uk["policy"]["monitoring_roles"] = ["judge"]
    us = _definition("us-adult-drug-court")
    del us["policy"]["monitoring_roles"]
    us["policy"]["criminal_justice_referral"] = "yes"
    problems = _problems([_write(tmp_path, "uk", uk), _write(tmp_path, "us", us)])
    assert "criminal_justice_referral is true" in problems["policy.consent_revocation"]
    assert problems["policy.monitoring_roles"] == (
        "applies only when policy.criminal_justice_referral is true"
    )
    assert problems["policy.criminal_justice_referral"] == "must be true or false"
    us["policy"]["criminal_justice_referral"] = True
    problems = _problems([_write(tmp_path, "us", us)])
    assert problems["policy.monitoring_roles"].startswith(
        "is required when policy.criminal_justice_referral is true"
    )
    us["policy"]["monitoring_roles"] = []
    assert _problems([_write(tmp_path, "us", us)]) == {
        "policy.monitoring_roles": "must list at least one role"
    }
    assert not Programme.objects.exists()
