"""SEC-20 authentication and denials are audited, SEC-22 logs carry no sensitive data, SEC-23
errors reveal nothing, SEC-24 passwords, SEC-27 sessions end when they should."""

import io
import logging
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from turnpoint.sharing.models import AuditEntry

from .helpers import send_json

PASSWORD = "a long and memorable sentence"
CANARY = "CANARY-7f3a9c"


@pytest.fixture
def signed_up(users):
    """The coordinator and the judge with a password (Argon2 is slow: only these two)."""
    for name in ("coordinator", "judge"):
        users[name].set_password(PASSWORD)
        users[name].save(update_fields=["password"])
    return users


def sign_in(client, username, password):
    return client.post("/sign-in/", {"username": username, "password": password})


def new_entries(before: int):
    return list(AuditEntry.objects.order_by("pk")[before:])


# SEC-20 ------------------------------------------------------------------------------------------


def test_sec_20_sign_in_success_failure_and_lockout_are_audited(signed_up):
    client = Client()
    before = AuditEntry.objects.count()
    sign_in(client, "judge", "not the password at all")
    assert [(e.action, e.detail.get("username")) for e in new_entries(before)] == [
        ("sign_in_failed", "judge")
    ]
    before = AuditEntry.objects.count()
    assert sign_in(client, "judge", PASSWORD).status_code == 302
    assert [(e.action, e.username) for e in new_entries(before)] == [("sign_in", "judge")]
    for _ in range(settings.SIGN_IN_MAX_FAILURES):
        sign_in(Client(), "coordinator", "wrong again, sorry")
    before = AuditEntry.objects.count()
    sign_in(Client(), "coordinator", PASSWORD)
    # The refused attempt is audited as a denial with its reason (and is not another failure).
    assert ("denied", "locked") in [(e.action, e.detail.get("reason")) for e in new_entries(before)]


def test_sec_20_token_creation_is_audited(users):
    before = AuditEntry.objects.count()
    call_command("tokens", "create", "judge", "--label", "laptop", "--reason", "court laptop",
                 stdout=io.StringIO())  # fmt: skip
    [entry] = new_entries(before)
    assert (entry.action, entry.detail["user"], entry.detail["label"], entry.detail["reason"]) == (
        "token_created", "judge", "laptop", "court laptop"
    )  # fmt: skip


def test_sec_20_no_token_is_created_when_its_audit_cannot_be_written(users, monkeypatch):
    from turnpoint.accounts.models import ApiToken

    def failing(**kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr("turnpoint.accounts.access.audit_write", failing)
    with pytest.raises(RuntimeError):
        call_command("tokens", "create", "judge", "--reason", "laptop", stdout=io.StringIO())
    assert not ApiToken.objects.filter(user=users["judge"]).exists()


def test_sec_20_a_denied_api_request_is_audited_with_route_and_reason(world, api_as):
    client = api_as("judge")
    before = AuditEntry.objects.count()
    url = f"/api/referrals/{world['referral'].pk}/transitions"
    response = send_json(client, "post", url, {"to_state": "exit", "exit_type": "completed"})
    assert response.status_code == 403
    [entry] = [e for e in new_entries(before) if e.action == "denied"]
    assert entry.username == "judge" and entry.detail["route"] == f"POST {url}"
    assert entry.detail["reason"]


def test_sec_20_a_denied_page_request_is_audited_with_route_and_reason(world, page_as):
    client = page_as("judge")
    before = AuditEntry.objects.count()
    response = client.get("/referrals/new/")
    assert response.status_code == 403
    [entry] = new_entries(before)
    assert entry.action == "denied" and entry.username == "judge"
    assert entry.detail["route"] == "GET /referrals/new/"
    assert "judge role" in entry.detail["reason"]
    assert entry.request_id == response["X-Request-ID"]


def test_sec_20_a_page_refused_by_permission_denied_is_audited_with_its_reason(world, page_as):
    client = page_as("judge")  # a judge may not read the household (R18 role defaults)
    before = AuditEntry.objects.count()
    response = client.get(f"/participants/{world['participant'].pk}/household/")
    assert response.status_code == 403
    assert "Why:" in response.content.decode()  # the page explains the refusal
    [entry] = new_entries(before)
    assert entry.action == "denied"
    assert entry.detail["route"] == f"GET /participants/{world['participant'].pk}/household/"
    assert entry.detail["reason"] in response.content.decode()


def test_sec_20_reaching_for_anothers_participant_is_audited_with_the_object(world, page_as):
    pk = world["participant"].pk
    client = page_as("outsider")
    before = AuditEntry.objects.count()
    response = client.get(f"/participants/{pk}/")
    assert response.status_code == 404  # answered exactly as a missing record (SEC-02)
    assert "not in your caseload" not in response.content.decode()
    [entry] = new_entries(before)
    assert (entry.action, entry.username) == ("denied", "outsider")
    assert entry.detail["object"] == f"participant {pk}"
    assert entry.detail["reason"] == "the participant is not in your caseload"


def test_sec_20_reaching_for_anothers_referral_through_the_api_is_audited(world, api_as):
    from turnpoint.journeys.models import Referral

    referral = Referral.objects.filter(participant=world["participant"]).first()
    client = api_as("outsider")
    before = AuditEntry.objects.count()
    response = client.get(f"/api/referrals/{referral.pk}")
    assert response.status_code == 404
    [entry] = new_entries(before)
    assert entry.action == "denied"
    assert entry.detail["object"] == f"referral {referral.pk}"
    assert entry.detail["route"] == f"GET /api/referrals/{referral.pk}"


def test_sec_20_a_missing_record_is_not_a_denial(world, page_as):
    client = page_as("coordinator")
    before = AuditEntry.objects.count()
    assert client.get("/participants/999999/").status_code == 404
    assert not new_entries(before)


# SEC-22 ------------------------------------------------------------------------------------------


def logged(caplog) -> str:
    """Every captured record as formatted, with any traceback and extra arguments."""
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(logging.Formatter("%(name)s %(message)s %(args)s"))
    return "\n".join(handler.format(r) for r in caplog.records) + caplog.text


def test_sec_22_canaries_in_clinical_text_passwords_and_tokens_stay_out_of_the_logs(
    signed_up, world, api_as, caplog, monkeypatch
):
    caplog.set_level(logging.DEBUG)
    client = api_as("coordinator")
    client.raise_request_exception = False
    body = {"participant_id": world["participant"].pk, "programme": "ghent-dtc",
            "source": "police", "offence_category": "acquisitive",
            "drug_related_type": "economic_compulsive", "offence_date": "2026-01-01",
            "referral_date": "2026-02-01", "offence_summary": f"{CANARY} summary"}  # fmt: skip
    created = send_json(client, "post", "/api/referrals", body)
    assert created.status_code == 201, created.content
    assert client.get(f"/api/referrals/{created.json()['id']}").status_code == 200
    # The same summary on a request that breaks on the server.
    monkeypatch.setattr("turnpoint.api.referrals.referral_create_from",
                        lambda *a, **k: 1 / 0)  # fmt: skip
    assert send_json(client, "post", "/api/referrals", body).status_code == 500
    # A password and a token that never work.
    sign_in(Client(), "judge", f"{CANARY}-password")
    anonymous = Client(headers={"Authorization": f"Bearer tp_{CANARY}"})
    assert anonymous.get("/api/participants").status_code == 401
    assert caplog.records, "nothing was captured: the check below would prove nothing"
    assert CANARY not in logged(caplog)


def test_sec_22_control_characters_in_a_logged_request_are_escaped(world, page_as):
    from turnpoint.logs import SafeFormatter

    [handler] = [h for h in logging.getLogger().handlers if isinstance(h.formatter, SafeFormatter)]
    stream = io.StringIO()
    old = handler.setStream(stream)
    try:
        # "Not Found: <path>" is logged by django.request; the path tries to forge a line.
        page_as("coordinator").get("/no-such-page%0d%0aCRITICAL forged entry%1b[2J/")
    finally:
        handler.setStream(old)
    written = stream.getvalue()
    assert "Not Found: /no-such-page\\r\\nCRITICAL forged entry\\x1b[2J/" in written
    assert written.count("\n") == 1  # one event, one line


# SEC-23 ------------------------------------------------------------------------------------------


@pytest.fixture
def broken_page(monkeypatch, users):
    def broken(*args, **kwargs):
        raise RuntimeError("SELECT given_name FROM people_participant -- SECRET_KEY")

    monkeypatch.setattr("turnpoint.web.views.participant_record", broken)
    client = Client(raise_request_exception=False)
    client.force_login(users["coordinator"])
    return client


def test_sec_23_an_unexpected_page_error_is_a_generic_page(world, broken_page, settings):
    settings.DEBUG = False
    response = broken_page.get(f"/participants/{world['participant'].pk}/")
    assert response.status_code == 500
    body = response.content.decode()
    for secret in ("SELECT", "SECRET_KEY", "Traceback", "RuntimeError", "people_participant",
                   settings.SECRET_KEY):  # fmt: skip
        assert secret not in body
    assert response["X-Request-ID"]


def test_sec_23_an_unexpected_page_error_quotes_the_request_id(world, broken_page, settings):
    settings.DEBUG = False
    response = broken_page.get(f"/participants/{world['participant'].pk}/")
    assert response["X-Request-ID"] in response.content.decode()


def test_sec_23_production_settings_have_debug_off():
    assert settings.DEBUG is False  # the default; tests/test_production_settings.py refuses True


# SEC-24 ------------------------------------------------------------------------------------------


def test_sec_24_passwords_are_stored_with_argon2(signed_up):
    signed_up["judge"].refresh_from_db()
    assert signed_up["judge"].password.startswith("argon2")


@pytest.mark.parametrize(
    "password", ["password1234", "qwertyuiop123", "Shorter1!ab"], ids=["common", "common2", "11"]
)
def test_sec_24_common_and_short_passwords_are_refused(users, password):
    with pytest.raises(ValidationError):
        validate_password(password, users["judge"])


def test_sec_24_long_passwords_without_composition_rules_are_accepted(users):
    validate_password("all lowercase words no digits", users["judge"])
    validate_password("x7" * 32, users["judge"])  # 64 characters


# SEC-27 ------------------------------------------------------------------------------------------


def test_sec_27_sign_in_issues_a_new_session_id(signed_up):
    client = Client()
    session = client.session
    session["seen"] = True
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    sign_in(client, "judge", PASSWORD)
    assert client.session.session_key != session.session_key
    assert not Session.objects.filter(session_key=session.session_key).exists()


def test_sec_27_a_session_ends_after_thirty_idle_minutes(world, users):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = Client()
        client.force_login(users["judge"])
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert client.get("/").status_code == 200  # activity renews the idle clock
    with time_machine.travel(start + timedelta(minutes=58), tick=False):
        assert client.get("/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=89), tick=False):
        response = client.get("/")
        assert response.status_code == 302 and response["Location"].startswith("/sign-in/")


def test_sec_27_a_busy_session_still_ends_twelve_hours_after_sign_in(world, users):
    assert settings.SESSION_ABSOLUTE_SECONDS == 12 * 60 * 60
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = Client()
        client.force_login(users["judge"])
        key = client.session.session_key
    for minutes in range(25, 12 * 60, 25):  # never idle for long
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get("/").status_code == 200, minutes
    with time_machine.travel(start + timedelta(hours=12, minutes=1), tick=False):
        before = AuditEntry.objects.count()
        response = client.get("/")
        assert response.status_code == 302 and response["Location"].startswith("/sign-in/")
        assert not Session.objects.filter(session_key=key).exists()
        assert [e.action for e in new_entries(before)] == ["sign_out"]
        assert client.get("/").status_code == 302  # and it stays ended


def test_sec_27_pages_are_given_the_signed_in_user_itself_once_its_session_is_checked(world, users):
    """SessionLifetimeMiddleware replaces AuthenticationMiddleware's lazy stand-in by the user it
    loaded (every later read of the user's role and agency went through a proxy)."""
    from django.contrib.auth.models import AnonymousUser

    from turnpoint.accounts.models import User

    client = Client()
    client.force_login(users["judge"])
    response = client.get("/")
    assert response.status_code == 200
    assert type(response.wsgi_request.user) is User
    assert response.wsgi_request.user.pk == users["judge"].pk
    anonymous = Client().get("/sign-in/")
    assert type(anonymous.wsgi_request.user) is AnonymousUser


def test_sec_27_sign_out_ends_the_session_on_the_server(world, users):
    client = Client()
    client.force_login(users["judge"])
    key = client.session.session_key
    assert client.post("/sign-out/").status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    assert replay.get("/").status_code == 302


def test_sec_27_deactivating_a_user_stops_their_sessions_and_tokens_at_once(world, users, as_):
    judge = users["judge"]
    token = as_.token(judge)
    page = Client()
    page.force_login(judge)
    assert as_.api(token=token).get("/api/participants").status_code == 200
    judge.is_active = False
    judge.save(update_fields=["is_active"])
    assert as_.api(token=token).get("/api/participants").status_code == 401
    assert page.get("/").status_code == 302


def test_sec_27_a_user_ends_their_other_sessions_and_keeps_this_one(world, users):
    judge, other = users["judge"], users["coordinator"]
    here, laptop, phone, theirs = Client(), Client(), Client(), Client()
    for client, user in ((here, judge), (laptop, judge), (phone, judge), (theirs, other)):
        client.force_login(user)
    before = AuditEntry.objects.count()
    page = here.get("/account/sessions/")
    assert "Sign out of all other sessions" in page.content.decode()
    response = here.post("/account/sessions/", follow=True)
    assert "You were signed out of 2 other sessions." in response.content.decode()
    assert here.get("/").status_code == 200  # this session stays
    for ended in (laptop, phone):
        assert ended.get("/")["Location"].startswith("/sign-in/")
    assert theirs.get("/").status_code == 200  # nobody else's (their page records its reads)
    [entry] = [e for e in new_entries(before) if e.action != "disclosed"]
    assert (entry.action, entry.username, entry.detail) == (
        "sign_out",
        "judge",
        {"other_sessions_ended": 2},
    )
