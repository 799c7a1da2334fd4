"""SEC-36 the API survives fuzzing for every role: Schemathesis generates requests from
/api/openapi.json, sends each one in-process to the WSGI application with every role's token, and
checks for no server error and a status, content type, headers and body the document declares
(docs/api.md, "Fuzzing the API")."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from . import authorisation_matrix as matrix

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance,
          negative_data_rejection]  # fmt: skip


@pytest.fixture
def api_schema(db):
    from turnpoint.wsgi import application

    # As Django's test client does: a request must not close the test's database connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/openapi.json", application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(world, persona, as_):
    """A token for every signed-in persona (the participant's written by hand: none can be
    made for a portal account); the world gives the ids something to find."""
    return {key: as_.token(persona(key))
            for key in matrix.PERSONA_KEYS if key != "anonymous"}  # fmt: skip


# Schemathesis's own pytest integration (`from_fixture`) does not run under pytest 9, so each
# operation's strategy is driven with Hypothesis directly.
@pytest.mark.parametrize("operation", sorted(matrix.OPERATIONS), ids=" ".join)
def test_sec_36_the_api_survives_fuzzing_with_every_roles_token(api_schema, tokens, operation):
    method, path = operation

    @given(case=api_schema[path][method].as_strategy())
    @settings(max_examples=4, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def fuzz(case):
        for token in tokens.values():
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

    fuzz()
