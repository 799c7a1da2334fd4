"""SEC-02 no object access by changing an identifier: the outsider (another area's coordinator)
gets 404 on every route that names one of the Ghent team's objects, learns nothing from the body,
and changes nothing; walking the ids finds only their own caseload."""

import re

import pytest
from django.apps import apps

from turnpoint.people.models import Participant
from turnpoint.sharing.models import AuditEntry

from . import authorisation_matrix as matrix
from .helpers import send_json
from .test_sec_01_authorisation_matrix import (
    fill,
    objects_administration,
    page_ids,
    page_routes,
    review_objects,
    write_body,
)

SECRETS = ("Robinette", "Quarrington", "1990-05-17", "17 May 1990", "bicycle")


def row_counts() -> dict[str, int]:
    """Rows of every Turnpoint table but the audit log (denials may be audited, SEC-20)."""
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model.__module__.startswith("turnpoint.") and model is not AuditEntry
    }


def assert_nothing_leaked(response, url):
    assert response.status_code == 404, (url, response.status_code)
    body = response.content.decode()
    assert not [s for s in SECRETS if s in body], (url, body[:300])


def test_sec_02_outsider_gets_404_on_every_page_naming_anothers_object(objects, page_as):
    client = page_as("outsider")
    before = row_counts()
    checked = 0
    for route, name in page_routes():
        if "<" not in route or route.startswith("api/"):
            continue
        url = fill(route, page_ids(name, objects))
        for method in ("get", "post"):
            response = getattr(client, method)(url, {"reason": "x", "justification": "x" * 40})
            if response.status_code == 405:
                continue
            if name == "web:break_glass_review" or name.startswith("portal:"):
                # Reviewing a break-glass is the safeguarding lead's, and the portal serves only
                # a signed-in participant's own record: staff are refused before any lookup.
                assert response.status_code in (403, 404), url
                assert not [s for s in SECRETS if s in response.content.decode()], url
                continue
            assert_nothing_leaked(response, f"{method.upper()} {url}")
            checked += 1
    assert checked >= 10
    assert row_counts() == before


# A programme (by slug) and an instrument of the catalogue hold no participant data: anyone
# signed in reads them.
PUBLIC_OBJECTS = ("{slug}", "/api/instruments/")


@pytest.mark.parametrize(
    "operation",
    sorted(
        op
        for op in matrix.OPERATIONS
        if "{" in op[1] and not any(part in op[1] for part in PUBLIC_OBJECTS)
    ),
)
def test_sec_02_outsider_gets_404_on_every_api_operation_naming_anothers_object(
    world, api_as, persona, make_referral, coordinator, operation
):
    method, path = operation
    ids = {
        "participant_id": world["participant"].pk,
        "referral_id": world["referral"].pk,
        "episode_id": world["episode"].pk,
        "administration_id": objects_administration(world, coordinator),
        "number": 1,
        "custody_id": world["custody"].pk,
    }
    if "/progress-reports/" in path:
        ids["report_id"] = review_objects(world, coordinator)[1].pk
    client = api_as("outsider")
    if method == "GET":
        url = re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path)
    else:
        # The valid body SEC-01 sends, on a fresh object of the Ghent team: a body the schema
        # refused would be answered before the object is looked up.
        url, body = write_body(method, path, world, make_referral, coordinator, persona("outsider"))
    before = row_counts()
    response = client.get(url) if method == "GET" else send_json(client, method, url, body)
    assert_nothing_leaked(response, url)
    assert response.json()["errors"], response.content
    assert row_counts() == before


def test_sec_02_walking_participant_ids_finds_only_your_own_caseload(world, as_, persona):
    # Every id from a little below this test's first participant to past its last (on PostgreSQL
    # the sequence does not restart between tests, so "1" may be far below).
    ids = Participant.objects.order_by("pk").values_list("pk", flat=True)
    first, last = ids.first(), ids.last()
    for key, own in (("outsider", world["their_participant"]), ("judge", world["participant"])):
        user = persona(key)
        found_api = [
            i
            for i in range(max(1, first - 3), last + 3)
            if as_.api(user).get(f"/api/participants/{i}").status_code == 200
        ]
        found_pages = [
            i
            for i in range(max(1, first - 3), last + 3)
            if as_.page(user).get(f"/participants/{i}/").status_code == 200
        ]
        assert found_api == found_pages == [own.pk], key
