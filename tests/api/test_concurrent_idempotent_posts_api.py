"""Two copies of one POST arriving at once (security.md SEC-35), on real connections."""

import threading
import time

import pytest
from django.db import connection, connections

from turnpoint.people import services
from turnpoint.people.models import Participant

from .helpers import ApiClient, new_participant_body

pytestmark = pytest.mark.skipif(
    connection.vendor == "sqlite", reason="needs concurrent connections (PostgreSQL)"
)


@pytest.mark.django_db(transaction=True)
def test_a_duplicate_arriving_during_the_first_gets_409_and_one_participant_exists(
    users, monkeypatch
):
    slow_create = services.participant_create
    started = threading.Event()

    def participant_create(**kwargs):
        started.set()
        time.sleep(0.5)  # the first request is still running when the second arrives
        return slow_create(**kwargs)

    monkeypatch.setattr("turnpoint.api.participants.participant_create", participant_create)
    client = ApiClient(users["coordinator"])
    key = {"Idempotency-Key": "concurrent-1"}
    results = {}

    def send(name):
        try:
            results[name] = client.post("/api/participants", new_participant_body(), **key)
        finally:
            connections.close_all()

    first = threading.Thread(target=send, args=("first",))
    first.start()
    assert started.wait(5)
    send("second")
    first.join(10)
    assert results["first"].status_code == 201
    assert results["second"].status_code == 409
    assert Participant.objects.count() == 1
    replay = client.post("/api/participants", new_participant_body(), **key)
    assert replay.json() == results["first"].json()
    assert Participant.objects.count() == 1
