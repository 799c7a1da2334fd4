"""SEC-01 deny by default, everywhere: every route and API operation has a decided outcome for
every role (authorisation_matrix.py), and each persona gets exactly that outcome."""

import re
from datetime import date, timedelta

import pytest
from django.urls import URLResolver, get_resolver

from turnpoint.api.urls import api

from . import authorisation_matrix as matrix
from .helpers import send_json

API_NAMESPACE = "api-1:"


def url_patterns(resolver=None, prefix="", namespace=""):
    """(route, name, callback) of every pattern in the URLconf, recursively."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from url_patterns(pattern, prefix + str(pattern.pattern), inner)
        else:
            name = namespace + pattern.name if pattern.name else None
            yield prefix + str(pattern.pattern), name, pattern.callback


def is_api_operation(route: str, callback) -> bool:
    return route.startswith("api/") and callback.__module__.startswith("ninja.operation")


def openapi_operations() -> set[tuple[str, str]]:
    paths = api.get_openapi_schema()["paths"]
    return {(method.upper(), path) for path, ops in paths.items() for method in ops}


def page_routes() -> list[tuple[str, str | None]]:
    return [
        (route, name)
        for route, name, callback in url_patterns()
        if not is_api_operation(route, callback)
        and not any(route.startswith(prefix) for prefix in matrix.EXCLUDED)
    ]


def test_sec_01_every_route_has_a_rule_for_every_role():
    missing = [
        f"{route} (name {name!r})" for route, name in page_routes() if name not in matrix.PAGES
    ]
    assert not missing, f"routes with no row in authorisation_matrix.PAGES: {missing}"
    stale = set(matrix.PAGES) - {name for _, name in page_routes()}
    assert not stale, f"matrix rows for routes that no longer exist: {sorted(stale)}"
    for name, outcomes in matrix.PAGES.items():
        assert set(outcomes) == set(matrix.PERSONA_KEYS), f"{name}: not every role decided"


def test_sec_01_every_api_operation_has_a_rule_for_every_role():
    operations = openapi_operations()
    missing = sorted(operations - set(matrix.OPERATIONS))
    assert not missing, f"API operations with no row in authorisation_matrix.OPERATIONS: {missing}"
    stale = sorted(set(matrix.OPERATIONS) - operations)
    assert not stale, f"matrix rows for operations that no longer exist: {stale}"
    for key, outcomes in matrix.OPERATIONS.items():
        assert set(outcomes) == set(matrix.PERSONA_KEYS), f"{key}: not every role decided"


# Pages anyone may open: signing in, and the API's own description (it holds no data).
PUBLIC = {
    "login",
    "logout",
    "api-1:openapi-json",
    "api-1:openapi-view",
    "api-1:api-root",
    "portal:set_up",
}


def test_sec_01_anonymous_visitors_are_sent_to_sign_in_or_refused_with_401():
    """The matrix itself may not open a route to the anonymous visitor by mistake."""
    for name, outcomes in matrix.PAGES.items():
        if name not in PUBLIC:
            assert outcomes["anonymous"] == matrix.SIGN_IN, name
    for operation, outcomes in matrix.OPERATIONS.items():
        assert outcomes["anonymous"] == matrix.UNAUTHENTICATED, operation


def test_sec_01_every_api_route_in_the_urlconf_is_in_the_openapi_document():
    """An operation hidden from the schema (include_in_schema=False) would escape the matrix."""
    documented = {re.sub(r"\{(\w+)\}", r"<\1>", path) for _, path in openapi_operations()}
    routes = {
        "/" + route for route, _, callback in url_patterns() if is_api_operation(route, callback)
    }
    assert routes <= documented, sorted(routes - documented)


def outcome(response, *, api: bool) -> str:
    status = response.status_code
    if status in (301, 302):
        location = response.headers["Location"]
        if location.startswith("/security-code/"):
            return matrix.SECURITY_CODE
        return matrix.SIGN_IN if location.startswith("/sign-in/") else f"redirect {location}"
    if 200 <= status < 300:
        return matrix.OK
    return str(status)


def fill(route: str, ids: dict) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), route)


def page_ids(name: str, objects: dict) -> dict:
    """Which object each `<pk>`/`<consent_pk>` of a route stands for, by the route's name."""
    first = {
        "web:participation_consent_new": "referral",
        "web:referral_transition": "referral",
        "web:break_glass_review": "break_glass",
        "web:statutory_report": "statutory_referral",
        "web:step_correct": "referral",
        "web:step_withdraw": "referral",
        "web:offence_edit": "referral",
    }.get(name, "participant")
    # The portal's consents are the participant's consents to share.
    consent = (
        "share_consent"
        if "share" in name or name.startswith("portal:")
        else "participation_consent"
    )
    return {
        "pk": objects[first],
        "consent_pk": objects[consent],
        "order_pk": objects["court_order"],
        "fmt": "json",
        "code": objects["statutory_report"],
        "step_pk": objects["step"],
    }


@pytest.mark.parametrize("name", sorted(matrix.PAGES))
def test_sec_01_each_role_gets_the_matrix_outcome_on_each_page(objects, page_as, name):
    routes = {n: r for r, n in page_routes()}
    url = fill(routes[name], page_ids(name, objects))
    got = {key: outcome(page_as(key).get(url), api=False) for key in matrix.PERSONA_KEYS}
    assert got == matrix.PAGES[name], url


def write_body(method, path, world, make_referral, coordinator):
    """A fresh, valid request for a write operation: (path, body, headers)."""
    today = date.today()
    facts = {
        "programme": "ghent-dtc",
        "source": "police",
        "offence_category": "acquisitive",
        "drug_related_type": "economic_compulsive",
        "offence_date": (today - timedelta(days=90)).isoformat(),
        "referral_date": (today - timedelta(days=60)).isoformat(),
    }
    if (method, path) == ("POST", "/api/participants"):
        body = {
            "given_name": "Jo",
            "family_name": "Sample",
            "date_of_birth": "1988-02-03",
            "referral": facts,
        }
        return path, body
    if (method, path) == ("POST", "/api/referrals"):
        return path, {**facts, "participant_id": world["participant"].pk}
    if (method, path) == ("PUT", "/api/episodes/{episode_id}/assignment"):
        url = f"/api/episodes/{world['episode'].pk}/assignment"
        return url, {"key_worker": "clinician", "case_manager": None}
    referral = make_referral(given_name="Fresh", family_name="Person")
    if (method, path) == ("PATCH", "/api/participants/{participant_id}"):
        participant = referral.participant
        body = {"preferred_name": "Fi", "version": participant.version}
        return f"/api/participants/{participant.pk}", body
    if (method, path) == ("PATCH", "/api/referrals/{referral_id}"):
        body = {"offence_category": "fraud", "version": referral.version}
        return f"/api/referrals/{referral.pk}", body
    if (method, path) == ("POST", "/api/referrals/{referral_id}/transitions"):
        return f"/api/referrals/{referral.pk}/transitions", {"to_state": "screening"}
    if path.startswith("/api/referrals/{referral_id}/transitions/{transition_id}/"):
        from turnpoint.journeys.services import referral_transition

        step = referral_transition(referral, acting_user=coordinator, to_state="screening")
        what = path.rsplit("/", 1)[1]
        body = {"reason": "Recorded in error"}
        if what == "correction":
            body["step_reason"] = "Seen at the station"
        return f"/api/referrals/{referral.pk}/transitions/{step.pk}/{what}", body
    raise AssertionError(f"no valid body known for {method} {path}: add one here")


@pytest.mark.parametrize("operation", sorted(matrix.OPERATIONS))
def test_sec_01_each_role_gets_the_matrix_outcome_on_each_api_operation(
    world, api_as, make_referral, coordinator, operation
):
    method, path = operation
    ids = {
        "participant_id": world["participant"].pk,
        "referral_id": world["referral"].pk,
        "episode_id": world["episode"].pk,
        "slug": "ghent-dtc",
    }
    got, bodies = {}, {}
    for key in matrix.PERSONA_KEYS:
        client = api_as(key)
        if method == "GET":
            response = client.get(re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path))
        else:
            url, body = write_body(method, path, world, make_referral, coordinator)
            response = send_json(client, method, url, body)
        got[key] = outcome(response, api=True)
        bodies[key] = response.content[:200]
    assert got == matrix.OPERATIONS[operation], bodies
