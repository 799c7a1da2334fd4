"""`turnpoint mfa reset USERNAME` and the demo-only `turnpoint mfa code USERNAME` (SEC-25, SEC-20),
and the demo's word on the security code."""

import io
import json
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from turnpoint.accounts import totp
from turnpoint.accounts.models import RecoveryCode, TotpDevice
from turnpoint.sharing.models import AuditEntry

PASSWORD = "a long and memorable sentence"


@pytest.fixture
def judge_with_app(users):
    judge = users["judge"]
    judge.set_password(PASSWORD)
    judge.save(update_fields=["password"])
    TotpDevice.objects.create(user=judge, secret=totp.secret_new(), confirmed_at=timezone.now())
    RecoveryCode.objects.create(user=judge, code_hash="argon2$not-a-real-hash")
    return judge


def run(*args) -> str:
    out = io.StringIO()
    call_command("mfa", *args, stdout=out)
    return out.getvalue()


def test_sec_20_mfa_reset_is_audited_ends_sessions_and_asks_for_a_new_app(judge_with_app):
    client = Client()
    assert client.post("/sign-in/", {"username": "judge", "password": PASSWORD}).status_code == 302
    out = json.loads(run("reset", "judge", "--reason", "lost phone", "--json"))
    assert out == {"username": "judge", "sessions_ended": 1}
    assert not TotpDevice.objects.filter(user=judge_with_app).exists()
    assert not RecoveryCode.objects.filter(user=judge_with_app).exists()
    entry = AuditEntry.objects.filter(action="mfa_reset").get()
    assert entry.username == "" and entry.detail["via"].startswith("command line")  # who
    assert (entry.object_type, entry.object_id) == ("user", str(judge_with_app.pk))
    assert {k: entry.detail[k] for k in ("user", "had_device", "sessions_ended", "reason")} == {
        "user": "judge",
        "had_device": True,
        "sessions_ended": 1,
        "reason": "lost phone",
    }
    # The old session has ended; the next sign-in sets up a new app.
    assert client.get("/")["Location"].startswith("/sign-in/")
    assert client.post("/sign-in/", {"username": "judge", "password": PASSWORD}).status_code == 302
    assert client.get("/")["Location"].startswith("/security-code/set-up/")


def test_mfa_reset_of_an_unknown_user_names_the_field_and_changes_nothing(judge_with_app):
    before = AuditEntry.objects.count()
    with pytest.raises(CommandError, match="username: no user called 'nobody'"):
        run("reset", "nobody", "--reason", "lost phone")
    assert AuditEntry.objects.count() == before
    assert TotpDevice.objects.filter(user=judge_with_app).exists()


def test_mfa_code_is_refused_unless_debug_is_on(judge_with_app, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG: current codes are shown only in the demo"):
        run("code", "judge")


def test_mfa_code_prints_the_code_the_app_shows_in_the_demo(judge_with_app, settings):
    settings.DEBUG = True
    device = TotpDevice.objects.get(user=judge_with_app)
    key = totp.secret_bytes(device.secret)
    step = totp.time_step(time.time())
    code = run("code", "judge").strip()
    assert code in {totp.hotp(key, step), totp.hotp(key, step + 1)}  # the step may turn over


def test_the_demo_sets_up_an_app_for_every_user_and_says_how_to_get_a_code(db):
    out = io.StringIO()
    call_command("demo", "--participants", "3", "--password", PASSWORD, stdout=out)
    text = out.getvalue()
    assert "security code" in text and "DEBUG=1 .venv/bin/turnpoint mfa code coordinator" in text
    devices = TotpDevice.objects.filter(confirmed_at__isnull=False)
    assert set(devices.values_list("user__username", flat=True)) >= {"coordinator", "judge"}
