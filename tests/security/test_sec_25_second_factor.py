"""SEC-25 a second factor for every staff account, through the real sign-in form: nothing with
participant data opens before a security code from the authenticator app (TOTP) is accepted; a
code works once; recovery codes are stored hashed and work once; a new password does not skip
the code. With the SEC-20 audit entries and the SEC-26 lockout the codes count towards.

No `force_login` here: tests/conftest.py makes it pass the second factor, so every test signs in
with the password form and meets the security-code pages as staff do.
"""

import re
import time

import pytest
from django.conf import settings
from django.contrib.auth.hashers import identify_hasher
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from turnpoint.accounts import totp
from turnpoint.accounts.mfa import MFA_SESSION_KEY
from turnpoint.accounts.models import RecoveryCode, TotpDevice
from turnpoint.sharing.models import AuditEntry

from . import authorisation_matrix as matrix
from .test_sec_01_authorisation_matrix import fill, outcome, page_ids, page_routes

PASSWORD = "a long and memorable sentence"
CODE_PAGE = "/security-code/"
SET_UP_PAGE = "/security-code/set-up/"


def code_now(user, at=None) -> str:
    device = TotpDevice.objects.get(user=user)
    return totp.totp(totp.secret_bytes(device.secret), at=time.time() if at is None else at)


def wrong_code(user) -> str:
    """Six digits that match no step in the accepted window."""
    device = TotpDevice.objects.get(user=user)
    step = totp.time_step(time.time())
    valid = {totp.hotp(totp.secret_bytes(device.secret), s) for s in range(step - 2, step + 3)}
    return next(c for c in ("000000", "111111", "222222") if c not in valid)


def sign_in(client, username, password=PASSWORD):
    return client.post("/sign-in/", {"username": username, "password": password})


def enter_code(client, code, **extra):
    return client.post(CODE_PAGE, {"code": code, **extra})


def new_actions(before: int) -> list[str]:
    return [e.action for e in AuditEntry.objects.order_by("pk")[before:]]


@pytest.fixture
def coordinator_with_app(users):
    """The coordinator with a password and an authenticator app set up (no recovery codes)."""
    user = users["coordinator"]
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    TotpDevice.objects.create(user=user, secret=totp.secret_new(), confirmed_at=timezone.now())
    return user


@pytest.fixture
def signed_in_without_code(coordinator_with_app):
    client = Client()
    response = sign_in(client, "coordinator")
    assert response.status_code == 302, "the password step failed"
    assert MFA_SESSION_KEY not in client.session
    return client


def test_sec_25_an_unverified_session_reaches_no_page_but_the_security_code_pages(
    objects, signed_in_without_code, world
):
    client = signed_in_without_code
    routes = {name: route for route, name in page_routes()}
    got, expected = {}, {}
    for name in matrix.PAGES:
        response = client.get(fill(routes[name], page_ids(name, objects)))
        got[name] = outcome(response, api=False)
        expected[name] = matrix.UNVERIFIED_EXCEPTIONS.get(name, matrix.SECURITY_CODE)
        assert world["participant"].family_name.encode() not in response.content, name
    assert got == expected
    # Writes and the Django admin are held back the same way, and nothing was recorded.
    before = AuditEntry.objects.count()
    response = client.post("/referrals/new/", {"given_name": "Jo", "family_name": "Sample"})
    assert outcome(response, api=False) == matrix.SECURITY_CODE
    assert new_actions(before) == []
    assert outcome(client.get("/admin/"), api=False) == matrix.SECURITY_CODE
    # The API reads no session at all: without a bearer token it answers 401.
    assert client.get("/api/participants").status_code == 401
    participant_api = f"/api/participants/{world['participant'].pk}"
    assert client.get(participant_api).status_code == 401


def test_sec_25_the_caseload_participant_page_and_export_wait_for_the_code(
    world, signed_in_without_code
):
    client = signed_in_without_code
    pk = world["participant"].pk
    for url in ("/", f"/participants/{pk}/", f"/participants/{pk}/export/json/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{CODE_PAGE}?next="), url
    # htmx requests get the whole window sent to the code page, not a fragment swapped in.
    response = client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 204 and response["HX-Redirect"].startswith(CODE_PAGE)


def test_sec_25_the_code_reaches_the_caseload_with_a_new_session_id(
    signed_in_without_code, coordinator_with_app
):
    client = signed_in_without_code
    before_key = client.session.session_key
    page = client.get(CODE_PAGE)
    assert page.status_code == 200 and b"Enter your security code" in page.content
    before = AuditEntry.objects.count()
    response = enter_code(client, code_now(coordinator_with_app), next="/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session.session_key != before_key
    assert not Session.objects.filter(session_key=before_key).exists()
    assert client.session[MFA_SESSION_KEY] == str(coordinator_with_app.pk)
    caseload = client.get("/")
    assert caseload.status_code == 200 and b"My caseload" in caseload.content
    assert new_actions(before) == ["mfa_verified"]
    # Back to where the sign-in was heading.
    assert client.get(CODE_PAGE + "?next=/audit/")["Location"] == "/audit/"
    assert client.get(CODE_PAGE + "?next=https://elsewhere.example/")["Location"] == "/"


def test_sec_25_a_wrong_code_is_refused_with_the_field_named(
    signed_in_without_code, coordinator_with_app
):
    client = signed_in_without_code
    before = AuditEntry.objects.count()
    response = enter_code(client, wrong_code(coordinator_with_app))
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body and 'href="#id_code"' in body
    assert "Security code is not right" in body
    assert MFA_SESSION_KEY not in client.session
    assert client.get("/")["Location"].startswith(CODE_PAGE)
    assert new_actions(before) == ["mfa_failed"]
    empty = enter_code(client, "")
    assert empty.status_code == 400 and b"Enter the security code" in empty.content


def test_sec_25_a_code_cannot_be_used_twice(signed_in_without_code, coordinator_with_app):
    client = signed_in_without_code
    code = code_now(coordinator_with_app)
    assert enter_code(client, code).status_code == 302
    client.post("/sign-out/")
    again = Client()
    assert sign_in(again, "coordinator").status_code == 302
    before = AuditEntry.objects.count()
    replay = enter_code(again, code)
    assert replay.status_code == 400
    assert MFA_SESSION_KEY not in again.session
    assert new_actions(before) == ["mfa_failed"]
    device = TotpDevice.objects.get(user=coordinator_with_app)
    assert device.last_used_step >= totp.time_step(time.time()) - 1


def test_sec_25_setting_up_the_app_shows_recovery_codes_once_stored_hashed_and_single_use(
    users, world
):
    user = users["casemanager"]
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    client = Client()
    assert sign_in(client, user.username).status_code == 302
    assert client.get("/")["Location"].startswith(f"{SET_UP_PAGE}?next=")
    assert client.get(CODE_PAGE)["Location"] == SET_UP_PAGE
    page = client.get(SET_UP_PAGE)
    assert page.status_code == 200
    device = TotpDevice.objects.get(user=user)
    assert device.confirmed_at is None
    body = page.content.decode()
    assert totp.secret_grouped(device.secret) in body and "<svg" in body
    assert f"secret={device.secret}" in body
    # Reloading keeps the same secret; a wrong first code sets nothing up.
    assert client.get(SET_UP_PAGE).status_code == 200
    assert TotpDevice.objects.get(user=user).secret == device.secret
    before = AuditEntry.objects.count()
    refused = client.post(SET_UP_PAGE, {"code": wrong_code(user)})
    assert refused.status_code == 400 and b"Security code is not right" in refused.content
    assert TotpDevice.objects.get(user=user).confirmed_at is None
    assert not RecoveryCode.objects.filter(user=user).exists()

    shown = client.post(SET_UP_PAGE, {"code": code_now(user), "next": "/"})
    assert shown.status_code == 200
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", shown.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    assert new_actions(before) == ["mfa_failed", "mfa_enrolled", "mfa_verified"]
    assert client.get("/").status_code == 200
    # Stored as password hashes only: no row holds a code in readable form.
    stored = list(RecoveryCode.objects.filter(user=user).values_list("code_hash", flat=True))
    assert len(stored) == 10
    for code_hash in stored:
        assert identify_hasher(code_hash).algorithm == "argon2"
        assert not any(code in code_hash or code.replace("-", "") in code_hash for code in codes)
    # The set-up page never shows them again.
    assert client.get(SET_UP_PAGE)["Location"] == "/"

    # A recovery code stands in for a security code, once.
    client.post("/sign-out/")
    assert sign_in(client, user.username).status_code == 302
    before = AuditEntry.objects.count()
    used = enter_code(client, codes[3].upper().replace("-", " "), next="/")
    assert used.status_code == 302 and used["Location"] == "/"
    assert client.get("/").status_code == 200
    assert new_actions(before) == ["mfa_recovery_used", "mfa_verified"]
    entry = AuditEntry.objects.get(action="mfa_recovery_used")
    assert entry.username == user.username and entry.detail == {"remaining": 9}
    assert RecoveryCode.objects.filter(user=user, used_at__isnull=False).count() == 1
    client.post("/sign-out/")
    assert sign_in(client, user.username).status_code == 302
    assert enter_code(client, codes[3]).status_code == 400
    assert MFA_SESSION_KEY not in client.session


def test_sec_25_a_new_password_does_not_skip_the_security_code(
    signed_in_without_code, coordinator_with_app
):
    client = signed_in_without_code
    assert enter_code(client, code_now(coordinator_with_app)).status_code == 302
    assert client.get("/").status_code == 200
    # There is no self-service password reset: an administrator sets a new password.
    coordinator_with_app.set_password("a different memorable sentence")
    coordinator_with_app.save(update_fields=["password"])
    assert client.get("/")["Location"].startswith("/sign-in/")  # the old session has ended
    fresh = Client()
    assert sign_in(fresh, "coordinator", "a different memorable sentence").status_code == 302
    assert MFA_SESSION_KEY not in fresh.session
    assert fresh.get("/")["Location"].startswith(CODE_PAGE)


def test_sec_25_signing_in_again_in_a_verified_session_asks_for_a_code_again(
    signed_in_without_code, coordinator_with_app
):
    client = signed_in_without_code
    assert enter_code(client, code_now(coordinator_with_app)).status_code == 302
    assert sign_in(client, "coordinator").status_code == 302
    assert client.get("/")["Location"].startswith(CODE_PAGE)


def test_sec_26_wrong_codes_count_towards_the_sign_in_lockout(
    signed_in_without_code, coordinator_with_app
):
    client = signed_in_without_code
    wrong = wrong_code(coordinator_with_app)
    for _ in range(settings.SIGN_IN_MAX_FAILURES - 1):
        assert enter_code(client, wrong).status_code == 400
    before = AuditEntry.objects.count()
    last = enter_code(client, wrong)
    assert last.status_code == 302 and last["Location"] == "/sign-in/"
    assert "_auth_user_id" not in client.session
    assert new_actions(before) == ["mfa_failed", "denied", "sign_out"]
    notice = client.get("/sign-in/")
    assert b"Too many wrong passwords or security codes" in notice.content
    # The right password is now refused like a wrong one, until the window has passed.
    locked = sign_in(Client(), "coordinator")
    assert locked.status_code == 200
    assert b"The username or password is not right" in locked.content
    # The refused sign-in is audited as a lock too.
    assert AuditEntry.objects.filter(action="denied", detail__reason="locked").count() == 2
