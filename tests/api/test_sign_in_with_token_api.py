"""Signing in to the API with a bearer token (`turnpoint tokens create USERNAME`)."""

import pytest
from django.core.management import call_command

from turnpoint.accounts.models import ApiToken
from turnpoint.accounts.revocation import api_token_revoke
from turnpoint.api.urls import api
from turnpoint.sharing.models import AuditEntry

from .helpers import ApiClient


def operations():
    """Every operation in the OpenAPI document, with its path parameters filled in."""
    schema = api.get_openapi_schema()
    for path, methods in schema["paths"].items():
        for method in methods:
            filled = path.replace("{participant_id}", "1").replace("{referral_id}", "1")
            filled = filled.replace("{episode_id}", "1").replace("{slug}", "ghent-dtc")
            yield method.upper(), filled


@pytest.mark.parametrize(("method", "path"), list(operations()))
def test_anonymous_requests_are_refused_with_401(anonymous, make_referral, method, path):
    make_referral()
    response = anonymous.client.generic(method, path, "{}", content_type="application/json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["errors"][0]["field"] == "Authorization"


def test_a_token_printed_by_the_command_signs_in(users, capsys, make_referral):
    make_referral()
    call_command("tokens", "create", "coordinator", "--reason", "integration test client")
    raw = capsys.readouterr().out.strip()
    response = ApiClient(token=raw).get("/api/participants")
    assert response.status_code == 200
    assert response.json()["count"] == 1


@pytest.mark.parametrize("token", ["tp_not-a-real-token", "", "x" * 500])
def test_an_unknown_token_is_refused(db, token):
    response = ApiClient(token=token or None).get("/api/programmes")
    assert response.status_code == 401


def test_a_revoked_token_or_inactive_user_signs_nobody_in(users):
    client = ApiClient(users["coordinator"])
    assert client.get("/api/programmes").status_code == 200
    [token] = ApiToken.objects.filter(user=users["coordinator"])
    api_token_revoke(token=token, acting_user=None)
    assert client.get("/api/programmes").status_code == 401

    other = ApiClient(users["casemanager"])
    users["casemanager"].is_active = False
    users["casemanager"].save()
    assert other.get("/api/programmes").status_code == 401


def test_audit_rows_of_api_writes_name_the_user_and_the_api_channel(api_as, make_referral):
    referral = make_referral()
    response = api_as("casemanager").post(
        f"/api/referrals/{referral.pk}/transitions", {"to_state": "screening"}
    )
    assert response.status_code == 201
    entry = AuditEntry.objects.filter(action="transition").latest("id")
    assert entry.username == "casemanager"
    assert entry.channel == "api"
    assert entry.request_id == response["X-Request-ID"]


def test_a_participants_portal_account_gets_no_token_and_a_token_row_signs_no_one_in(
    users, make_referral
):
    """The API is for staff and integrations (docs/portal.md): the command refuses a portal
    account by name, and a token put in the table by hand is refused like an unknown one."""
    import secrets

    from django.core.management.base import CommandError

    from turnpoint.accounts.models import _digest
    from turnpoint.portal.services import portal_setup_code_issue

    person = make_referral().participant
    account, _ = portal_setup_code_issue(acting_user=users["coordinator"], participant=person)
    with pytest.raises(CommandError, match="participant's portal account"):
        call_command("tokens", "create", person.reference, "--reason", "wants the API")
    assert not ApiToken.objects.filter(user=account.user).exists()
    raw = "tp_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=account.user, digest=_digest(raw))
    assert ApiClient(token=raw).get("/api/participants").status_code == 401
