"""Helpers for the API tests: a token-carrying JSON client and a walk along the pathway."""

import json
from datetime import date, timedelta

from django.test import Client
from participation_helpers import consent_to_take_part

from turnpoint.accounts.models import api_token_create

ROLES = ("coordinator", "casemanager", "clinician", "probation", "judge", "prosecutor",
         "defence", "analyst", "administrator", "outsider")  # fmt: skip
# Roles whose team includes the Ghent participants and who may open an identifiable record.
REACHING = ("coordinator", "casemanager", "clinician", "probation", "judge", "prosecutor",
            "defence")  # fmt: skip
# Roles who may record identity, legal and pathway facts (turnpoint.sharing.rules.ROLE_WRITE).
RECORDING = ("coordinator", "casemanager", "probation")
TREATMENT_KEYS = {"clinical", "counselling_notes", "mental_health"}
LEGAL_KEYS = {"offence_category", "drug_related_type", "offence_date", "offence_summary"}
TO_EPISODE = (
    {"to_state": "screening"},
    {"to_state": "eligibility"},
    {"to_state": "assessment"},
    {"to_state": "recommendation"},
    {"to_state": "decision", "recommended_disposal": "programme"},
    {"to_state": "episode", "imposed_disposal": "programme"},
)


class ApiClient:
    """A Django test client that signs in with a bearer token and sends JSON bodies."""

    def __init__(self, user=None, *, token: str | None = None):
        if user is not None and token is None:
            token = api_token_create(user=user)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.user = user
        self.client = Client(headers=headers)

    def get(self, path, params=None, **headers):
        return self.client.get(path, params or {}, headers=headers)

    def post(self, path, body, **headers):
        return self.client.post(
            path, json.dumps(body), content_type="application/json", headers=headers
        )

    def patch(self, path, body, **headers):
        return self.client.patch(
            path, json.dumps(body), content_type="application/json", headers=headers
        )

    def put(self, path, body, **headers):
        return self.client.put(
            path, json.dumps(body), content_type="application/json", headers=headers
        )


def walk(client, referral_id, steps=TO_EPISODE):
    for step in steps:
        if step["to_state"] == "episode":
            consent_to_take_part(referral_id, client.user)
        response = client.post(f"/api/referrals/{referral_id}/transitions", step)
        assert response.status_code == 201, response.content


def all_keys(value) -> set[str]:
    """Every key in a JSON document, at any depth."""
    if isinstance(value, dict):
        return set(value).union(*(all_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(all_keys(v) for v in value))
    return set()


def errors_by_field(response) -> dict[str, str]:
    body = response.json()
    assert set(body) == {"errors"}, body
    return {e["field"]: e["reason"] for e in body["errors"]}


def new_participant_body(**overrides) -> dict:
    body = {
        "given_name": "Jo",
        "family_name": "Sample",
        "date_of_birth": "1988-02-03",
        "referral": {
            "programme": "ghent-dtc",
            "source": "prosecutor",
            "offence_category": "acquisitive",
            "drug_related_type": "economic_compulsive",
            "offence_date": (date.today() - timedelta(days=90)).isoformat(),
            "referral_date": (date.today() - timedelta(days=60)).isoformat(),
        },
    }
    body.update(overrides)
    return body
