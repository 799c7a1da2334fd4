"""SEC-30 nothing sensitive in URLs and SEC-31 no mass assignment."""

import re
from html.parser import HTMLParser

import pytest
from django.apps import apps

from turnpoint.people.models import Participant

from .helpers import send_json
from .test_sec_01_authorisation_matrix import fill, page_ids, page_routes

# SEC-30 ------------------------------------------------------------------------------------------

URL_ATTRIBUTES = {"href", "action", "src", "hx-get", "hx-post", "hx-push-url", "formaction"}
SENSITIVE_IN_URL = ("Robinette", "Quarrington", "1990-05-17", "17/05/1990", "1990", "bicycle")


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        self.urls += [v for k, v in attrs if k in URL_ATTRIBUTES and v]


def urls_in(html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    return parser.urls


def test_sec_30_no_route_takes_a_name_birth_date_or_token():
    for route, _ in page_routes():
        params = re.findall(r"<(?:\w+:)?(\w+)>", route)
        assert not [p for p in params if re.search(r"name|birth|dob|token|result", p)], route


def test_sec_30_no_rendered_link_or_form_carries_a_name_or_birth_date(objects, page_as):
    client = page_as("coordinator")
    seen = 0
    for route, name in page_routes():
        if route.startswith(("api/", "sign-out")):
            continue
        response = client.get(fill(route, page_ids(name, objects)))
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        for url in urls_in(response.content.decode()):
            seen += 1
            assert not [s for s in SENSITIVE_IN_URL if s in url], (name, url)
    assert seen > 50


def test_sec_30_searching_the_caseload_by_name_keeps_the_name_out_of_urls(world, page_as):
    client = page_as("coordinator")
    posted = client.post("/", {"q": "Quarrington", "state": "referral"})
    assert posted.status_code == 302 and "Quarrington" not in posted["Location"]
    partial = client.post("/", {"q": "Quarrington"}, HTTP_HX_REQUEST="true")
    assert "Quarrington" not in partial["HX-Push-Url"]
    response = client.get(posted["Location"])
    assert response.status_code == 200
    page = response.content.decode()
    assert "Quarrington" in page  # found, and the search box still says what was typed
    form = page.split('role="search"')[0].rsplit("<form", 1)[-1]
    assert 'method="post"' in form
    assert not [u for u in urls_in(page) if "Quarrington" in u]


# SEC-31 ------------------------------------------------------------------------------------------

FORBIDDEN_FIELDS = ("agency", "synthetic", "version", "state", "id", "created_at")


def row_counts() -> dict[str, int]:
    """Rows of every Turnpoint table, the audit log included: a refusal writes nothing."""
    return {m._meta.label: m.objects.count() for m in apps.get_models()
            if m.__module__.startswith("turnpoint.")}  # fmt: skip


def write_requests(world, referral):
    facts = {"programme": "ghent-dtc", "source": "police", "offence_category": "acquisitive",
             "drug_related_type": "economic_compulsive", "offence_date": "2026-01-01",
             "referral_date": "2026-02-01"}  # fmt: skip
    participant = referral.participant
    return [
        ("post", "/api/participants", {"given_name": "Jo", "family_name": "Sample",
                                       "date_of_birth": "1988-02-03", "referral": facts}),
        ("patch", f"/api/participants/{participant.pk}",
         {"preferred_name": "Jo", "version": participant.version}),
        ("post", "/api/referrals", {**facts, "participant_id": participant.pk}),
        ("post", f"/api/referrals/{referral.pk}/transitions", {"to_state": "screening"}),
    ]  # fmt: skip


@pytest.mark.parametrize("field", FORBIDDEN_FIELDS)
def test_sec_31_write_endpoints_refuse_fields_outside_the_writable_set(
    world, make_referral, api_as, field
):
    referral = make_referral(given_name="Fresh", family_name="Person")
    state, version = referral.state, referral.version
    client = api_as("coordinator")
    for method, url, body in write_requests(world, referral):
        if field in body:
            continue  # `version` is how a PATCH says which version it read (SEC-34)
        before = row_counts()
        response = send_json(client, method, url, {**body, field: 1 if field != "state" else "x"})
        assert response.status_code == 400, (method, url, field, response.content)
        named = {e["field"] for e in response.json()["errors"]}
        assert field in named, (method, url, named)
        assert row_counts() == before
    referral.refresh_from_db()
    assert (referral.state, referral.version) == (state, version)
    assert not Participant.objects.filter(given_name="Jo").exists()


def test_sec_31_a_nested_referral_refuses_fields_outside_the_writable_set(world, api_as):
    body = write_requests(world, world["referral"])[0][2]
    body["referral"]["state"] = "episode"
    response = send_json(api_as("coordinator"), "post", "/api/participants", body)
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"referral.state"}
