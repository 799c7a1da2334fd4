"""Sign-in lockout and the secure headers (security.md SEC-26, SEC-28)."""

import pytest
import time_machine
from django.utils import timezone

from turnpoint.sharing.models import AuditEntry

PASSWORD = "correct horse battery staple"


@pytest.fixture
def coordinator_with_password(coordinator):
    coordinator.set_password(PASSWORD)
    coordinator.save()
    return coordinator


def sign_in(client, username, password):
    return client.post("/sign-in/", {"username": username, "password": password})


@pytest.mark.django_db
def test_sec_26_five_failures_lock_the_account_with_the_same_answer(
    client, coordinator_with_password
):
    unknown = sign_in(client, "nobody-here", "wrong password 123")
    for _ in range(5):
        wrong = sign_in(client, "coordinator", "wrong password 123")
    locked = sign_in(client, "coordinator", PASSWORD)
    assert locked.status_code == wrong.status_code == unknown.status_code == 200
    assert "_auth_user_id" not in client.session
    # Identical message for unknown users, wrong passwords and locked accounts.
    marker = b"The username or password is not right"
    assert marker in locked.content and marker in wrong.content and marker in unknown.content
    assert AuditEntry.objects.filter(action="denied", detail__reason="locked").exists()


@pytest.mark.django_db
def test_sec_26_lock_ends_after_the_window(client, coordinator_with_password):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            sign_in(client, "coordinator", "wrong password 123")
        sign_in(client, "coordinator", PASSWORD)
        assert "_auth_user_id" not in client.session
    with time_machine.travel(start + timezone.timedelta(minutes=16), tick=False):
        response = sign_in(client, "coordinator", PASSWORD)
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(coordinator_with_password.pk)


@pytest.mark.django_db
def test_sec_28_headers_on_pages(client, coordinator):
    client.force_login(coordinator)
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
                      "script-src 'self'"):  # fmt: skip
        assert directive in csp
    assert "http" not in csp  # no third-party origins
    assert response["Cache-Control"] == "no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_sec_26_an_administrator_unlocks_at_once_and_it_is_audited(
    client, coordinator_with_password
):
    import io

    from django.core.management import call_command

    for _ in range(5):
        sign_in(client, "coordinator", "wrong password 123")
    sign_in(client, "coordinator", PASSWORD)
    assert "_auth_user_id" not in client.session  # locked
    out = io.StringIO()
    call_command("unlock", "coordinator", "--reason", "rang the service desk", stdout=out)
    assert "coordinator can sign in again." in out.getvalue()
    entry = AuditEntry.objects.filter(action="unlocked").get()
    assert entry.detail["via"].startswith("command line")
    assert {k: entry.detail[k] for k in ("username", "was_locked", "reason")} == {
        "username": "coordinator",
        "was_locked": True,
        "reason": "rang the service desk",
    }
    assert sign_in(client, "coordinator", PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(coordinator_with_password.pk)


@pytest.mark.django_db
def test_sec_26_the_admin_action_unlocks_the_selected_staff(
    client, admin_client, coordinator_with_password
):
    for _ in range(5):
        sign_in(client, "coordinator", "wrong password 123")
    response = admin_client.post(
        "/admin/accounts/user/",
        {"action": "unlock", "_selected_action": [coordinator_with_password.pk]},
        follow=True,
    )
    assert "Reason: Say why" in response.content.decode()  # no reason: nothing unlocked
    assert not AuditEntry.objects.filter(action="unlocked").exists()
    response = admin_client.post(
        "/admin/accounts/user/",
        {"action": "unlock", "_selected_action": [coordinator_with_password.pk],
         "reason": "rang the service desk"},
        follow=True,
    )  # fmt: skip
    assert "1 were locked: coordinator." in response.content.decode()
    [entry] = AuditEntry.objects.filter(action="unlocked")
    assert entry.username == "admin" and entry.detail["via"] == "admin"
    assert entry.detail["reason"] == "rang the service desk"
    assert sign_in(client, "coordinator", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_sec_26_unlocking_an_unknown_user_says_so_and_writes_nothing(db):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="username: no user called 'nobody'"):
        call_command("unlock", "nobody", "--reason", "rang the service desk")
    assert not AuditEntry.objects.filter(action="unlocked").exists()
