"""What a client sees when something breaks on the server (security.md SEC-23)."""

import json

from django.test import Client

from turnpoint.accounts.models import api_token_create

from .helpers import new_participant_body


def test_an_unexpected_error_returns_the_error_shape_with_a_request_id(
    api_as, make_referral, monkeypatch
):
    referral = make_referral()

    def broken(*args, **kwargs):
        raise RuntimeError("SELECT secret FROM settings")

    monkeypatch.setattr("turnpoint.api.referrals.referral_for_user", broken)
    client = api_as("coordinator")
    client.client.raise_request_exception = False
    response = client.get(f"/api/referrals/{referral.pk}")
    assert response.status_code == 500
    [error] = response.json()["errors"]
    assert response["X-Request-ID"] in error["reason"]
    assert "SELECT" not in response.content.decode()
    assert "Traceback" not in response.content.decode()


def test_token_clients_need_no_csrf_token(users):
    client = Client(
        enforce_csrf_checks=True,
        headers={"Authorization": f"Bearer {api_token_create(user=users['coordinator'])}"},
    )
    response = client.post(
        "/api/participants", json.dumps(new_participant_body()), content_type="application/json"
    )
    assert response.status_code == 201


def test_a_session_cookie_alone_does_not_sign_in_to_the_api(users):
    client = Client()
    client.force_login(users["coordinator"])
    assert client.get("/api/participants").status_code == 401
