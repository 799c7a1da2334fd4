"""SEC-32 bad imports change nothing: the programme loader, the one import Turnpoint has, takes a
set of files all or nothing (security.md SEC-32; docs/programmes.md)."""

from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command

from turnpoint.sharing.models import AuditEntry

SHIPPED = sorted(Path(settings.TURNPOINT_PROGRAMMES_DIR).glob("*.yaml"))


def row_counts() -> dict[str, int]:
    return {m._meta.label: m.objects.count() for m in apps.get_models()
            if m.__module__.startswith("turnpoint.")}  # fmt: skip


def test_sec_32_one_invalid_row_rejects_the_whole_import_and_changes_nothing(world, tmp_path):
    # The world already holds programmes, participants, referrals and an episode. The import
    # changes a shipped programme that has referrals and adds a new one; one phase is invalid.
    changed = yaml.safe_load(SHIPPED[0].read_text())
    changed["description"] = "Changed by an import that must not land."
    new = yaml.safe_load((Path(settings.TURNPOINT_PROGRAMMES_DIR) / "ghent-dtc.yaml").read_text())
    new["slug"], new["name"] = "new-area-dtc", "A new area's drug treatment court"
    new["phases"][2]["tests_per_week"] = -1  # the one invalid row
    files = [tmp_path / "changed.yaml", tmp_path / "new.yaml"]
    for path, data in zip(files, [changed, new], strict=True):
        path.write_text(yaml.safe_dump(data))
    before, last = row_counts(), AuditEntry.objects.latest("id").pk

    with pytest.raises(CommandError) as refused:
        call_command("programmes", "load", *map(str, files), stdout=StringIO())

    assert "new.yaml: phases[2].tests_per_week: must not be negative" in str(refused.value)
    after = row_counts()
    after["sharing.AuditEntry"] -= 1
    assert after == before
    [entry] = AuditEntry.objects.filter(pk__gt=last)
    assert entry.action == "import_rejected"
