"""Signing in at /sign-in/ and then with a security code lands staff on their caseload."""

import time

from django.utils import timezone

from turnpoint.accounts import totp
from turnpoint.accounts.models import TotpDevice

from .helpers import text

PASSWORD = "correct horse battery staple"


def test_sign_in_page_renders_the_form(client, db):
    html = text(client.get("/sign-in/"))
    assert '<label class="govuk-label" for="id_username">Username</label>' in html
    assert '<label class="govuk-label" for="id_password">Password</label>' in html
    assert html.count("<h1") == 1


def code_now(user) -> str:
    """The code the user's authenticator app shows now."""
    device, _ = TotpDevice.objects.get_or_create(
        user=user, defaults={"secret": totp.secret_new(), "confirmed_at": timezone.now()}
    )
    return totp.totp(totp.secret_bytes(device.secret), at=time.time())


def test_signing_in_lands_on_the_caseload_after_the_security_code(client, coordinator):
    coordinator.set_password(PASSWORD)
    coordinator.save()
    code = code_now(coordinator)
    response = client.post("/sign-in/", {"username": "coordinator", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(coordinator.pk)
    asked = client.get("/")
    assert asked["Location"] == "/security-code/?next=%2F"
    html = text(client.get(asked["Location"]))
    assert '<label class="govuk-label govuk-label--m" for="id_code">Security code</label>' in html
    assert html.count("<h1") == 1 and "My caseload" not in html  # no navigation yet
    response = client.post("/security-code/", {"code": code, "next": "/"})
    assert response["Location"] == "/"
    assert "My caseload" in text(client.get("/"))


def test_signing_in_returns_to_the_page_asked_for(client, coordinator):
    coordinator.set_password(PASSWORD)
    coordinator.save()
    asked = client.get("/referrals/new/")
    assert asked["Location"] == "/sign-in/?next=/referrals/new/"
    response = client.post(
        "/sign-in/?next=/referrals/new/",
        {"username": "coordinator", "password": PASSWORD, "next": "/referrals/new/"},
    )
    assert response["Location"] == "/referrals/new/"
    code = code_now(coordinator)
    asked = client.get("/referrals/new/")
    assert asked["Location"] == "/security-code/?next=%2Freferrals%2Fnew%2F"
    response = client.post("/security-code/", {"code": code, "next": "/referrals/new/"})
    assert response["Location"] == "/referrals/new/"


def test_wrong_password_shows_the_error_summary(client, coordinator):
    coordinator.set_password(PASSWORD)
    coordinator.save()
    response = client.post("/sign-in/", {"username": "coordinator", "password": "not it at all"})
    assert response.status_code == 200
    assert "There is a problem" in text(response)
    assert "_auth_user_id" not in client.session
