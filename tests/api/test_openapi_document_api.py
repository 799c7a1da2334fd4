"""The OpenAPI document at /api/openapi.json describes every endpoint."""

from django.test import Client
from django.urls import get_resolver

from turnpoint.api.urls import api

EXPECTED = {
    ("get", "/api/participants"), ("post", "/api/participants"),
    ("get", "/api/participants/{participant_id}"), ("patch", "/api/participants/{participant_id}"),
    ("post", "/api/participants/{participant_id}/identifiers"),
    ("post", "/api/participants/{participant_id}/contact-details"),
    ("post", "/api/participants/{participant_id}/identifiers/{identifier_id}/withdraw"),
    ("post", "/api/participants/{participant_id}/contact-details/{contact_id}/withdraw"),
    ("post", "/api/participants/{participant_id}/merge"),
    ("post", "/api/participants/{participant_id}/unmerge"),
    ("get", "/api/referrals"), ("post", "/api/referrals"),
    ("get", "/api/referrals/{referral_id}"), ("patch", "/api/referrals/{referral_id}"),
    ("get", "/api/referrals/{referral_id}/transitions"),
    ("post", "/api/referrals/{referral_id}/transitions"),
    ("post", "/api/referrals/{referral_id}/transitions/{transition_id}/correction"),
    ("post", "/api/referrals/{referral_id}/transitions/{transition_id}/withdrawal"),
    ("get", "/api/episodes"), ("get", "/api/episodes/{episode_id}"),
    ("put", "/api/episodes/{episode_id}/assignment"),
    ("get", "/api/programmes"), ("get", "/api/programmes/{slug}"),
    # docs/api.md, "What the pages record, through the API"
    ("get", "/api/referrals/{referral_id}/participation-consents"),
    ("post", "/api/referrals/{referral_id}/participation-consents"),
    ("post", "/api/referrals/{referral_id}/participation-consents/{consent_id}/withdraw"),
    ("get", "/api/participants/{participant_id}/household"),
    ("post", "/api/participants/{participant_id}/household"),
    ("get", "/api/participants/{participant_id}/court-orders"),
    ("post", "/api/participants/{participant_id}/court-orders"),
    ("post", "/api/participants/{participant_id}/court-orders/{order_id}/end"),
    ("get", "/api/participants/{participant_id}/custody-episodes"),
    ("post", "/api/participants/{participant_id}/custody-episodes"),
    ("post", "/api/participants/{participant_id}/custody-episodes/{custody_id}/release"),
    ("get", "/api/participants/{participant_id}/custody-episodes/{custody_id}/release-plan"),
    ("post", "/api/participants/{participant_id}/custody-episodes/{custody_id}/release-plan"),
    ("put",
     "/api/participants/{participant_id}/custody-episodes/{custody_id}/release-plan/items/{item}"),
    ("get", "/api/participants/{participant_id}/outcome-events"),
    ("post", "/api/participants/{participant_id}/outcome-events"),
    ("get", "/api/participants/{participant_id}/follow-ups"),
    ("post", "/api/participants/{participant_id}/follow-ups/{follow_up_id}/mark"),
    ("get", "/api/participants/{participant_id}/share-consents"),
    ("post", "/api/participants/{participant_id}/share-consents"),
    ("post", "/api/participants/{participant_id}/share-consents/{consent_id}/revoke"),
    ("post", "/api/participants/{participant_id}/portal-access/close"),
    # docs/api.md, "Matching"
    ("get", "/api/referrals/{referral_id}/matching"),
    ("post", "/api/referrals/{referral_id}/matching/decisions"),
    # docs/api.md, "Recovery plans"
    ("get", "/api/participants/{participant_id}/plan"),
    ("post", "/api/participants/{participant_id}/plan"),
    ("get", "/api/participants/{participant_id}/plan/versions/{number}"),
    ("post", "/api/participants/{participant_id}/plan/versions"),
    # docs/api.md, "Assessments"
    ("get", "/api/instruments"), ("get", "/api/instruments/{instrument_id}"),
    ("get", "/api/participants/{participant_id}/assessments"),
    ("post", "/api/participants/{participant_id}/administrations"),
    ("patch", "/api/administrations/{administration_id}"),
    ("post", "/api/administrations/{administration_id}/complete"),
    ("get", "/api/administrations/{administration_id}/fhir"),
    ("post", "/api/participants/{participant_id}/external-assessments"),
    # docs/api.md, "Appointments and drug tests"
    ("get", "/api/participants/{participant_id}/appointments"),
    ("post", "/api/participants/{participant_id}/appointments"),
    ("patch", "/api/participants/{participant_id}/appointments/{appointment_id}"),
    ("post", "/api/participants/{participant_id}/appointments/{appointment_id}/reschedule"),
    ("get", "/api/participants/{participant_id}/drug-tests"),
    ("post", "/api/participants/{participant_id}/drug-tests"),
    ("post", "/api/participants/{participant_id}/drug-tests/{test_id}/interpretation"),
    # docs/api.md, "Dockets, review hearings and progress reports"
    ("get", "/api/dockets"),
    ("post", "/api/dockets/schedule"),
    ("post", "/api/review-hearings"),
    ("patch", "/api/review-hearings/{hearing_id}"),
    ("post", "/api/review-hearings/{hearing_id}/progress-reports"),
    ("get", "/api/progress-reports/{report_id}"),
    # docs/api.md, "Responses and phase proposals"
    ("get", "/api/participants/{participant_id}/responses"),
    ("post", "/api/participants/{participant_id}/responses"),
    ("get", "/api/phase-proposals"),
    ("post", "/api/phase-proposals/{proposal_id}/decision"),
}  # fmt: skip


def test_the_document_is_served_and_lists_every_endpoint(db):
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "Turnpoint API"
    operations = {(m, p) for p, methods in document["paths"].items() for m in methods}
    assert operations == EXPECTED


def test_every_api_route_is_in_the_document(db):
    """A route added without reaching the document (and its tests) fails here."""
    routes = set()
    api_patterns = next(p for p in get_resolver().url_patterns if str(p.pattern) == "api/")
    for pattern in api_patterns.url_patterns:
        route = str(pattern.pattern)
        if route in {"openapi.json", "docs", ""}:
            continue
        routes.add("/api/" + route.replace("<int:", "{").replace("<", "{").replace(">", "}"))
    assert routes == {p for _, p in EXPECTED}


def test_every_operation_requires_the_bearer_token(db):
    document = api.get_openapi_schema()
    assert document["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
    for methods in document["paths"].values():
        for operation in methods.values():
            assert operation["security"] == [{"BearerToken": []}]


def test_write_bodies_forbid_unknown_fields_in_the_document(db):
    schemas = api.get_openapi_schema()["components"]["schemas"]
    for name in ("ParticipantCreate", "ParticipantUpdate", "ReferralCreate", "TransitionIn"):
        assert schemas[name]["additionalProperties"] is False, name


RECORD_BODIES = ("ParticipationConsentIn", "WithdrawIn", "ChildIn", "CourtOrderIn", "EndIn",
                 "ShareConsentIn", "RevokeIn", "CloseIn", "DecisionIn", "AdministrationIn",
                 "AnswersIn", "CompleteIn", "ExternalIn", "AppointmentIn", "OutcomeIn",
                 "RescheduleIn", "DrugTestIn", "ResultIn", "InterpretationIn")  # fmt: skip


def test_the_bodies_of_what_the_pages_record_forbid_unknown_fields(db):
    schemas = api.get_openapi_schema()["components"]["schemas"]
    for name in RECORD_BODIES:
        assert schemas[name]["additionalProperties"] is False, name
