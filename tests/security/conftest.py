"""Security-suite fixtures: one small world with a participant on every pathway object, and a
signed-in client (page or API) for every role, the anonymous visitor and the outsider."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from turnpoint.accounts.models import Role
from turnpoint.accounts.personas import PERSONAS
from turnpoint.journeys.services import referral_transition
from turnpoint.people.identifiers import contact_add
from turnpoint.people.merge import participant_merge
from turnpoint.sharing.categories import Category, Purpose
from turnpoint.sharing.consents import share_consent_create
from turnpoint.sharing.court_orders import court_order_record
from turnpoint.sharing.participation import participation_consent_record
from turnpoint.sharing.progress_reports import progress_report_generate
from turnpoint.sharing.reach import participants_visible_to
from turnpoint.sharing.safeguarding import break_glass_open
from turnpoint.supervision.reviews import review_hearing_request
from turnpoint.supervision.services import appointment_book, drug_test_record

from .helpers import As

# Every role of turnpoint.accounts.models.Role (the participant's is their portal account), plus
# the two personas with no role of their own.
ROLE_USERNAME = {p.role: p.username for p in PERSONAS}
PERSONA_KEYS = (*(r.value for r in Role), "anonymous", "outsider")
TO_EPISODE = (
    {"to_state": "screening"},
    {"to_state": "eligibility"},
    {"to_state": "assessment"},
    {"to_state": "recommendation"},
    {"to_state": "decision", "recommended_disposal": "programme"},
    {"to_state": "episode", "imposed_disposal": "programme"},
)


def start_episode(referral, user):
    """Walk a referral to the start of an episode, recording participation consent on the way."""
    for step in TO_EPISODE:
        if step["to_state"] == "episode":
            participation_consent_record(
                acting_user=user,
                referral=referral,
                alternatives_explained="A short custodial sentence, or a fine with no treatment.",
                coercion="legal_pressure",
                agreed_max_weeks=30,
                custodial_weeks_replaced=36,
                non_completion_explained="The case goes back to the court, which decides.",
                right_to_withdraw_explained=True,
                signed_by="Robin Example",
                signed_on=date.today(),
            )
        referral_transition(referral, acting_user=user, **step)
        referral.refresh_from_db()
    return referral.episode


@pytest.fixture
def portal_user(world, coordinator):
    """Robin's own portal account (role participant), opened by the coordinator."""
    from turnpoint.portal.services import portal_setup_code_issue

    account, _ = portal_setup_code_issue(acting_user=coordinator, participant=world["participant"])
    return account.user


@pytest.fixture
def persona(users, outsider, request):
    """`persona("judge")` (a Role value or a persona username) is that user; anonymous is None;
    "participant" is the world's participant signed in to the portal."""

    def get(key):
        if key == "anonymous":
            return None
        if key == "outsider":
            return outsider
        if key == Role.PARTICIPANT:
            return request.getfixturevalue("portal_user")
        return users[ROLE_USERNAME.get(key, key)]

    return get


@pytest.fixture
def world(make_referral, coordinator, programme, outsider, other_programme):
    """Robin on the Ghent team's caseload with a running episode, and Kim on the outsider's."""
    from turnpoint.journeys.services import referral_create
    from turnpoint.people.services import participant_create

    referral = make_referral(
        given_name="Robinette",
        family_name="Quarrington",
        offence_summary="Took a bicycle from outside the station.",
    )
    episode = start_episode(referral, coordinator)
    referral.refresh_from_db()
    kim = participant_create(
        acting_user=outsider,
        given_name="Kimberley",
        family_name="Outerfield",
        date_of_birth=date(1985, 3, 9),
    )
    theirs = referral_create(
        acting_user=outsider,
        participant=kim,
        programme=other_programme,
        source="police",
        offence_category="acquisitive",
        drug_related_type="economic_compulsive",
        offence_date=date.today().replace(day=1),
        referral_date=date.today(),
    )
    # In custody, release expected in 3 weeks, the release plan started.
    from turnpoint.supervision.custody import custody_record, release_plan_start

    custody = custody_record(
        acting_user=coordinator,
        participant=referral.participant,
        referral=referral,
        kind="remand",
        establishment="HMP Leeds",
        started_on=date.today() - timedelta(days=20),
        expected_release_on=date.today() + timedelta(days=21),
    )
    release_plan_start(custody, acting_user=coordinator)
    return {
        "participant": referral.participant,
        "referral": referral,
        "episode": episode,
        "custody": custody,
        "their_participant": kim,
        "their_referral": theirs,
        "programme": programme,
    }


@pytest.fixture
def as_(db):
    return As()


@pytest.fixture
def page_as(persona, as_):
    """`page_as("judge")` is the test client signed in to the pages as that persona."""
    return lambda key: as_.page(persona(key))


@pytest.fixture
def api_as(persona, as_):
    """`api_as("judge")` is the test client carrying that persona's API token."""
    return lambda key: as_.api(persona(key))


@pytest.fixture
def objects(world, users, programmes, make_referral):
    """The ids each page route needs: the world's, plus a share consent, a break-glass and a
    running DRR episode (whose programme declares a statutory report) on every persona's team."""
    participant = world["participant"]
    drr = programmes["england-drr"]
    for user in users.values():
        user.programmes.add(drr)
    on_order = make_referral(given_name="Dara", family_name="Whitfield", programme=drr)
    start_episode(on_order, users["coordinator"])
    share = share_consent_create(
        acting_user=users["clinician"],
        participant=participant,
        disclosing_agency=users["clinician"].agency,
        recipient_role=Role.JUDGE,
        recipient_agency=users["judge"].agency,
        categories=[Category.MENTAL_HEALTH],
        purposes=[Purpose.COURT_REVIEW],
        starts_at=timezone.now() - timedelta(minutes=1),
        expires_at=timezone.now() + timedelta(days=90),
        revocation_statement="You can withdraw this consent at any time.",
        revocation_method="Tell your key worker.",
        signature_method="written",
        signed_by="Robinette Quarrington",
        signed_on=date.today(),
    )
    glass = break_glass_open(
        acting_user=users["safeguarding"],
        participant=participant,
        reason_code="child_at_risk",
        justification="The key worker heard the youngest child is left alone at night.",
    )
    order = court_order_record(
        acting_user=users["coordinator"],
        participant=participant,
        kind="order",
        court="Ghent court of first instance",
        reference="ORD-2026-1",
        made_on=date.today(),
        categories=[Category.CLINICAL],
        covers_from=date.today() - timedelta(days=365),
        covers_to=date.today(),
        recipient_role=Role.JUDGE,
        purposes=[Purpose.COURT_REVIEW],
        expires_at=timezone.now() + timedelta(days=30),
    )
    participation = world["referral"].participation_consents.get()
    # Dara recorded twice, merged by the coordinator: the merge the unmerge page offers to undo.
    twice = make_referral(given_name="Dara", family_name="Whitfield").participant
    merge = participant_merge(acting_user=users["coordinator"], kept=on_order.participant,
                              duplicate=twice,
                              reached=participants_visible_to(users["coordinator"]))  # fmt: skip
    # A phone number of the participant: the one the withdraw page offers to withdraw.
    phone = contact_add(acting_user=users["coordinator"], participant=participant, kind="phone",
                        value="0123 456789")  # fmt: skip
    # BARC-10 in progress (strengths): the administration the assessment pages open.
    from turnpoint.assessments.services import administration_start

    administration = administration_start(
        acting_user=users["coordinator"], participant=participant, referral=world["referral"],
        instrument_id="barc-10", setting="intake", administered_on=date.today(),
    )  # fmt: skip
    # BARC-10 for the participant to answer in the portal (mode "self").
    for_them = administration_start(
        acting_user=users["coordinator"], participant=participant, referral=world["referral"],
        instrument_id="barc-10", setting="review", administered_on=date.today(), mode="self",
    )  # fmt: skip
    # An appointment kept yesterday and a forensic test, for the supervision pages.
    appointment = appointment_book(
        acting_user=users["coordinator"],
        referral=world["referral"],
        kind="supervision_meeting",
        starts_at=timezone.now() - timedelta(days=1),
        with_user=users["coordinator"],
    )
    test = drug_test_record(
        acting_user=users["coordinator"],
        referral=world["referral"],
        collected_at=timezone.now() - timedelta(hours=30),
        specimen="urine",
        purpose="forensic",
        results_received_at=timezone.now() - timedelta(hours=2),
        results=[{"substance": "opiates", "result": "positive"}],
    )
    # Jordan left the programme 100 days ago: the follow-up the mark page answers.
    from outcome_helpers import left_programme

    from turnpoint.outcomes.models import FollowUp

    jordan = make_referral(given_name="Jordan", family_name="Reyes",
                           offence_date=date.today() - timedelta(days=160),
                           referral_date=date.today() - timedelta(days=150))  # fmt: skip
    left_programme(jordan, users["coordinator"])
    # A review hearing today before the Ghent judge, with its progress report.
    hearing = review_hearing_request(
        acting_user=users["coordinator"], referral=world["referral"], judge=users["judge"],
        held_on=date.today(), place="Court 1",
    )  # fmt: skip
    report = progress_report_generate(acting_user=users["coordinator"], hearing=hearing)
    # A phase proposal open for the team (the daily evaluation's, made here directly).
    from turnpoint.supervision.models import PhaseProposal

    proposal = PhaseProposal.objects.create(
        episode=world["referral"].episode, referral=world["referral"], participant=participant,
        phase_number=1, to_phase_number=2, proposed_on=date.today(),
        criteria=[{"criterion": "days_in_phase", "met": True, "category": "pathway",
                   "text": "44 days in the phase of the 42 needed"}],
    )  # fmt: skip
    return {
        "follow_up": FollowUp.objects.get(referral=jordan, months=3).pk,
        "hearing": hearing.pk,
        "progress_report": report.pk,
        "proposal": proposal.pk,
        "administration": administration.pk,
        "self_administration": for_them.pk,
        "appointment": appointment.pk,
        "drug_test": test.pk,
        "contact_detail": phone.pk,
        "other_participant": on_order.participant.pk,
        "merge": merge.pk,
        "court_order": order.pk,
        "custody": world["custody"].pk,
        "participant": participant.pk,
        "referral": world["referral"].pk,
        "participation_consent": participation.pk,
        "share_consent": share.pk,
        "break_glass": glass.pk,
        "statutory_referral": on_order.pk,
        "statutory_report": "drr-review-report",
        # The latest step of the world's referral, recorded by the coordinator.
        "step": world["referral"].transitions.order_by("-id").first().pk,
    }
