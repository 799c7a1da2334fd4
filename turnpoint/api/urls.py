"""The REST API under /api/, with its OpenAPI document at /api/openapi.json (docs/api.md).

Every operation needs a bearer token (auth.py); every error has the one body of errors.py; every
response is marked `Cache-Control: no-store`, since most carry participant data (SEC-28).
"""

from django.views.decorators.cache import never_cache
from ninja import NinjaAPI

from turnpoint.sharing import ahead

from . import episodes, errors, participants, programmes, referrals, transitions
from .auth import BearerToken


class Api(NinjaAPI):
    """The API, reading a record sent ahead (PostgreSQL, sharing/ahead.py, decision 0010) once
    the response's body is rendered: an operation that records its read and returns its data
    (`referrals.dump_referrals`) has the server write the record while ninja validates and
    renders the body. A record that failed raises here, inside the operation, so the answer is
    the API's own 500 (errors.py) and the body rendered is never sent (SEC-19)."""

    def create_response(self, request, data, *, status=None, temporal_response=None):
        response = super().create_response(
            request, data, status=status, temporal_response=temporal_response
        )
        ahead.collect()
        return response


api = Api(
    title="Turnpoint API",
    version="1",
    description="Participants, referrals, transitions, episodes and programmes. See docs/api.md.",
    openapi_url="/openapi.json",
    docs_url="/docs",
    auth=BearerToken(),
)
errors.install(api)
api.add_decorator(never_cache, mode="view")
api.add_router("/participants", participants.router)
api.add_router("/referrals", referrals.router)
api.add_router("/referrals", transitions.router)
api.add_router("/episodes", episodes.router)
api.add_router("/programmes", programmes.router)
