"""SEC-45 Oversized and mistyped requests get a clear answer: 413 and 415, never a 500."""

import json

import pytest
from django.core.exceptions import RequestDataTooBig
from django.test import RequestFactory, override_settings

from turnpoint.people.models import Participant
from turnpoint.sharing.models import AuditEntry
from turnpoint.web.error_views import bad_request

LIMIT = 2_000
NEW_PARTICIPANT = {"given_name": "Sam", "family_name": "Example", "date_of_birth": "1991-02-03"}
# The body is read and checked: it lacks a referral (the answer when the body got through).
READ_AND_CHECKED = {"errors": [{"field": "referral", "reason": "is required"}]}


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=LIMIT)
def test_sec_45_an_api_body_over_the_limit_gets_413_naming_the_limit_and_changes_nothing(
    world, users, as_
):
    api = as_.api(users["coordinator"])
    participants, entries = Participant.objects.count(), AuditEntry.objects.count()
    body = json.dumps({**NEW_PARTICIPANT, "notes": "x" * LIMIT})
    response = api.post("/api/participants", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {
        "errors": [
            {"field": "body", "reason": "is longer than this service accepts: send at most "
                                        "2,000 bytes"}
        ]
    }  # fmt: skip
    assert response["Cache-Control"] == "no-store" and response["X-Request-ID"]
    assert Participant.objects.count() == participants
    assert AuditEntry.objects.count() == entries


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=LIMIT)
def test_sec_45_a_page_body_over_the_limit_gets_a_plain_413_page(world, users, as_):
    page = as_.page(users["analyst"])
    entries = AuditEntry.objects.count()
    response = page.post("/simulator/", {"scenario_yaml": "x" * LIMIT, "runs": "1"})
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    text = response.content.decode()
    assert "What you sent is too large" in text
    assert "The request body is longer than this service accepts: send at most 2,000 bytes." in (
        text
    )
    assert "Content-Security-Policy" in response
    assert AuditEntry.objects.count() == entries


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=LIMIT)
def test_sec_45_a_body_at_the_limit_is_still_read(world, users, as_):
    api = as_.api(users["coordinator"])
    body = json.dumps(NEW_PARTICIPANT)
    body += " " * (LIMIT - len(body))
    response = api.post("/api/participants", body, content_type="application/json")
    assert (response.status_code, response.json()) == (400, READ_AND_CHECKED)


def test_sec_45_django_finding_a_body_too_large_while_reading_it_is_a_413_page_not_a_400(db):
    response = bad_request(RequestFactory().post("/simulator/"), RequestDataTooBig("too big"))
    assert response.status_code == 413
    assert b"What you sent is too large" in response.content


@pytest.mark.parametrize(
    ("content_type", "named"),
    [
        ("application/x-www-form-urlencoded", "application/x-www-form-urlencoded"),
        ("text/plain; charset=utf-8", "text/plain"),
        ("", "none"),
    ],
)
def test_sec_45_an_api_write_that_is_not_json_gets_415_and_changes_nothing(
    world, users, as_, content_type, named
):
    api = as_.api(users["coordinator"])
    participants = Participant.objects.count()
    response = api.generic("POST", "/api/participants", json.dumps(NEW_PARTICIPANT),
                           content_type=content_type)  # fmt: skip
    assert response.status_code == 415
    reason = f"must be application/json (the body is JSON); got {named}"
    assert response.json() == {"errors": [{"field": "Content-Type", "reason": reason}]}
    assert Participant.objects.count() == participants


def test_sec_45_json_with_a_charset_or_a_json_suffix_is_accepted(world, users, as_):
    api = as_.api(users["coordinator"])
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        body = json.dumps({**NEW_PARTICIPANT, "given_name": content_type[:12]})
        response = api.generic("POST", "/api/participants", body, content_type=content_type)
        assert (response.status_code, response.json()) == (400, READ_AND_CHECKED), content_type


def test_sec_45_a_content_length_that_is_not_a_number_gets_400_not_500(world, users, as_):
    api = as_.api(users["coordinator"])
    response = api.generic("POST", "/api/participants", "{}", content_type="application/json",
                           CONTENT_LENGTH="lots")  # fmt: skip
    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"field": "Content-Length", "reason": "is not a whole number"}]
    }
