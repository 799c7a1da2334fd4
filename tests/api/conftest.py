"""API fixtures: clients signed in with a bearer token, per persona."""

import pytest

from .helpers import ApiClient


@pytest.fixture
def api_as(users, outsider):
    """`api_as("judge")` is a client signed in as that persona (a new token each call)."""

    def make(username):
        return ApiClient(outsider if username == "outsider" else users[username])

    return make


@pytest.fixture
def anonymous(db):
    return ApiClient()
