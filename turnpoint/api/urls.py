"""The REST API under /api/, with its OpenAPI document at /api/openapi.json (docs/api.md).

Every operation needs a bearer token (auth.py); every error has the one body of errors.py; every
response is marked `Cache-Control: no-store`, since most carry participant data (SEC-28).
"""

from django.views.decorators.cache import never_cache
from ninja import NinjaAPI

from . import (
    assessments,
    consents,
    corrections,
    court_orders,
    custody,
    episodes,
    errors,
    household,
    matching,
    outcomes,
    participant_records,
    participants,
    participation_consents,
    plans,
    portal_access,
    programmes,
    referrals,
    responses,
    reviews,
    supervision,
    transitions,
)
from .auth import BearerToken

api = NinjaAPI(
    title="Turnpoint API",
    version="1",
    description="Participants, referrals, transitions, episodes, programmes, and what staff record "
    "about participants: consents, court orders, custody and release, households, outcomes, "
    "recovery plans. See docs/api.md.",
    openapi_url="/openapi.json",
    docs_url="/docs",
    auth=BearerToken(),
)
errors.install(api)
api.add_decorator(never_cache, mode="view")
api.add_router("/participants", participants.router)
api.add_router("/participants", participant_records.router)
api.add_router("/referrals", referrals.router)
api.add_router("/referrals", transitions.router)
api.add_router("/referrals", corrections.router)
api.add_router("/referrals", participation_consents.router)
api.add_router("/referrals", matching.router)
api.add_router("/participants", household.router)
api.add_router("/participants", court_orders.router)
api.add_router("/participants", custody.router)
api.add_router("/participants", outcomes.router)
api.add_router("/participants", consents.router)
api.add_router("/participants", portal_access.router)
api.add_router("/participants", plans.router)
api.add_router("/participants", supervision.router)
api.add_router("", reviews.router)
api.add_router("/participants", responses.router)
api.add_router("/phase-proposals", responses.proposals_router)
api.add_router("/episodes", episodes.router)
api.add_router("/programmes", programmes.router)
api.add_router("/instruments", assessments.router)
api.add_router("/participants", assessments.participants_router)
api.add_router("/administrations", assessments.administrations_router)
