"""SEC-19 audit in the same transaction, fail closed: when the audit insert fails, the request
fails, returns no participant data and changes nothing; a list request writes one audit row."""

import pytest
from django.test import Client

from turnpoint.journeys.models import Referral, Transition
from turnpoint.people.models import Participant
from turnpoint.sharing.models import AuditEntry
from turnpoint.sharing.models import audit as audit_models

from .helpers import send_json

NAMES = ("Robinette", "Quarrington", "bicycle")


@pytest.fixture
def audit_down(monkeypatch):
    """Call it to make every audit insert fail from then on."""

    def break_it():
        def refuse(*args, **kwargs):
            raise RuntimeError("audit store unavailable")

        # Every audit row, saved or bulk-created, is inserted by this one method
        # (models.append_entries, after chaining it).
        monkeypatch.setattr(audit_models.AuditQuerySet, "insert_chained", refuse)

    return break_it


def assert_failed_without_data(response):
    assert response.status_code == 500, response.content[:300]
    body = response.content.decode()
    assert not [n for n in NAMES if n in body], body[:300]


def test_sec_19_a_sensitive_read_fails_when_its_audit_cannot_be_written(
    world, users, api_as, audit_down
):
    pid, rid = world["participant"].pk, world["referral"].pk
    page = Client(raise_request_exception=False)
    page.force_login(users["coordinator"])
    api = api_as("judge")
    api.raise_request_exception = False
    audit_down()
    assert_failed_without_data(api.get(f"/api/referrals/{rid}"))
    assert_failed_without_data(api.get(f"/api/participants/{pid}"))
    assert_failed_without_data(api.get("/api/referrals"))
    assert_failed_without_data(page.get(f"/participants/{pid}/"))


def test_sec_19_a_write_changes_nothing_when_its_audit_cannot_be_written(
    world, make_referral, api_as, audit_down
):
    referral = make_referral(given_name="Fresh", family_name="Person")
    participant, state = referral.participant, referral.state
    client = api_as("coordinator")
    client.raise_request_exception = False
    counts = (Participant.objects.count(), Referral.objects.count(), Transition.objects.count(),
              AuditEntry.objects.count())  # fmt: skip
    audit_down()
    response = send_json(
        client, "post", f"/api/referrals/{referral.pk}/transitions", {"to_state": "screening"}
    )
    assert_failed_without_data(response)
    response = send_json(
        client, "patch", f"/api/participants/{participant.pk}",
        {"preferred_name": "Changed", "version": participant.version},
    )  # fmt: skip
    assert_failed_without_data(response)
    body = {"given_name": "Nova", "family_name": "Newcomer", "date_of_birth": "1990-01-01",
            "referral": {"programme": "ghent-dtc", "source": "police",
                         "offence_category": "acquisitive",
                         "drug_related_type": "economic_compulsive",
                         "offence_date": "2026-01-01", "referral_date": "2026-02-01"}}  # fmt: skip
    assert_failed_without_data(send_json(client, "post", "/api/participants", body))
    referral.refresh_from_db()
    participant.refresh_from_db()
    assert referral.state == state and participant.preferred_name != "Changed"
    assert (Participant.objects.count(), Referral.objects.count(), Transition.objects.count(),
            AuditEntry.objects.count()) == counts  # fmt: skip


def test_sec_19_a_list_request_writes_one_audit_row_listing_every_participant_shown(
    world, make_referral, api_as
):
    make_referral(given_name="Second", family_name="Person")
    make_referral(given_name="Third", family_name="Person")
    client = api_as("judge")
    before = AuditEntry.objects.count()
    response = client.get("/api/referrals", {"limit": 100})
    assert response.status_code == 200
    shown = sorted({r["participant_id"] for r in response.json()["items"]})
    assert len(shown) == 3
    [entry] = AuditEntry.objects.order_by("pk")[before:]
    assert entry.action == "read" and sorted(entry.participant_ids) == shown
    assert entry.username == "judge" and "legal" in entry.categories
