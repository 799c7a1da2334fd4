"""Staff page fixtures: a test client signed in as a persona."""

import pytest


@pytest.fixture
def page_as(client, users, outsider):
    """`page_as("judge")` is the test client signed in as that persona."""

    def sign_in(username):
        client.force_login(outsider if username == "outsider" else users[username])
        return client

    return sign_in
