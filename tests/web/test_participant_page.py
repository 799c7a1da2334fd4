"""The participant page: identity, each referral and the journey as a timeline, showing only the
categories the reader's role may see (R18) and auditing reads of legal information."""

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from turnpoint.accounts.models import Role
from turnpoint.journeys.services import referral_create
from turnpoint.people.models import Participant
from turnpoint.sharing.categories import TREATMENT, Category, Purpose
from turnpoint.sharing.consents import share_consent_create
from turnpoint.sharing.models import AuditEntry, Disclosure

from .helpers import text, walk

SUMMARY = "Took bread from a shop, twice"
# Session, user; the page's selector in its own transaction (a savepoint pair): the ids of the
# user's team programmes, the participant in reach of them, their consents and court orders (the
# openings), the team's ids again and the referrals with programme and episode, their
# transitions, the transitions' acting users, the phases; the record (a savepoint pair around the
# newest audit hash and the entry's insert); the consents to take part of the referrals shown;
# the earlier values of edited fields (a savepoint pair around one read of the participant's and
# one of all the referrals'); the session save (with its savepoint pair): 25 whatever the number
# of referrals and steps. On PostgreSQL the audit append first takes the chain's advisory lock, so
# one more. Then the participant's identifiers and contact details, one query each; then the
# profile's assessments (reads.assessments_read, reusing the page's openings and referrals): a
# savepoint pair around one read of the administrations and one of the external assessments;
# the appointments of the last 90 days (the attendance section); and the custody episodes
# with their release plans (docs/supervision.md), in a savepoint pair; the responses and the
# open phase proposals (the responses section).
PARTICIPANT_QUERIES = 37 + (connection.vendor == "postgresql")
# A coordinator's page also lists the merges into the record, which a coordinator may undo.
MERGES_QUERY = 1
# A user who may read the recovery plan (the coordinator) looks for one: one query. One who may
# not (a court role without consent) costs none: the rules decide with what the page read.
PLAN_QUERY = 1
# The "Outcomes" section: the participant's outcome events of the categories the role reads
# (legal facts and outcomes) and the follow-ups of their referrals (outcomes): one query each,
# for a role that reads those categories; a court role reads legal facts only, so one.
OUTCOMES_QUERIES = 2
COURT_OUTCOMES_QUERY = 1
# Everything a coordinator's page reads.
COORDINATOR_QUERIES = PARTICIPANT_QUERIES + MERGES_QUERY + OUTCOMES_QUERIES + PLAN_QUERY
# What a read across agencies adds: the act and its backlog row, inserted in the record's
# transaction (sharing/record.py). The participant's court orders, which may open the household
# link to a court role, are among the openings every page reads.
CROSSING_QUERIES = 2


@pytest.fixture
def referral(make_referral, coordinator):
    referral = make_referral(given_name="Robin", family_name="Example", offence_summary=SUMMARY)
    walk(referral, coordinator, "episode")
    return referral


def url(referral_or_participant) -> str:
    pk = getattr(referral_or_participant, "participant_id", referral_or_participant.pk)
    return f"/participants/{pk}/"


def test_coordinator_sees_the_journey_as_a_timeline(page_as, referral, programme):
    response = page_as("coordinator").get(url(referral))
    html = text(response)
    assert response.status_code == 200
    assert 'class="moj-identity-bar"' in html
    assert referral.participant.reference in html
    timeline = html.split(f'id="referral-{referral.pk}-timeline"')[1]
    titles = re.findall(r'<h4 class="moj-timeline__title">([^<]+)</h4>', timeline)
    assert titles == [
        "Started on the programme",
        "Moved to decision",
        "Moved to recommendation",
        "Moved to assessment",
        "Moved to eligibility",
        "Moved to screening",
        "Referral received",
    ]
    assert "by Cara Okafor" in timeline
    assert "Recommended: This programme" in timeline and "Imposed: This programme" in timeline
    assert programme.name in html
    assert ">On programme</strong>" in html
    assert SUMMARY in html


def test_timeliness_comes_from_the_transitions(page_as, referral):
    html = text(page_as("coordinator").get(url(referral)))
    # make_referral: offence 60 days ago, referral 30 days ago; walk: one step a day.
    assert re.search(r"Offence to referral</dt><dd[^>]*>30 days", html)
    assert re.search(r"Referral to assessment done</dt><dd[^>]*>4 days", html)
    assert re.search(r"Referral to start</dt><dd[^>]*>6 days", html)


def test_outsider_and_missing_participant_get_the_same_404(page_as, referral):
    client = page_as("outsider")
    forbidden = client.get(url(referral))
    missing = client.get("/participants/999999/")
    assert forbidden.status_code == missing.status_code == 404


def test_court_roles_see_no_treatment_categories(page_as, referral):
    for username in ("judge", "prosecutor", "defence"):
        html = text(page_as(username).get(url(referral)))
        for category in TREATMENT:
            assert Category(category).label not in html, (username, category)
        assert "clinical" not in html.lower(), username


def test_clinician_sees_treatment_categories_but_not_the_offence(page_as, referral):
    html = text(page_as("clinician").get(url(referral)))
    assert Category.CLINICAL.label in html
    assert SUMMARY not in html
    assert "Offence to referral" not in html
    assert "Started on the programme" in html  # the pathway is shared with treatment


def test_prosecutor_sees_only_identity_legal_and_pathway(page_as, referral):
    html = text(page_as("prosecutor").get(url(referral)))
    listed = re.findall(
        r"<li>([^<]+)</li>", html.split('id="readable-categories"')[1].split("</ul>")[0]
    )
    assert listed == [Category.IDENTITY.label, Category.LEGAL.label, Category.PATHWAY.label]
    assert SUMMARY in html


def test_judge_sees_the_record_but_no_actions(page_as, referral):
    html = text(page_as("judge").get(url(referral)))
    assert SUMMARY in html
    assert "Record the next step" not in html
    assert "/transition/" not in html


def test_reading_legal_information_is_audited(page_as, referral, users):
    before = AuditEntry.objects.filter(action="read").count()
    page_as("judge").get(url(referral))
    entry = AuditEntry.objects.filter(action="read").latest("id")
    assert AuditEntry.objects.filter(action="read").count() == before + 1
    assert entry.user == users["judge"]
    assert entry.participant_ids == [referral.participant_id]
    assert entry.categories == ["legal"]
    assert entry.channel == "web"


def test_clinician_read_without_sensitive_categories_is_not_audited(page_as, referral):
    before = AuditEntry.objects.filter(action="read").count()
    page_as("clinician").get(url(referral))
    assert AuditEntry.objects.filter(action="read").count() == before


def test_synthetic_participant_shows_the_synthetic_banner(page_as, referral):
    assert "Synthetic record" not in text(page_as("coordinator").get(url(referral)))
    Participant.objects.filter(pk=referral.participant_id).update(synthetic=True)
    html = text(page_as("coordinator").get(url(referral)))
    assert 'aria-label="Synthetic record"' in html
    assert "It is not a real person" in html


def test_referral_to_another_teams_programme_stays_hidden(page_as, referral, outsider):
    other = referral_create(
        acting_user=outsider,
        participant=referral.participant,
        programme=outsider.programmes.get(),
        source="court",
        offence_category="fraud",
        drug_related_type="economic_compulsive",
        offence_date=referral.offence_date,
        referral_date=referral.referral_date,
        offence_summary="Another area's case",
    )
    html = text(page_as("coordinator").get(url(referral)))
    assert f'id="referral-{referral.pk}"' in html
    assert f'id="referral-{other.pk}"' not in html
    assert "Another area&#x27;s case" not in html and "Another area's case" not in html


def test_participant_page_query_count_does_not_grow_with_the_journey(
    page_as, make_referral, coordinator, django_assert_num_queries
):
    first = make_referral(given_name="Robin", family_name="Example")
    client = page_as("coordinator")
    with django_assert_num_queries(COORDINATOR_QUERIES):
        assert client.get(url(first)).status_code == 200
    walk(first, coordinator, "episode")
    second = make_referral(given_name="Alex", family_name="Smith")
    referral_create(
        acting_user=coordinator,
        participant=first.participant,
        programme=first.programme,
        source="court",
        offence_category="fraud",
        drug_related_type="economic_compulsive",
        offence_date=first.offence_date,
        referral_date=first.referral_date,
    )
    # One more for the running episode's "Assign" form: the team members it offers.
    with django_assert_num_queries(COORDINATOR_QUERIES + 1):
        html = text(client.get(url(first)))
    assert html.count('class="moj-timeline__item"') == 8
    assert second.participant.display_name not in html


def test_sec_13_judges_page_reads_the_consents_once_and_discloses_in_fixed_queries(
    page_as, make_referral, coordinator, django_assert_num_queries
):
    """Another agency's reader (a court): the page decides every category, and the household link,
    with one read of the participant's consents, and records the disclosure with its audit row:
    the same-agency count plus, on SQLite, the record's transaction (a savepoint pair inside the
    test's) and the disclosure's act and backlog row (one statement with the audit row on
    PostgreSQL), whatever the journey's length. The participant has no court order, so none is
    read."""
    first = make_referral(given_name="Robin", family_name="Example")
    client = page_as("judge")
    with django_assert_num_queries(PARTICIPANT_QUERIES + CROSSING_QUERIES + COURT_OUTCOMES_QUERY):
        assert client.get(url(first)).status_code == 200
    walk(first, coordinator, "episode")
    with django_assert_num_queries(PARTICIPANT_QUERIES + CROSSING_QUERIES + COURT_OUTCOMES_QUERY):
        assert client.get(url(first)).status_code == 200
    assert Disclosure.objects.filter(participant=first.participant).count() == 2


def test_sec_08_judge_with_the_participants_consent_is_told_clinical_is_shared_until_revoked(
    page_as, referral, users, django_assert_num_queries
):
    """The consent is read with the participant (no query of its own: the same count as a page
    without one), and its revocation closes the category on the next request."""
    from turnpoint.sharing.consents import share_consent_revoke

    consent = share_consent_create(
        acting_user=users["clinician"],
        participant=referral.participant,
        disclosing_agency=users["clinician"].agency,
        recipient_role=Role.JUDGE,
        recipient_agency=users["judge"].agency,
        categories=[Category.CLINICAL],
        purposes=[Purpose.COURT_REVIEW],
        starts_at=timezone.now() - timedelta(minutes=1),
        expires_at=timezone.now() + timedelta(days=90),
        revocation_statement="You can withdraw this consent at any time.",
        revocation_method="Tell your key worker.",
        signature_method="written",
        signed_by="Robin Example",
        signed_on=date.today(),
    )
    client = page_as("judge")
    with django_assert_num_queries(PARTICIPANT_QUERIES + CROSSING_QUERIES + COURT_OUTCOMES_QUERY):
        html = text(client.get(url(referral)))
    listed = html.split('id="readable-categories"')[1].split("</ul>")[0]
    assert Category.CLINICAL.label in listed
    assert Category.MENTAL_HEALTH.label not in listed
    share_consent_revoke(consent, acting_user=users["coordinator"], how="said so in court")
    with django_assert_num_queries(PARTICIPANT_QUERIES + CROSSING_QUERIES + COURT_OUTCOMES_QUERY):
        html = text(client.get(url(referral)))
    listed = html.split('id="readable-categories"')[1].split("</ul>")[0]
    assert Category.CLINICAL.label not in listed


def test_sec_16_a_court_order_in_force_opens_the_household_link_on_the_judges_page(
    page_as, referral, users, django_assert_num_queries
):
    """With an order naming the judge for the household, the link is there, and once the order is
    ended it is gone: the page reads the participant's openings afresh each time, in the same
    number of queries either way."""
    from datetime import date, timedelta

    from django.utils import timezone

    from turnpoint.sharing.court_orders import court_order_end, court_order_record

    client = page_as("judge")
    assert 'id="household"' not in text(client.get(url(referral)))
    order = court_order_record(
        acting_user=users["coordinator"], participant=referral.participant, kind="order",
        court="Ghent court of first instance", reference="ORD-2026-18", made_on=date.today(),
        categories=[Category.HOUSEHOLD], covers_from=date.today() - timedelta(days=365),
        covers_to=date.today(), recipient_role="judge", purposes=["court_review"],
        expires_at=timezone.now() + timedelta(days=30),
    )  # fmt: skip
    with django_assert_num_queries(PARTICIPANT_QUERIES + CROSSING_QUERIES + COURT_OUTCOMES_QUERY):
        html = text(client.get(url(referral)))
    assert 'id="household"' in html
    court_order_end(order, acting_user=users["coordinator"], reason="discharged on appeal")
    with django_assert_num_queries(PARTICIPANT_QUERIES + CROSSING_QUERIES + COURT_OUTCOMES_QUERY):
        html = text(client.get(url(referral)))
    assert 'id="household"' not in html
