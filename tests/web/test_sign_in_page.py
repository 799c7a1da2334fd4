"""Signing in at /sign-in/ lands staff on their caseload."""

from .helpers import text

PASSWORD = "correct horse battery staple"


def test_sign_in_page_renders_the_form(client, db):
    html = text(client.get("/sign-in/"))
    assert '<label class="govuk-label" for="id_username">Username</label>' in html
    assert '<label class="govuk-label" for="id_password">Password</label>' in html
    assert html.count("<h1") == 1


def test_signing_in_lands_on_the_caseload(client, coordinator):
    coordinator.set_password(PASSWORD)
    coordinator.save()
    response = client.post("/sign-in/", {"username": "coordinator", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(coordinator.pk)
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


def test_wrong_password_shows_the_error_summary(client, coordinator):
    coordinator.set_password(PASSWORD)
    coordinator.save()
    response = client.post("/sign-in/", {"username": "coordinator", "password": "not it at all"})
    assert response.status_code == 200
    assert "There is a problem" in text(response)
    assert "_auth_user_id" not in client.session
