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
from turnpoint.sharing.categories import Category, Purpose
from turnpoint.sharing.consents import active_consents, share_consent_create
from turnpoint.sharing.disclosures import (
    Disclosure,
    DisclosureAct,
    DisclosureBacklog,
    LegalBasis,
    disclosure_accounting,
    disclosures_for_read,
    disclosures_index,
)
from turnpoint.sharing.documents import notice_for
from turnpoint.sharing.exports import participant_own_record_export, participant_record_export
from turnpoint.sharing.models import AuditEntry
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
        acting_user=users["coordinator"],
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


def test_sec_13_a_lists_rows_carry_the_programme_the_lookup_would_find(
    users, make_referral, dtto, programme
):
    """`with_programme_shown` puts each row's programme in the list's own query; it must be the
    programme `_programme_keys` finds (the latest referral among the reader's programmes), and a
    court's list through the API records each participant's statute from it."""
    from turnpoint.sharing.disclosures import PROGRAMME_SHOWN, _programme_keys, with_programme_shown
    from turnpoint.sharing.policy import participants_visible_to

    moved, stayed, only_dtto = _moved_stayed_and_dtto_only(make_referral, dtto)
    judge = users["judge"]
    rows = list(with_programme_shown(judge, participants_visible_to(judge), [C.IDENTITY]))
    carried = {p.pk: getattr(p, PROGRAMME_SHOWN) for p in rows}
    looked_up, _ = _programme_keys(judge, list(carried))
    assert carried == looked_up == {moved.pk: dtto.pk, stayed.pk: programme.pk,
                                    only_dtto.pk: dtto.pk}  # fmt: skip
    # The column has no converter (`LatestProgramme.get_db_converters`): each database must
    # hand the id back as an int already.
    assert {type(pk) for pk in carried.values()} == {int}
    # Inside the programme team nothing crosses: the queryset is left as it is.
    visible = participants_visible_to(users["coordinator"])
    assert with_programme_shown(users["coordinator"], visible, [C.IDENTITY]) is visible

    from api.helpers import ApiClient

    assert ApiClient(judge).get("/api/participants").status_code == 200
    basis = {
        d.participant_id: d.basis_reference for d in Disclosure.objects.filter(recipient_user=judge)
    }
    assert basis[moved.pk] == basis[only_dtto.pk] == DTTO_STATUTE
    assert basis[stayed.pk].startswith(GHENT_STATUTE)


def test_sec_13_each_acts_participants_are_written_with_it_in_one_statement(
    users, make_referral, dtto
):
    """A read whose participants crossed on two bases writes two acts, each with a backlog row
    naming its own participants, as one statement after the audit entry that records them: on
    PostgreSQL the acts' new ids paired with the participant lists in order, on SQLite an insert
    into a view whose trigger writes each act and then its backlog row (sharing/acts_sqlite.py)."""
    from django.test.utils import CaptureQueriesContext

    moved, stayed, only_dtto = _moved_stayed_and_dtto_only(make_referral, dtto)
    with CaptureQueriesContext(connection) as ctx:
        written = disclosures_for_read(
            users["judge"], participants=[stayed, moved, only_dtto], categories=[C.IDENTITY]
        )
    assert written == 3
    writes = [q["sql"].split()[0] for q in ctx if q["sql"].split()[0] in ("INSERT", "WITH")]
    assert writes == ["INSERT", "WITH" if connection.vendor == "postgresql" else "INSERT"]
    basis = dict(DisclosureAct.objects.values_list("pk", "basis_reference"))
    backlog = {
        basis[act]: sorted(ids)
        for act, ids in DisclosureBacklog.objects.values_list("act_id", "participant_ids")
    }
    assert backlog == {
        DTTO_STATUTE: sorted([moved.pk, only_dtto.pk]),
        next(b for b in basis.values() if b.startswith(GHENT_STATUTE)): [stayed.pk],
    }


def _acts_written(user) -> dict:
    """(categories, legal basis, reference) -> the sorted participant ids of each act to `user`."""
    return {
        (tuple(act.categories), act.legal_basis, act.basis_reference): sorted(
            Disclosure.objects.filter(act=act).values_list("participant_id", flat=True)
        )
        for act in DisclosureAct.objects.filter(recipient_user=user)
    }


def _acts_expected(user, rows, categories) -> dict:
    """What `read_recorded` would write for `rows`, keyed as `_acts_written` keys it."""
    from turnpoint.sharing.disclosures import _acts_for_read

    return {
        (tuple(values["categories"]), values["legal_basis"], values["basis_reference"]): sorted(ids)
        for values, ids in _acts_for_read(user, participants=rows, categories=categories)
    }


def test_sec_13_a_cross_agency_participants_page_records_what_read_recorded_would(
    users, make_referral, dtto, programme
):
    """`participants_read` of a court's page of participants writes the acts `read_recorded`
    would write for the same rows (each participant under their latest programme's statute,
    programmes on the same basis sharing an act; an act only where the page has rows of its
    programmes), and reads the rows the queryset would, in its order, without deciding a row
    at a time: the rows are read, grouped by the programme each carries, then the acts and
    their backlog rows inserted, on PostgreSQL in one statement sent ahead (decision 0010)."""
    from unittest import mock

    from django.test.utils import CaptureQueriesContext

    from turnpoint.sharing import disclosures
    from turnpoint.sharing.context import RequestContext, activate, deactivate
    from turnpoint.sharing.disclosures import (
        PROGRAMME_SHOWN,
        participants_read,
        with_programme_shown,
    )
    from turnpoint.sharing.policy import participants_visible_to

    _moved, stayed, _only_dtto = _moved_stayed_and_dtto_only(make_referral, dtto)
    judge = users["judge"]
    listed = with_programme_shown(judge, participants_visible_to(judge), [C.IDENTITY])
    wanted = list(listed[:10])
    assert [p.given_name for p in wanted] == ["Moved", "Scot", "Stayed"]
    expected = _acts_expected(judge, wanted, [C.IDENTITY])
    assert len(expected) == 2  # the DTTO's statute for two, Ghent's for one

    request = RequestContext(channel="api")
    token = activate(request)
    try:
        # The team's acts, decided once a programme (`_page_acts`), not each row's.
        no_row_decided = mock.patch.object(
            disclosures, "_acts_for_read", side_effect=AssertionError("decided a row at a time")
        )
        with no_row_decided, CaptureQueriesContext(connection) as ctx:
            rows = participants_read(judge, listed[:10], [C.IDENTITY])
    finally:
        deactivate(token)
    fields = ["pk", "given_name", "family_name", "date_of_birth", "version"]
    assert [[getattr(r, f) for f in fields] for r in rows] == [
        [getattr(r, f) for f in fields] for r in wanted
    ]
    assert [getattr(r, PROGRAMME_SHOWN) for r in rows] == [
        getattr(r, PROGRAMME_SHOWN) for r in wanted
    ]
    # The acts and their backlog rows, one statement, after the audit entry recording them.
    record, write = [q for q in ctx if q["sql"].split()[0] in ("INSERT", "WITH")]
    assert "sharing_auditentry" in record["sql"] and "INSERT INTO" in write["sql"]
    recorded = AuditEntry.objects.filter(action="disclosed").latest("id")
    assert len(recorded.detail["disclosures"]) == len(expected)
    assert _acts_written(judge) == expected
    act = DisclosureAct.objects.filter(recipient_user=judge).first()
    assert (act.recipient_agency, act.purpose, act.channel, act.request_id) == (
        str(judge.agency),
        Purpose.COURT_REVIEW,
        "api",
        request.request_id,
    )
    assert act.notice_attached is False

    # A page holding rows of one programme only writes that programme's act, and no other.
    before = set(DisclosureAct.objects.values_list("pk", flat=True))
    [row] = participants_read(judge, listed[2:3], [C.IDENTITY])
    assert row.pk == stayed.pk
    new = DisclosureAct.objects.exclude(pk__in=before)
    assert [(a.basis_reference.startswith(GHENT_STATUTE), a.legal_basis) for a in new] == [
        (True, LegalBasis.STATUTE)
    ]
    assert list(
        Disclosure.objects.filter(act__in=new).values_list("participant_id", flat=True)
    ) == [stayed.pk]


def test_sec_13_a_participants_page_whose_programme_decides_per_participant_is_read_then_recorded(
    users, make_referral, dtto, programme
):
    """Where a programme's own answer leaves a crossing category closed, each participant's
    consent or order may open it: `participants_read` then reads the page and records it a row
    at a time (`read_recorded`), on every database. Here the DTTO denies identity to the court
    unless the participant consented, and only one of its two participants did."""
    from unittest import mock

    from turnpoint.sharing import disclosures, policy
    from turnpoint.sharing.disclosures import participants_read, with_programme_shown

    moved, stayed, only_dtto = _moved_stayed_and_dtto_only(make_referral, dtto)
    judge = users["judge"]
    real = policy.decide

    def decide(user, category, *, programme=None, participant=None, **kwargs):
        if programme is not None and programme.pk == dtto.pk and category == C.IDENTITY:
            if participant == moved.pk:
                return policy.Decision(True, "consented", "consent:41")
            return policy.Decision(False, "no consent", "")
        return real(user, category, programme=programme, participant=participant, **kwargs)

    listed = with_programme_shown(judge, policy.participants_visible_to(judge), [C.IDENTITY])
    not_grouped = mock.patch.object(
        disclosures, "_grouped_page", side_effect=AssertionError("grouped under the team's acts")
    )
    with mock.patch.object(policy, "decide", decide), not_grouped:
        rows = participants_read(judge, listed[:10], [C.IDENTITY])
    assert [r.pk for r in rows] == [moved.pk, only_dtto.pk, stayed.pk]
    written = _acts_written(judge)
    assert written[(("identity",), LegalBasis.CONSENT, "consent 41")] == [moved.pk]
    assert [ids for key, ids in written.items() if key[2].startswith(GHENT_STATUTE)] == [
        [stayed.pk]
    ]
    assert only_dtto.pk not in {pk for ids in written.values() for pk in ids}


def test_sec_13_a_participants_page_showing_audited_categories_is_read_then_recorded(
    users, make_referral, dtto
):
    """A page that shows a category the audit log records (legal facts) is read, then its
    audit row and acts are written together (`read_recorded`), on every database: the audit
    row names the page's participants."""
    from turnpoint.sharing.disclosures import participants_read, with_programme_shown
    from turnpoint.sharing.policy import participants_visible_to

    moved, stayed, only_dtto = _moved_stayed_and_dtto_only(make_referral, dtto)
    judge = users["judge"]
    shown = [C.IDENTITY, C.LEGAL]
    listed = with_programme_shown(judge, participants_visible_to(judge), shown)
    expected = _acts_expected(judge, list(listed.all()), shown)
    rows = participants_read(judge, listed[:10], shown)
    assert {r.pk for r in rows} == {moved.pk, stayed.pk, only_dtto.pk}
    [entry] = AuditEntry.objects.filter(action="read", user=judge)
    assert sorted(entry.participant_ids) == sorted(r.pk for r in rows)
    assert _acts_written(judge) == expected


@pytest.mark.django_db(transaction=True)
def test_sec_13_a_pages_acts_are_decided_again_when_the_role_agency_or_programmes_change(
    users, programme, make_referral
):
    """Outside a transaction (as a server reads a list) the acts a page of a participants list
    writes, decided from the user's role, agency and team's programmes, are kept per process
    under exactly those: asked again, nothing is decided and only the team's query runs. A
    changed role, agency kind or programme (saved: its `loaded_at` moves) is decided afresh;
    what is decided inside a transaction is not kept."""
    from unittest import mock

    from django.db import transaction

    from turnpoint.accounts.models import Agency
    from turnpoint.sharing import context, policy
    from turnpoint.sharing import disclosures as module
    from turnpoint.sharing.disclosures import _page_acts

    decided = mock.patch.object(policy, "decide", wraps=policy.decide)

    def page_acts(user):  # each asked as a request would: its own context
        token = context.activate(context.RequestContext())
        try:
            with decided as decide:
                return _page_acts(user, (C.IDENTITY,)), decide.call_count
        finally:
            context.deactivate(token)

    module._PAGE_ACTS.clear()
    judge = users["judge"]
    first, decisions = page_acts(judge)
    [((categories, basis, reference), ids)] = first
    assert (categories, basis, ids) == (("identity",), LegalBasis.STATUTE, (programme.pk,))
    assert reference.startswith(GHENT_STATUTE) and decisions == 1
    with CaptureQueriesContext(connection) as ctx:
        again, decisions = page_acts(judge)
    assert again is first and decisions == 0
    assert len(ctx) == 1  # the team's programme ids and their `loaded_at`

    stored = type(programme).objects.get(pk=programme.pk)
    stored.legal_basis = "Changed Statute 2026: a new basis"
    stored.definition = {**stored.definition, "policy": {
        k: v for k, v in stored.definition["policy"].items() if k != "statutory_reference"
    }}  # fmt: skip
    stored.save()
    changed, decisions = page_acts(judge)
    assert changed[0][0][2] == "Changed Statute 2026" and decisions == 1

    judge.role = Role.PROBATION_OFFICER
    _, decisions = page_acts(judge)
    assert decisions == 1
    judge.role = Role.JUDGE
    assert page_acts(judge) == (changed, 0)
    judge.agency = Agency.objects.create(name="Ghent probation service", kind="probation")
    _, decisions = page_acts(judge)
    assert decisions == 1

    module._PAGE_ACTS.clear()
    with transaction.atomic():
        page_acts(judge)
    assert module._PAGE_ACTS == {}


def test_a_lists_programme_and_reach_are_read_from_the_latest_referral_index(
    users, make_referral, dtto
):
    """Each row's latest programme is read backwards from the referrals' (participant,
    referral_date, id, programme) index, without sorting the participant's referrals: with the
    old (participant, programme) index every row's subquery sorted (1,000 rows: 2.5 ms against
    1.1 on PostgreSQL, docs/benchmarks.md). On PostgreSQL that probe is the reach test too."""
    from turnpoint.sharing.disclosures import with_programme_shown
    from turnpoint.sharing.policy import participants_visible_to

    _moved_stayed_and_dtto_only(make_referral, dtto)
    judge = users["judge"]
    listed = with_programme_shown(judge, participants_visible_to(judge), [C.IDENTITY])
    if connection.vendor == "postgresql":
        # A test's few rows (and the statistics of earlier tests' rows) would be read by any
        # plan; with sorting priced out too, a sort can only appear if no index makes it needless.
        with connection.cursor() as cursor:
            for plan in ("seqscan", "bitmapscan", "sort"):
                cursor.execute(f"SET LOCAL enable_{plan} = off")
        # The programme kept on the participant's row answers for each of these rows (their
        # latest referral is to one of the judge's programmes): the probe of the referrals,
        # which is the reach test where it does not, is never run (decision 0011). No join of
        # the referrals and no EXISTS probe of its own (`LatestProgrammeJoin`).
        plan = listed[:1000].explain(analyze=True)
        assert "latest_programme_id = ANY" in plan, plan
        probes = plan.partition("SubPlan")[2]
        assert "Backward using journeys_referral_latest" in probes, plan
        assert "Sort" not in probes, plan
        assert probes.count("never executed") >= 2, plan
        assert "Nested Loop" not in plan and "Semi Join" not in plan, plan
    else:
        plan = listed[:1000].explain()
        subquery = plan.partition("CORRELATED SCALAR SUBQUERY")[2]
        assert "journeys_referral_latest" in subquery, plan
        assert "TEMP B-TREE FOR ORDER BY" not in subquery, plan


def test_sec_02_a_cross_agency_list_keeps_its_reach_counted_and_inside_another_query(
    users, make_referral, outsider, other_programme
):
    """On PostgreSQL a cross-agency list's reach is its join of each row's latest programme,
    with no EXISTS of its own. Counted, asked whether a participant is in it, or used inside
    another query (where its aliases are renamed), it still holds only the participants the
    user reaches; a list that crosses nothing keeps its EXISTS."""
    from turnpoint.people.models import Participant
    from turnpoint.sharing.disclosures import PROGRAMME_SHOWN, with_programme_shown
    from turnpoint.sharing.policy import participants_visible_to

    ours = make_referral(given_name="Ours").participant
    theirs = make_referral(given_name="Theirs", by=outsider, programme=other_programme)
    judge = users["judge"]
    listed = with_programme_shown(judge, participants_visible_to(judge), [C.IDENTITY])
    assert [(p.pk, getattr(p, PROGRAMME_SHOWN)) for p in listed] == [
        (ours.pk, ours.referrals.get().programme_id)
    ]
    assert listed.count() == 1
    assert not listed.filter(pk=theirs.participant_id).exists()
    inside = Participant.objects.filter(pk__in=listed.values("pk")).order_by("pk")
    assert list(inside.values_list("pk", flat=True)) == [ours.pk]
    assert list(listed.values_list("pk", flat=True)) == [ours.pk]
    sql = str(listed.query)
    own = str(participants_visible_to(users["coordinator"]).query)
    assert "EXISTS" in own and "LATERAL" not in own
    if connection.vendor == "postgresql":
        assert "EXISTS" not in sql and "INNER JOIN LATERAL" in sql
        assert "EXISTS" not in str(inside.query) and "LATERAL" in str(inside.query)
    else:  # SQLite has no LATERAL: the reach's EXISTS and a subquery for the programme
        assert "EXISTS" in sql and "LATERAL" not in sql


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
    consents = active_consents([p.pk for p in people])
    # The chain's lock (PostgreSQL) and newest hash, the audit entry recording the act, then the
    # act and one backlog row naming its participants in one statement.
    with django_assert_num_queries(4 if connection.vendor == "postgresql" else 3):
        rows = disclosures_for_read(
            users["judge"],
            participants=people,
            categories=[C.IDENTITY, C.LEGAL],
            purpose=Purpose.COURT_REVIEW,
            programme_by_participant=dict.fromkeys([p.pk for p in people], programme),
            consents=consents,
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
    from django.test.utils import CaptureQueriesContext

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
def test_sec_13_a_read_across_agencies_is_recorded_in_one_transaction(users, make_referral):
    """With no transaction around the read, as a server runs it: the audit row (carrying the
    act's digest), the act and its backlog row are written in one transaction. The chain
    verifies and the act names the participant."""
    from django.test.utils import CaptureQueriesContext

    from turnpoint.sharing.disclosures import read_recorded
    from turnpoint.sharing.verify import audit_verify

    person = make_referral(offence_summary="Took bread from a shop").participant
    judge = users["judge"]
    with CaptureQueriesContext(connection) as ctx:
        written = read_recorded(judge, participants=[person], categories=[C.IDENTITY, C.LEGAL],
                                obj=person)  # fmt: skip
    assert written == 1
    assert not connection.in_atomic_block
    writes = [q["sql"].split()[0] for q in ctx if q["sql"].split()[0] in ("INSERT", "WITH")]
    # The audit row, then the act with its backlog row (PostgreSQL: one statement of common
    # table expressions; SQLite: one insert into acts_sqlite's view).
    assert writes == ["INSERT", "WITH" if connection.vendor == "postgresql" else "INSERT"]
    if connection.vendor == "sqlite":  # PostgreSQL's BEGIN is not a logged query
        names = [q["sql"].split()[0] for q in ctx]
        begin = names.index("BEGIN")
        assert names[-1] == "COMMIT" and names.index("INSERT") > begin
    [entry] = AuditEntry.objects.filter(action="read", user=judge)
    assert entry.participant_ids == [person.pk] and entry.categories == ["legal"]
    assert len(entry.detail["disclosures"]) == 1
    [act] = DisclosureAct.objects.filter(recipient_user=judge)
    assert act.categories == ["identity", "legal"]
    assert list(Disclosure.objects.filter(act=act).values_list("participant_id", flat=True)) == [
        person.pk
    ]
    checked, problems = audit_verify()
    assert problems == [] and checked == AuditEntry.objects.count()


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


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL writes with expressions")
@pytest.mark.django_db(transaction=True)
def test_sec_13_a_read_on_sqlite_writes_its_acts_and_their_backlog_in_one_statement(users):
    """On SQLite a read's acts and their backlog rows are one insert into a view whose trigger
    writes both (sharing/acts_sqlite.py): one statement (after the audit entry recording the
    acts), each backlog row naming its own act, and all or nothing when the database refuses a
    backlog row. The view carries every column of the act: a migration that changes the act must
    install the view again."""
    from turnpoint.sharing import acts_sqlite
    from turnpoint.sharing.disclosures import _act_shared, _act_values, _acts_write

    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA table_info({acts_sqlite.VIEW})")
        viewed = [row[1] for row in cursor.fetchall()]
    assert sorted(viewed) == sorted([*acts_sqlite.act_columns(DisclosureAct), "participant_ids"])

    judge = users["judge"]
    shared = _act_shared(judge, Purpose.COURT_REVIEW, False, "api")
    acts = [
        (_act_values(shared, ((C.IDENTITY,), "statute", "Sentencing Act 2020")), [7, 3, 5]),
        (_act_values(shared, ((C.IDENTITY, C.PATHWAY), "consent", "consent 4")), [11]),
    ]
    with CaptureQueriesContext(connection) as ctx:
        assert _acts_write(acts) == 4
    [statement] = [q["sql"] for q in ctx if acts_sqlite.VIEW in q["sql"]]
    assert statement.startswith(f"INSERT INTO {acts_sqlite.VIEW} ")
    written = {
        act.legal_basis: (act.categories, act.recipient_user_id, act.channel, backlog)
        for act in DisclosureAct.objects.all()
        for backlog in [DisclosureBacklog.objects.get(act=act).participant_ids]
    }
    assert written == {
        "statute": (["identity"], judge.pk, "api", [7, 3, 5]),
        "consent": (["identity", "pathway"], judge.pk, "api", [11]),
    }

    before = DisclosureAct.objects.count()
    refused = refusing_inserts(DisclosureBacklog._meta.db_table, "disclosure log unavailable")
    with refused, pytest.raises(Exception, match="disclosure log unavailable"):
        _acts_write(acts)
    assert DisclosureAct.objects.count() == before  # the acts inserted first went with it


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL writes with expressions")
@pytest.mark.django_db(transaction=True)
def test_sec_19_acts_past_sqlites_bound_values_take_several_statements_all_or_nothing(
    users, monkeypatch
):
    """More acts than one statement can bind (here one act a statement) are written by several
    inserts in one transaction: when the database refuses the last act's backlog row, the acts
    written by the statements before it go too."""
    from turnpoint.sharing import disclosures
    from turnpoint.sharing.disclosures import _act_shared, _act_values, _acts_write

    monkeypatch.setattr(disclosures, "_max_params", lambda: 12)  # an act and its ids: 11 values
    shared = _act_shared(users["judge"], Purpose.COURT_REVIEW, False, "api")
    acts = [
        (_act_values(shared, ((C.IDENTITY,), "statute", "Sentencing Act 2020")), [7, 3]),
        (_act_values(shared, ((C.IDENTITY,), "consent", "consent 4")), [11]),
    ]
    with CaptureQueriesContext(connection) as ctx:
        assert _acts_write(acts) == 3
    # The chain's newest hash, the audit entry recording both acts, then one act a statement.
    assert [q["sql"].split()[0] for q in ctx] == [
        "BEGIN",
        "SELECT",
        "INSERT",
        "INSERT",
        "INSERT",
        "COMMIT",
    ]
    assert sorted(DisclosureBacklog.objects.values_list("participant_ids", flat=True)) == [
        [7, 3],
        [11],
    ]

    before = DisclosureAct.objects.count()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TRIGGER test_refuse_second BEFORE INSERT ON sharing_disclosurebacklog "
            "WHEN NEW.participant_ids = '[11]' BEGIN SELECT RAISE(ABORT, 'log full'); END"
        )
    try:
        with pytest.raises(Exception, match="log full"):
            _acts_write(acts)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER test_refuse_second")
    assert DisclosureAct.objects.count() == before  # the first statement's act went with it
