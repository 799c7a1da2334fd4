"""SEC-01 deny by default, everywhere: every route and API operation has a decided outcome for
every role (authorisation_matrix.py), and each persona gets exactly that outcome."""

import re
from datetime import date, timedelta

import pytest
from django.urls import URLResolver, get_resolver
from django.utils import timezone

from turnpoint.accounts.models import Agency, Role, User
from turnpoint.api.urls import api
from turnpoint.people.identifiers import contact_add, identifier_add
from turnpoint.people.merge import participant_merge
from turnpoint.sharing.categories import Category, Purpose
from turnpoint.sharing.reach import participants_visible_to
from turnpoint.sharing.rules import TREATMENT_KINDS

from . import authorisation_matrix as matrix
from .conftest import ROLE_USERNAME
from .helpers import send_json

API_NAMESPACE = "api-1:"


def url_patterns(resolver=None, prefix="", namespace=""):
    """(route, name, callback) of every pattern in the URLconf, recursively."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from url_patterns(pattern, prefix + str(pattern.pattern), inner)
        else:
            name = namespace + pattern.name if pattern.name else None
            yield prefix + str(pattern.pattern), name, pattern.callback


def is_api_operation(route: str, callback) -> bool:
    return route.startswith("api/") and callback.__module__.startswith("ninja.operation")


def openapi_operations() -> set[tuple[str, str]]:
    paths = api.get_openapi_schema()["paths"]
    return {(method.upper(), path) for path, ops in paths.items() for method in ops}


def page_routes() -> list[tuple[str, str | None]]:
    return [
        (route, name)
        for route, name, callback in url_patterns()
        if not is_api_operation(route, callback)
        and not any(route.startswith(prefix) for prefix in matrix.EXCLUDED)
    ]


def test_sec_01_every_route_has_a_rule_for_every_role():
    missing = [
        f"{route} (name {name!r})" for route, name in page_routes() if name not in matrix.PAGES
    ]
    assert not missing, f"routes with no row in authorisation_matrix.PAGES: {missing}"
    stale = set(matrix.PAGES) - {name for _, name in page_routes()}
    assert not stale, f"matrix rows for routes that no longer exist: {sorted(stale)}"
    for name, outcomes in matrix.PAGES.items():
        assert set(outcomes) == set(matrix.PERSONA_KEYS), f"{name}: not every role decided"


def test_sec_01_every_api_operation_has_a_rule_for_every_role():
    operations = openapi_operations()
    missing = sorted(operations - set(matrix.OPERATIONS))
    assert not missing, f"API operations with no row in authorisation_matrix.OPERATIONS: {missing}"
    stale = sorted(set(matrix.OPERATIONS) - operations)
    assert not stale, f"matrix rows for operations that no longer exist: {stale}"
    for key, outcomes in matrix.OPERATIONS.items():
        assert set(outcomes) == set(matrix.PERSONA_KEYS), f"{key}: not every role decided"


# Pages anyone may open: signing in, and the API's own description (it holds no data).
PUBLIC = {
    "login",
    "logout",
    "api-1:openapi-json",
    "api-1:openapi-view",
    "api-1:api-root",
    "portal:set_up",
}


def test_sec_01_anonymous_visitors_are_sent_to_sign_in_or_refused_with_401():
    """The matrix itself may not open a route to the anonymous visitor by mistake."""
    for name, outcomes in matrix.PAGES.items():
        if name not in PUBLIC:
            assert outcomes["anonymous"] == matrix.SIGN_IN, name
    for operation, outcomes in matrix.OPERATIONS.items():
        assert outcomes["anonymous"] == matrix.UNAUTHENTICATED, operation


def test_sec_01_every_api_route_in_the_urlconf_is_in_the_openapi_document():
    """An operation hidden from the schema (include_in_schema=False) would escape the matrix."""
    documented = {re.sub(r"\{(\w+)\}", r"<\1>", path) for _, path in openapi_operations()}
    routes = {
        "/" + route for route, _, callback in url_patterns() if is_api_operation(route, callback)
    }
    assert routes <= documented, sorted(routes - documented)


def outcome(response, *, api: bool) -> str:
    status = response.status_code
    if status in (301, 302):
        location = response.headers["Location"]
        if location.startswith("/security-code/"):
            return matrix.SECURITY_CODE
        return matrix.SIGN_IN if location.startswith("/sign-in/") else f"redirect {location}"
    if 200 <= status < 300:
        return matrix.OK
    return str(status)


def fill(route: str, ids: dict) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), route)


def page_ids(name: str, objects: dict) -> dict:
    """Which object each `<pk>`/`<consent_pk>` of a route stands for, by the route's name."""
    first = {
        "web:participation_consent_new": "referral",
        "web:referral_transition": "referral",
        "web:break_glass_review": "break_glass",
        "web:statutory_report": "statutory_referral",
        "web:step_correct": "referral",
        "web:step_withdraw": "referral",
        "web:offence_edit": "referral",
        "web:participant_unmerge": "other_participant",
        "web:matching": "referral",
        "web:follow_up_mark": "follow_up",
        "web:review_hearing": "hearing",
        "web:progress_report_new": "hearing",
        "web:progress_report": "progress_report",
    }.get(name, "participant")
    # The portal's consents are the participant's consents to share.
    consent = (
        "share_consent"
        if "share" in name or name.startswith("portal:")
        else "participation_consent"
    )
    return {
        "pk": objects[first],
        "consent_pk": objects[consent],
        "order_pk": objects["court_order"],
        "custody_pk": objects["custody"],
        "item": "first_appointment",
        "fmt": "json",
        "code": objects["statutory_report"],
        "step_pk": objects["step"],
        "other": objects["other_participant"],
        "merge_pk": objects["merge"],
        "kind": "contact",
        "detail_pk": objects["contact_detail"],
        "number": 1,
        "administration_pk": objects[
            "self_administration" if name.startswith("portal:") else "administration"
        ],
        "appointment_pk": objects["appointment"],
        "test_pk": objects["drug_test"],
        "proposal_pk": objects["proposal"],
        "slug": "ghent-dtc",
    }


@pytest.mark.parametrize("name", sorted(matrix.PAGES))
def test_sec_01_each_role_gets_the_matrix_outcome_on_each_page(
    objects, page_as, name, world, coordinator
):
    routes = {n: r for r, n in page_routes()}
    if name.startswith("web:plan_"):
        make_plan(world["referral"], coordinator)  # the participant has a plan to show
    url = fill(routes[name], page_ids(name, objects))
    got = {key: outcome(page_as(key).get(url), api=False) for key in matrix.PERSONA_KEYS}
    assert got == matrix.PAGES[name], url


def participation_consent(today: date) -> dict:
    """The consent to take part of conftest.start_episode, signed today."""
    return {
        "alternatives_explained": "A short custodial sentence, or a fine with no treatment.",
        "coercion": "legal_pressure",
        "agreed_max_weeks": 30,
        "custodial_weeks_replaced": 36,
        "non_completion_explained": "The case goes back to the court, which decides.",
        "right_to_withdraw_explained": True,
        "signed_by": "Fresh Person",
        "signed_on": today,
    }


def court_agency_id() -> int:
    """The judge's agency: the one the bodies' consents and orders open to."""
    return User.objects.get(username=ROLE_USERNAME[Role.JUDGE]).agency_id


def shared_category(user) -> str:
    """A category `user`'s agency holds, so may record a consent to share (SEC-39)."""
    treatment = user is not None and user.agency_id and user.agency.kind in TREATMENT_KINDS
    return (Category.MENTAL_HEALTH if treatment else Category.ATTENDANCE).value


def custody_body(method, path, referral, coordinator, base):
    """Custody and release: the fresh participant's custody episode, started by the
    coordinator (and its release plan, for a task), for the operation to act on."""
    from turnpoint.supervision.custody import custody_record, release_plan_start

    today = date.today()
    facts = {"kind": "remand", "establishment": "HMP Leeds",
             "started_on": today - timedelta(days=10),
             "expected_release_on": today + timedelta(days=20)}  # fmt: skip
    if (method, path) == ("POST", "/api/participants/{participant_id}/custody-episodes"):
        return f"{base}/custody-episodes", {k: str(v) for k, v in facts.items()}
    custody = custody_record(acting_user=coordinator, participant=referral.participant,
                             referral=referral, **facts)  # fmt: skip
    url = f"{base}/custody-episodes/{custody.pk}"
    if path.endswith("/release"):
        return f"{url}/release", {"released_on": today.isoformat(), "expected_version": 1}
    if path.endswith("/release-plan"):
        return f"{url}/release-plan", {}
    release_plan_start(custody, acting_user=coordinator)
    appointment = (facts["expected_release_on"] + timedelta(days=1)).isoformat()
    body = {"status": "done", "appointment_on": appointment, "expected_version": 1,
            "note": "With the key worker at the community hub."}  # fmt: skip
    return f"{url}/release-plan/items/first_appointment", body


def write_body(method, path, world, make_referral, coordinator, user=None):
    """A fresh, valid request for a write operation, by `user` (None: not signed in): (path,
    body). Each call makes its own referral, participant and consent or order to act on, so an
    outcome does not depend on which persona went first."""
    today = date.today()
    facts = {
        "programme": "ghent-dtc",
        "source": "police",
        "offence_category": "acquisitive",
        "drug_related_type": "economic_compulsive",
        "offence_date": (today - timedelta(days=90)).isoformat(),
        "referral_date": (today - timedelta(days=60)).isoformat(),
    }
    if (method, path) == ("POST", "/api/participants"):
        body = {
            "given_name": "Jo",
            "family_name": "Sample",
            "date_of_birth": "1988-02-03",
            "referral": facts,
            # Each persona adds the same person: said to be someone else, or the second is 409.
            "different_person": True,
        }
        return path, body
    if (method, path) == ("POST", "/api/referrals"):
        return path, {**facts, "participant_id": world["participant"].pk}
    if (method, path) == ("PUT", "/api/episodes/{episode_id}/assignment"):
        url = f"/api/episodes/{world['episode'].pk}/assignment"
        return url, {"key_worker": "clinician", "case_manager": None}
    referral = make_referral(given_name="Fresh", family_name="Person")
    if (method, path) == ("PATCH", "/api/participants/{participant_id}"):
        participant = referral.participant
        body = {"preferred_name": "Fi", "version": participant.version}
        return f"/api/participants/{participant.pk}", body
    if (method, path) == ("PATCH", "/api/referrals/{referral_id}"):
        body = {"offence_category": "fraud", "version": referral.version}
        return f"/api/referrals/{referral.pk}", body
    if (method, path) == ("POST", "/api/participants/{participant_id}/identifiers"):
        body = {"kind": "court_case", "value": "T20240001"}
        return f"/api/participants/{referral.participant_id}/identifiers", body
    if (method, path) == ("POST", "/api/participants/{participant_id}/contact-details"):
        body = {"kind": "phone", "value": "0123 456789"}
        return f"/api/participants/{referral.participant_id}/contact-details", body
    if path.endswith("/identifiers/{identifier_id}/withdraw"):
        row = identifier_add(acting_user=coordinator, participant=referral.participant,
                             kind="court_case", value="T20240001")  # fmt: skip
        url = f"/api/participants/{referral.participant_id}/identifiers/{row.pk}/withdraw"
        return url, {"reason": "Mistyped"}
    if path.endswith("/contact-details/{contact_id}/withdraw"):
        row = contact_add(acting_user=coordinator, participant=referral.participant,
                          kind="phone", value="0123 456789")  # fmt: skip
        url = f"/api/participants/{referral.participant_id}/contact-details/{row.pk}/withdraw"
        return url, {"reason": "An old number"}
    if (method, path) == ("POST", "/api/participants/{participant_id}/merge"):
        twice = make_referral(given_name="Fresh", family_name="Person").participant
        return f"/api/participants/{referral.participant_id}/merge", {"duplicate": twice.pk}
    if (method, path) == ("POST", "/api/participants/{participant_id}/unmerge"):
        twice = make_referral(given_name="Fresh", family_name="Person").participant
        merge = participant_merge(acting_user=coordinator, kept=referral.participant,
                                  duplicate=twice,
                                  reached=participants_visible_to(coordinator))  # fmt: skip
        return f"/api/participants/{referral.participant_id}/unmerge", {"merge": merge.pk}
    if (method, path) == ("POST", "/api/referrals/{referral_id}/transitions"):
        return f"/api/referrals/{referral.pk}/transitions", {"to_state": "screening"}
    if path.startswith("/api/referrals/{referral_id}/transitions/{transition_id}/"):
        from turnpoint.journeys.services import referral_transition

        step = referral_transition(referral, acting_user=coordinator, to_state="screening")
        what = path.rsplit("/", 1)[1]
        body = {"reason": "Recorded in error"}
        if what == "correction":
            body["step_reason"] = "Seen at the station"
        return f"/api/referrals/{referral.pk}/transitions/{step.pk}/{what}", body
    if (method, path) == ("POST", "/api/referrals/{referral_id}/matching/decisions"):
        from matching_helpers import assess

        assess(referral, coordinator, needs=["housing"])
        body = {"rule_id": "housing-need", "decision": "accepted"}
        return f"/api/referrals/{referral.pk}/matching/decisions", body
    consents = f"/api/referrals/{referral.pk}/participation-consents"
    if (method, path) == ("POST", "/api/referrals/{referral_id}/participation-consents"):
        return consents, {**participation_consent(today), "signed_on": today.isoformat()}
    if path.endswith("/participation-consents/{consent_id}/withdraw"):
        from turnpoint.sharing.participation import participation_consent_record

        consent = participation_consent_record(
            acting_user=coordinator, referral=referral, **participation_consent(today)
        )
        return f"{consents}/{consent.pk}/withdraw", {"how": "Told their key worker."}
    participant = referral.participant
    base = f"/api/participants/{participant.pk}"
    if "/custody-episodes" in path:
        return custody_body(method, path, referral, coordinator, base)
    if (method, path) == ("POST", "/api/participants/{participant_id}/share-consents"):
        # Only the agency that holds a category records a consent to share it (SEC-39): the
        # treatment provider shares mental health, the programme team attendance.
        return f"{base}/share-consents", {
            "recipient_agency": court_agency_id(),
            "recipient_role": Role.JUDGE.value,
            "categories": [shared_category(user)],
            "purposes": [Purpose.COURT_REVIEW.value],
            "expires_at": (today + timedelta(days=90)).isoformat(),
            "revocation_statement": "You can withdraw this consent at any time.",
            "revocation_method": "Tell your key worker.",
            "signature_method": "written",
            "signed_by": "Fresh Person",
            "signed_on": today.isoformat(),
        }
    if path.endswith("/share-consents/{consent_id}/revoke"):
        from turnpoint.sharing.consents import share_consent_create

        consent = share_consent_create(
            acting_user=coordinator,
            participant=participant,
            recipient_agency=Agency.objects.get(pk=court_agency_id()),
            recipient_role=Role.JUDGE,
            categories=[Category.ATTENDANCE],
            purposes=[Purpose.COURT_REVIEW],
            starts_at=timezone.now() - timedelta(minutes=1),
            expires_at=timezone.now() + timedelta(days=90),
            revocation_statement="You can withdraw this consent at any time.",
            revocation_method="Tell your key worker.",
            signature_method="written",
            signed_by="Fresh Person",
            signed_on=today,
        )
        return f"{base}/share-consents/{consent.pk}/revoke", {"how": "Told their key worker."}
    order = {
        "kind": "order",
        "court": "Ghent court of first instance",
        "reference": "ORD-2026-2",
        "made_on": today.isoformat(),
        "categories": [Category.ATTENDANCE.value],
        "covers_from": (today - timedelta(days=90)).isoformat(),
        "covers_to": today.isoformat(),
        "recipient_role": Role.JUDGE.value,
        "purposes": [Purpose.COURT_REVIEW.value],
        "expires_at": (today + timedelta(days=30)).isoformat(),
    }
    if (method, path) == ("POST", "/api/participants/{participant_id}/court-orders"):
        return f"{base}/court-orders", order
    if path.endswith("/court-orders/{order_id}/end"):
        from turnpoint.sharing.court_orders import court_order_record

        recorded = court_order_record(
            acting_user=coordinator,
            participant=participant,
            **{**order, "made_on": today, "covers_from": today - timedelta(days=90),
               "covers_to": today, "expires_at": timezone.now() + timedelta(days=30)},
        )  # fmt: skip
        return f"{base}/court-orders/{recorded.pk}/end", {"reason": "Discharged on appeal."}
    if (method, path) == ("POST", "/api/participants/{participant_id}/household"):
        child = {"first_name": "Mia", "year_of_birth": today.year - 6, "relationship": "daughter"}
        return f"{base}/household", child
    if (method, path) == ("POST", "/api/participants/{participant_id}/portal-access/close"):
        from turnpoint.portal.services import portal_setup_code_issue

        portal_setup_code_issue(acting_user=coordinator, participant=participant)
        return f"{base}/portal-access/close", {}
    if path.startswith("/api/participants/{participant_id}/plan"):
        plan = {
            "agreed_on": today.isoformat(),
            "review_on": (today + timedelta(days=90)).isoformat(),
            "agreed_with_participant": True,
            "goals": [{"domain": "housing", "in_their_words": "Somewhere of my own"}],
        }
        if path.endswith("/plan"):
            return f"{base}/plan", plan
        made = make_plan(referral, coordinator)
        return f"{base}/plan/versions", {
            **plan,
            "staff_note": "Reviewed with the participant.",
            "expected_version": made.version,
        }
    if (method, path) == ("POST", "/api/participants/{participant_id}/administrations"):
        return f"{base}/administrations", {"instrument_id": "barc-10", "setting": "intake",
                                           "administered_on": today.isoformat()}  # fmt: skip
    if (method, path) == ("POST", "/api/participants/{participant_id}/external-assessments"):
        return f"{base}/external-assessments", {"tool": "LS/CMI", "level": "medium",
                                                "assessed_on": today.isoformat()}  # fmt: skip
    if path.startswith("/api/administrations/{administration_id}"):
        from turnpoint.assessments.services import administration_start

        given = administration_start(acting_user=coordinator, participant=participant,
                                     instrument_id="barc-10", setting="intake",
                                     administered_on=today)  # fmt: skip
        if method == "PATCH":
            return f"/api/administrations/{given.pk}", {"answers": {"barc_1": 3}, "version": 1}
        answers = {f"barc_{n}": 3 for n in range(1, 11)}
        return f"/api/administrations/{given.pk}/complete", {"answers": answers, "version": 1}
    if "/appointments" in path or "/drug-tests" in path:
        return supervision_body(method, path, referral, coordinator)
    if (method, path) == ("POST", "/api/participants/{participant_id}/outcome-events"):
        return f"{base}/outcome-events", {"kind": "housing", "status": "temporary",
                                          "effective_on": today.isoformat()}  # fmt: skip
    if path.endswith("/follow-ups/{follow_up_id}/mark"):
        from outcome_helpers import left_programme

        from turnpoint.outcomes.models import FollowUp

        left = make_referral(given_name="Jordan", family_name="Reyes",
                             offence_date=today - timedelta(days=160),
                             referral_date=today - timedelta(days=150))  # fmt: skip
        left_programme(left, coordinator)
        due = FollowUp.objects.get(referral=left, months=3)
        url = f"/api/participants/{left.participant_id}/follow-ups/{due.pk}/mark"
        return url, {"status": "missed", "reason": "Could not be reached."}
    if "/dockets" in path or "/review-hearings" in path:
        return review_body(method, path, world, coordinator)
    if path.endswith("/responses") or path.startswith("/api/phase-proposals"):
        return responses_body(method, path, referral, coordinator)
    raise AssertionError(f"no valid body known for {method} {path}: add one here")


def supervision_body(method, path, referral, coordinator):
    """Appointments and drug tests of the fresh referral: an appointment booked yesterday (or,
    to reschedule, tomorrow) and a forensic test, recorded by the coordinator."""
    from turnpoint.supervision.services import appointment_book, drug_test_record

    base = f"/api/participants/{referral.participant_id}"
    now = timezone.now()
    if (method, path) == ("POST", "/api/participants/{participant_id}/appointments"):
        return f"{base}/appointments", {
            "referral_id": referral.pk,
            "kind": "supervision_meeting",
            "starts_at": (now + timedelta(days=2)).isoformat(),
            "with_name": "A worker at the day centre",
        }
    if path.startswith("/api/participants/{participant_id}/appointments/"):
        later = path.endswith("/reschedule")
        booked = appointment_book(
            acting_user=coordinator,
            referral=referral,
            kind="treatment_session",
            starts_at=now + timedelta(days=1 if later else -1),
        )
        url = f"{base}/appointments/{booked.pk}"
        if later:
            return f"{url}/reschedule", {"starts_at": (now + timedelta(days=3)).isoformat(),
                                         "version": booked.version}  # fmt: skip
        return url, {"outcome": "attended", "version": booked.version}
    if (method, path) == ("POST", "/api/participants/{participant_id}/drug-tests"):
        return f"{base}/drug-tests", {
            "referral_id": referral.pk,
            "collected_at": (now - timedelta(hours=3)).isoformat(),
            "specimen": "oral_fluid",
            "purpose": "forensic",
            "results_received_at": (now - timedelta(hours=1)).isoformat(),
            "results": [{"substance": "cocaine", "result": "negative"}],
        }
    if path.endswith("/drug-tests/{test_id}/interpretation"):
        test = drug_test_record(
            acting_user=coordinator,
            referral=referral,
            collected_at=now - timedelta(hours=3),
            specimen="urine",
            purpose="forensic",
        )
        return f"{base}/drug-tests/{test.pk}/interpretation", {
            "interpretation": "Read alongside steady attendance.",
            "version": test.version,
        }


def review_objects(world, coordinator, judge=None):
    """A review hearing today for the world's participant before the Ghent judge, and a
    progress report for it."""
    from turnpoint.sharing.progress_reports import progress_report_generate
    from turnpoint.supervision.reviews import review_hearing_request

    judge = judge or User.objects.get(username="judge")
    hearing = review_hearing_request(
        acting_user=coordinator,
        referral=world["referral"],
        judge=judge,
        held_on=date.today(),
        place="Court 1",
    )
    return hearing, progress_report_generate(acting_user=coordinator, hearing=hearing)


def review_body(method, path, world, coordinator):
    """Dockets and review hearings of the world's participant before the Ghent judge."""
    today = date.today().isoformat()
    if path == "/api/dockets/schedule":
        return path, {"held_on": today, "judge": "judge", "place": "Court 1"}
    if path == "/api/review-hearings":
        return path, {"referral_id": world["referral"].pk, "held_on": today, "judge": "judge",
                      "place": "Court 1"}  # fmt: skip
    hearing, _ = review_objects(world, coordinator)
    hearing.refresh_from_db()
    if method == "PATCH":
        return f"/api/review-hearings/{hearing.pk}", {
            "status": "held", "minutes_with_judge": "3.5", "outcome": "continue",
            "decision": "Keep going.", "version": hearing.version,
        }  # fmt: skip
    return f"/api/review-hearings/{hearing.pk}/progress-reports", {}


def responses_body(method, path, referral, coordinator):
    """A response to the fresh participant's attendance (on a running episode), or a decision
    on a phase proposal made for them."""
    from supervision_helpers import on_episode

    from turnpoint.supervision.models import PhaseProposal
    from turnpoint.supervision.response_services import response_options

    referral = on_episode(referral, coordinator)
    episode = referral.episode
    if (method, path) == ("POST", "/api/participants/{participant_id}/responses"):
        option = response_options(referral, "attended_all_sessions", date.today()).options[0]
        return f"/api/participants/{referral.participant_id}/responses", {
            "referral_id": referral.pk,
            "behaviour": "attended_all_sessions",
            "behaviour_on": date.today().isoformat(),
            "option": option.text,
        }
    proposal = PhaseProposal.objects.create(
        episode=episode, referral=referral, participant=referral.participant, phase_number=1,
        to_phase_number=2, proposed_on=date.today(), criteria=[],
    )  # fmt: skip
    return f"/api/phase-proposals/{proposal.pk}/decision", {
        "decision": "decline",
        "reason": "Agreed with the participant to wait for the review.",
        "version": 1,
    }


def make_plan(referral, user):
    """A first version of a recovery plan for `referral`."""
    from turnpoint.plans.services import GoalIn, plan_create

    return plan_create(
        acting_user=user, referral=referral, agreed_on=date.today(),
        review_on=date.today() + timedelta(days=90), agreed_with_participant=True,
        goals=[GoalIn("housing", "Somewhere of my own")],
    )  # fmt: skip


def objects_administration(world, coordinator) -> int:
    """BARC-10 in progress for the world's participant (strengths): the administration the
    GET operations read."""
    from turnpoint.assessments.services import administration_start

    given = administration_start(acting_user=coordinator, participant=world["participant"],
                                 instrument_id="barc-10", setting="intake",
                                 administered_on=date.today())  # fmt: skip
    return given.pk


@pytest.mark.parametrize("operation", sorted(matrix.OPERATIONS))
def test_sec_01_each_role_gets_the_matrix_outcome_on_each_api_operation(
    world, api_as, persona, make_referral, coordinator, operation
):
    method, path = operation
    ids = {
        "participant_id": world["participant"].pk,
        "referral_id": world["referral"].pk,
        "episode_id": world["episode"].pk,
        "custody_id": world["custody"].pk,
        "slug": "ghent-dtc",
        "number": 1,
        "instrument_id": "barc-10",
        "administration_id": objects_administration(world, coordinator),
        "proposal_id": 0,
    }
    if "/plan" in path and method == "GET":
        make_plan(world["referral"], coordinator)  # the world's participant has a plan to read
    if "/progress-reports/" in path:
        ids["report_id"] = review_objects(world, coordinator, persona("judge"))[1].pk
    got, bodies = {}, {}
    for key in matrix.PERSONA_KEYS:
        client = api_as(key)
        if method == "GET":
            response = client.get(re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path))
        else:
            url, body = write_body(method, path, world, make_referral, coordinator, persona(key))
            response = send_json(client, method, url, body)
        got[key] = outcome(response, api=True)
        bodies[key] = response.content[:200]
    assert got == matrix.OPERATIONS[operation], bodies
