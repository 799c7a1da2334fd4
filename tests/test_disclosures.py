"""Disclosures on cross-agency reads (SEC-13), the accounting of disclosures (SEC-14) and record
exports with notice and scope (SEC-12)."""

from datetime import date, timedelta
from io import BytesIO

import pytest
from audit_helpers import refusing_inserts
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from turnpoint.accounts.models import Role, api_token_create
from turnpoint.errors import InvalidInput
from turnpoint.sharing.accounting import disclosure_accounting
from turnpoint.sharing.categories import Category, Purpose
from turnpoint.sharing.consents import share_consent_create
from turnpoint.sharing.documents import notice_for
from turnpoint.sharing.exports import participant_own_record_export, participant_record_export
from turnpoint.sharing.models import (
    AuditEntry,
    Disclosure,
    DisclosureAct,
    DisclosureBacklog,
    LegalBasis,
)
from turnpoint.sharing.record import disclosures_for_read, disclosures_index
from turnpoint.sharing.rules import statute_reference
from turnpoint.sharing.safeguarding import break_glass_open

C = Category
GHENT_STATUTE = "Deferral of the criminal case before conviction"
DTTO_STATUTE = "Criminal Procedure (Scotland) Act 1995, sections 234B to 234K"


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def _flat(text: str) -> str:
    return " ".join(text.split())


def _view(user, participant):
    client = Client()
    client.force_login(user)
    response = client.get(reverse("web:participant", args=[participant.pk]))
    assert response.status_code == 200
    return response


def _api(user, path):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=user)}")
    response = client.get(path)
    assert response.status_code == 200, response.content
    return response


def _consent(users, participant, *, categories, role=Role.JUDGE, agency="judge"):
    return share_consent_create(
        acting_user=users["clinician"],
        participant=participant,
        disclosing_agency=users["clinician"].agency,
        recipient_role=role,
        recipient_agency=users[agency].agency,
        categories=categories,
        purposes=[Purpose.COURT_REVIEW],
        starts_at=timezone.now() - timedelta(minutes=1),
        expires_at=timezone.now() + timedelta(days=90),
        revocation_statement="You can withdraw this consent at any time.",
        revocation_method="Tell your key worker.",
        signature_method="written",
        signed_by="Robin Example",
        signed_on=date.today(),
    )


@pytest.fixture
def dtto(programmes, users):
    programme = programmes["scotland-dtto"]
    for user in users.values():
        user.programmes.add(programme)
    return programme


# SEC-13 -----------------------------------------------------------------------------------------


def test_sec_13_cross_agency_view_writes_one_disclosure(users, make_referral):
    """A scripted morning: the number of disclosures equals the number of cross-agency views."""
    robin = make_referral(given_name="Robin").participant
    alex = make_referral(given_name="Alex").participant
    cross_agency_views = 0
    for username, person in [("judge", robin), ("coordinator", robin), ("clinician", robin),
                             ("probation", alex), ("judge", robin), ("defence", alex),
                             ("casemanager", alex), ("prosecutor", robin)]:  # fmt: skip
        _view(users[username], person)
        cross_agency_views += users[username].agency.kind not in ("coordination", "probation")
    _api(users["judge"], f"/api/participants/{alex.pk}")
    _api(users["clinician"], "/api/referrals")  # two participants shown: two disclosures
    _api(users["coordinator"], "/api/referrals")
    cross_agency_views += 1 + 2

    assert cross_agency_views == 8
    assert Disclosure.objects.count() == cross_agency_views
    judge_rows = Disclosure.objects.filter(recipient_user=users["judge"], participant=robin)
    assert judge_rows.count() == 2
    row = judge_rows.first()
    assert row.recipient_agency == "Magistrates' court"
    assert row.categories == ["identity", "legal", "pathway"]
    assert row.purpose == Purpose.COURT_REVIEW
    assert row.notice_attached is False and row.channel == "web"
    # Written with the read's audit row, in the same request.
    audit = (
        AuditEntry.objects.filter(user=users["judge"], action="read", participant_ids=[robin.pk])
        .order_by("-id")
        .first()
    )
    assert audit.request_id == row.request_id


def test_sec_13_same_agency_views_write_no_disclosure(users, make_referral):
    person = make_referral().participant
    for username in ("coordinator", "casemanager", "probation"):
        _view(users[username], person)
        _api(users[username], f"/api/participants/{person.pk}")
        _api(users[username], "/api/participants")
    assert Disclosure.objects.count() == 0
    # The reads are still audited.
    assert AuditEntry.objects.filter(action="read", participant_ids=[person.pk]).count() == 6


def test_sec_13_clinician_reading_the_programme_teams_record_is_a_disclosure(users, make_referral):
    person = make_referral().participant
    _view(users["clinician"], person)
    row = Disclosure.objects.get()
    # The clinician reads identity and pathway by role; legal is not theirs to read.
    assert row.categories == ["identity", "pathway"]
    assert row.legal_basis == LegalBasis.STATUTE
    assert row.basis_reference.startswith(GHENT_STATUTE)


def test_sec_13_judge_view_of_a_dtto_participant_records_statute(users, make_referral, dtto):
    person = make_referral(programme=dtto, source="court").participant
    _view(users["judge"], person)
    row = Disclosure.objects.get(participant=person)
    assert row.legal_basis == LegalBasis.STATUTE
    assert row.basis_reference == DTTO_STATUTE
    assert row.recipient_user == users["judge"]


def _moved_stayed_and_dtto_only(make_referral, dtto):
    """Three participants of the judge's caseload: one whose latest referral is to the DTTO,
    one whose latest is to Ghent (an older one to the DTTO), and one referred to the DTTO only."""
    today = date.today()
    moved = make_referral(given_name="Moved", on=today - timedelta(days=90)).participant
    make_referral(participant=moved, programme=dtto, source="court", on=today)
    stayed = make_referral(given_name="Stayed", on=today).participant
    make_referral(participant=stayed, programme=dtto, source="court", on=today - timedelta(days=90))
    only_dtto = make_referral(given_name="Scot", programme=dtto, source="court").participant
    return moved, stayed, only_dtto


def test_sec_13_a_list_records_each_participants_latest_programmes_statute(
    users, make_referral, dtto, programme
):
    """Across programmes with different statutes, each participant's basis is the statute of
    their latest referral among the reader's programmes, and participants on the same basis
    share one act."""
    moved, stayed, only_dtto = _moved_stayed_and_dtto_only(make_referral, dtto)
    written = disclosures_for_read(
        users["judge"], participants=[moved, stayed, only_dtto], categories=[C.IDENTITY]
    )
    assert written == 3
    basis = {
        d.participant_id: d.basis_reference
        for d in Disclosure.objects.filter(recipient_user=users["judge"])
    }
    assert basis[moved.pk] == basis[only_dtto.pk] == DTTO_STATUTE
    assert basis[stayed.pk].startswith(GHENT_STATUTE)
    assert DisclosureAct.objects.count() == 2
    assert programme.slug == "ghent-dtc"


def test_sec_13_drug_tests_opened_by_the_programme_switch_record_statute(
    users, make_referral, dtto
):
    person = make_referral(programme=dtto, source="court").participant
    disclosures_for_read(
        users["judge"],
        participants=[person],
        categories=[C.DRUG_TESTS],
        purpose=Purpose.COURT_REVIEW,
    )
    row = Disclosure.objects.get()
    assert row.categories == ["drug_tests"]
    assert (row.legal_basis, row.basis_reference) == (LegalBasis.STATUTE, DTTO_STATUTE)


def test_sec_13_consent_opened_category_records_the_consent_id(users, make_referral):
    person = make_referral().participant
    consent = _consent(users, person, categories=[C.CLINICAL])
    disclosures_for_read(
        users["judge"], participants=[person], categories=[C.CLINICAL], purpose=Purpose.COURT_REVIEW
    )
    row = Disclosure.objects.get()
    assert row.categories == ["clinical"]
    assert row.legal_basis == LegalBasis.CONSENT
    assert row.basis_reference == f"consent {consent.pk}"


def test_sec_13_a_category_nobody_opened_is_not_recorded_as_disclosed(users, make_referral):
    person = make_referral().participant
    disclosures_for_read(
        users["judge"],
        participants=[person],
        categories=[C.LEGAL, C.MENTAL_HEALTH],
        purpose=Purpose.COURT_REVIEW,
    )
    assert Disclosure.objects.get().categories == ["legal"]


def test_sec_13_break_glass_records_safeguarding_with_its_id(users, make_referral):
    person = make_referral().participant
    lead = users["safeguarding"]
    glass = break_glass_open(
        acting_user=lead,
        participant=person,
        reason_code="child_at_risk",
        justification="A child in the household was reported at risk.",
    )
    before = Disclosure.objects.count()
    disclosures_for_read(
        lead,
        participants=[person],
        categories=[C.SAFEGUARDING, C.HOUSEHOLD],
        purpose=Purpose.SAFEGUARDING,
    )
    assert Disclosure.objects.count() == before + 1
    row = Disclosure.objects.order_by("-id").first()
    assert row.legal_basis == LegalBasis.SAFEGUARDING
    assert row.basis_reference == f"break-glass {glass.pk}"


def test_sec_13_disclosures_for_a_list_are_one_act_and_its_participants_whatever_its_length(
    users, make_referral, programme, django_assert_num_queries
):
    people = [make_referral(given_name=f"P{i}").participant for i in range(20)]
    # A savepoint; the newest audit hash (on PostgreSQL after the chain's lock) and the
    # `disclosed` entry recording the act's digest; the act; one backlog row naming its
    # participants; the savepoint's release: nothing a participant, however long the list.
    with django_assert_num_queries(6 + (connection.vendor == "postgresql")):
        rows = disclosures_for_read(
            users["judge"],
            participants=people,
            categories=[C.IDENTITY, C.LEGAL],
            purpose=Purpose.COURT_REVIEW,
            programme_by_participant=dict.fromkeys([p.pk for p in people], programme),
        )
    assert rows == 20
    assert Disclosure.objects.count() == 20
    [act] = DisclosureAct.objects.all()
    [backlog] = DisclosureBacklog.objects.all()
    assert (backlog.act_id, sorted(backlog.participant_ids)) == (
        act.pk,
        sorted(p.pk for p in people),
    )
    assert {d.act_id for d in Disclosure.objects.all()} == {act.pk}
    assert disclosures_index() == (1, 20)
    assert sorted(act.participants.values_list("participant_id", flat=True)) == sorted(
        p.pk for p in people
    )


# SEC-14 -----------------------------------------------------------------------------------------


def test_sec_14_accounting_lists_this_participants_disclosures_of_the_last_3_years(
    users, make_referral
):
    robin = make_referral(given_name="Robin").participant
    alex = make_referral(given_name="Alex").participant
    _view(users["judge"], robin)
    _view(users["defence"], alex)
    old = Disclosure.objects.get(participant=robin)
    DisclosureAct.objects.filter(pk=old.act_id).update(at=timezone.now() - timedelta(days=4 * 365))
    _view(users["clinician"], robin)

    rows = disclosure_accounting(robin, acting_user=users["coordinator"])

    assert [r.recipient for r in rows] == ["Lena Peeters"]  # Alex's and 4-year-old rows absent
    assert rows[0].agency == "Community drug service"
    assert rows[0].categories == [C.IDENTITY.label, C.PATHWAY.label]
    assert rows[0].purpose == Purpose.TREATMENT.label
    assert rows[0].legal_basis == "Statute"
    audit = AuditEntry.objects.filter(user=users["coordinator"]).order_by("-id").first()
    assert audit.action == "read" and audit.participant_ids == [robin.pk]
    assert audit.detail["accounting_of_disclosures"]["rows"] == 1


def test_sec_14_accounting_covers_at_most_3_years(users, make_referral):
    robin = make_referral().participant
    with pytest.raises(InvalidInput):
        disclosure_accounting(robin, since=timezone.now() - timedelta(days=4 * 365))


# SEC-12 -----------------------------------------------------------------------------------------


def test_sec_12_staff_export_carries_notice_and_scope_and_only_readable_categories(
    users, make_referral, programme
):
    person = make_referral(offence_summary="Shoplifting at the market").participant
    clinician = users["clinician"]
    text = _pdf_text(participant_record_export(clinician, person))
    assert _flat(notice_for(programme)) in text
    assert "What this document discloses" in text
    assert "This export contains only: Identity and demographics; Pathway" in text
    assert "Legal: charges, offences, orders" in text.split("Left out because")[1]
    assert "Shoplifting at the market" not in text  # legal: not the clinician's to read
    assert "Robin Example" in text

    judge_text = _pdf_text(participant_record_export(users["judge"], person))
    assert "Shoplifting at the market" in judge_text
    assert _flat(notice_for(programme)) in judge_text


def test_sec_12_staff_export_is_audited_and_disclosed_with_the_notice(users, make_referral):
    person = make_referral().participant
    participant_record_export(users["judge"], person, fmt="json")
    export = AuditEntry.objects.get(action="export")
    assert export.user == users["judge"] and export.participant_ids == [person.pk]
    assert export.categories == ["identity", "legal", "pathway"]
    row = Disclosure.objects.get()
    assert row.notice_attached is True and row.channel == "export"


def test_sec_12_json_export_carries_notice_and_scope(users, make_referral, programme):
    person = make_referral(offence_summary="Shoplifting at the market").participant
    exported = participant_record_export(users["clinician"], person, fmt="json")
    assert exported["notice"] == notice_for(programme)
    assert exported["scope"].startswith("This export contains only:")
    assert "Shoplifting" not in str(exported["sections"])


def test_sec_14_own_record_export_lists_who_saw_it(users, make_referral, programme):
    person = make_referral(offence_summary="Shoplifting at the market").participant
    _view(users["judge"], person)
    text = _pdf_text(participant_own_record_export(person))
    assert _flat(notice_for(programme)) in text
    assert "Your own record as Turnpoint holds it" in text
    assert "Shoplifting at the market" in text
    assert "Ruth Adeyemi" in text and "Magistrates' court" in text
    export = AuditEntry.objects.get(action="export")
    assert export.user is None and export.detail["own_record"] is True


@pytest.mark.parametrize("path", ["/api/participants", "/api/referrals"])
def test_sec_13_a_judges_api_list_costs_the_same_queries_for_5_or_50_rows(
    users, make_referral, path
):

    client = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=users['judge'])}")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path, {"limit": 1000}).status_code == 200
        return len(captured)

    for i in range(5):
        make_referral(given_name=f"P{i}")
    few = queries()
    for i in range(45):
        make_referral(given_name=f"Q{i}")
    before = Disclosure.objects.count()
    many = queries()
    assert few == many
    assert Disclosure.objects.count() - before == 50


@pytest.mark.django_db(transaction=True)
def test_sec_19_a_failed_disclosure_insert_rolls_back_the_audit_and_shows_nothing(
    users, make_referral
):
    """As a server runs it, with no transaction around the request: the read's audit row, act
    and backlog row are one statement on PostgreSQL and one transaction elsewhere, so the
    refused backlog row takes the others with it."""
    person = make_referral(offence_summary="Shoplifting at the market").participant
    reads_before = AuditEntry.objects.filter(action="read").count()

    client = Client(raise_request_exception=False)
    client.force_login(users["judge"])
    # The act is written; its participants' backlog row is refused.
    with refusing_inserts(DisclosureBacklog._meta.db_table, "disclosure log unavailable"):
        response = client.get(reverse("web:participant", args=[person.pk]))
    assert response.status_code == 500
    assert b"Shoplifting" not in response.content
    assert AuditEntry.objects.filter(action="read").count() == reads_before
    assert Disclosure.objects.count() == 0
    assert DisclosureAct.objects.count() == 0  # the act written before the failure rolled back


def test_sec_13_a_courts_page_of_participants_is_recorded_by_its_selector(
    users, make_referral, dtto, programme
):
    """`reads.participants_list` of a court's page writes one act per basis naming the page's
    participants (each under their latest programme's statute) and returns the rows the
    queryset gives, in its order."""
    from turnpoint.sharing.reach import participants_visible_to
    from turnpoint.sharing.reads import participants_list

    moved, stayed, only_dtto = _moved_stayed_and_dtto_only(make_referral, dtto)
    judge = users["judge"]
    page = participants_visible_to(judge).order_by("given_name")[:10]
    rows = participants_list(judge, page, [C.IDENTITY])
    assert [p.given_name for p in rows] == ["Moved", "Scot", "Stayed"]
    acts = {
        act.basis_reference: sorted(DisclosureBacklog.objects.get(act=act).participant_ids)
        for act in DisclosureAct.objects.filter(recipient_user=judge)
    }
    dtto_statute = statute_reference(dtto)
    assert acts == {
        dtto_statute: sorted([moved.pk, only_dtto.pk]),
        statute_reference(programme): [stayed.pk],
    }
