"""`turnpoint synth`: counts for people and scripts, clear refusals that change nothing."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from turnpoint.accounts.models import User
from turnpoint.people.models import Participant
from turnpoint.sharing.models import AuditEntry


def synth(*args) -> str:
    out = StringIO()
    call_command("synth", *args, stdout=out)
    return out.getvalue()


def test_synth_json_reports_the_counts_it_stored(programmes):
    payload = json.loads(synth("--participants", "25", "--seed", "1", "--json"))
    assert payload["ok"] is True
    assert payload["participants"] == 25 == Participant.objects.filter(synthetic=True).count()
    for key in ("referrals", "transitions", "episodes", "completions", "elapsed_seconds"):
        assert key in payload
    assert payload["acting_user"] == "synth"


def test_synth_without_acting_user_writes_as_a_system_user_who_cannot_sign_in(programmes):
    text = synth("--participants", "3")
    assert "Generated 3 synthetic participants" in text
    system = User.objects.get(username="synth")
    assert system.role == "coordinator"
    assert not system.has_usable_password()
    assert AuditEntry.objects.filter(user=system, action="create").exists()


def test_synth_as_a_named_user_audits_under_that_user(programmes, users):
    users["coordinator"].programmes.set(programmes.values())
    synth("--participants", "2", "--acting-user", "coordinator", "--programme", "ghent-dtc")
    assert AuditEntry.objects.filter(username="coordinator", action="create").count() == 4
    assert not User.objects.filter(username="synth").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--participants", "0"], "--participants must be at least 1"),
        (["--participants", "5", "--acting-user", "nobody"], "no active user named 'nobody'"),
        (["--participants", "5", "--programme", "atlantis"], "no programme with slug 'atlantis'"),
    ],
)
def test_synth_refuses_bad_input_and_writes_nothing(programmes, args, message):
    with pytest.raises(CommandError) as excinfo:
        synth(*args)
    assert message in str(excinfo.value)
    assert not Participant.objects.exists()


def test_synth_before_programmes_are_loaded_says_how_to_load_them(db):
    with pytest.raises(CommandError) as excinfo:
        synth("--participants", "5")
    assert "turnpoint programmes load --shipped" in str(excinfo.value)
    assert not Participant.objects.exists()


def test_synth_refuses_a_user_outside_the_programme_teams(programmes, users):
    with pytest.raises(CommandError) as excinfo:
        synth("--participants", "5", "--acting-user", "judge")
    assert "judge may not write" in str(excinfo.value)
    assert not Participant.objects.exists()


def test_synth_refusal_in_json_lists_the_errors(programmes):
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("synth", "--participants", "-3", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {
        "ok": False,
        "errors": ["--participants must be at least 1"],
    }
