"""API fixtures: a test client signed in with a bearer token, per persona."""

import json

import pytest
from django.test import Client

from turnpoint.accounts.models import api_token_create


class ApiClient:
    """A Django test client that sends a token and JSON bodies."""

    def __init__(self, user=None):
        headers = {}
        if user is not None:
            headers["Authorization"] = f"Bearer {api_token_create(user=user)}"
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


@pytest.fixture
def api_as(users, outsider):
    """`api_as("judge")` is a client signed in as that persona."""

    def make(username):
        user = outsider if username == "outsider" else users[username]
        return ApiClient(user)

    return make


@pytest.fixture
def anonymous(db):
    return ApiClient()
