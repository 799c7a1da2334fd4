"""SEC-15 statutory reports contain exactly the statutory set: the DRR review report carries what
Sentencing Act 2020 Sch. 9 para 21(2)(e) requires, records the statute as legal basis, and
carries nothing from other sensitive categories unless a consent covers them (Caldicott 3, 6)."""

from datetime import date, timedelta
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from turnpoint.accounts.models import Agency, AgencyKind, Role, User
from turnpoint.errors import InvalidInput
from turnpoint.sharing.accounting import disclosure_accounting
from turnpoint.sharing.categories import Category, Purpose
from turnpoint.sharing.consents import share_consent_create
from turnpoint.sharing.models import AuditEntry, Disclosure, LegalBasis
from turnpoint.sharing.reach import decide_for
from turnpoint.sharing.rules import PolicyDenied, crosses, decide
from turnpoint.sharing.statutory import statutory_report_generate, statutory_report_plan
from turnpoint.supervision.services import appointment_book, drug_test_interpret, drug_test_record

from .conftest import start_episode

C = Category
CODE = "drr-review-report"
STATUTORY = [C.IDENTITY, C.PATHWAY, C.DRUG_TESTS, C.TREATMENT_PROGRESS]


def pdf_text(data: bytes) -> str:
    reader = PdfReader(BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


@pytest.fixture
def drr(programmes, users):
    """The English DRR, with every persona in its team."""
    programme = programmes["england-drr"]
    for user in users.values():
        user.programmes.add(programme)
    return programme


@pytest.fixture
def on_order(drr, make_referral, coordinator):
    """Dara, on a running DRR (offence details that must never reach the report by statute)."""
    referral = make_referral(
        given_name="Dara",
        family_name="Whitfield",
        programme=drr,
        offence_summary="Took copper cable from the depot.",
    )
    start_episode(referral, coordinator)
    referral.refresh_from_db()
    return referral


def consent(users, participant, *, categories, purposes=(Purpose.COURT_REVIEW,), **recipient):
    """A consent recorded by the agency holding `categories` (SEC-39), to the court unless
    another recipient agency is named."""
    holder = "clinician" if crosses(users["coordinator"], categories[0]) else "coordinator"
    recipient.setdefault("recipient_agency", users["judge"].agency)
    return share_consent_create(
        acting_user=users[holder],
        participant=participant,
        categories=list(categories),
        purposes=list(purposes),
        starts_at=timezone.now() - timedelta(minutes=1),
        expires_at=timezone.now() + timedelta(days=90),
        revocation_statement="You can withdraw this consent at any time.",
        revocation_method="Tell your key worker.",
        signature_method="written",
        signed_by="Dara Whitfield",
        signed_on=date.today(),
        **recipient,
    )


def test_sec_15_drr_review_report_contains_exactly_the_statutory_set(on_order, users):
    probation = users["probation"]
    plan = statutory_report_plan(probation, on_order, CODE)
    assert plan.categories == STATUTORY
    assert plan.consented == {}

    text = pdf_text(statutory_report_generate(acting_user=probation, referral=on_order, code=CODE))

    participant = on_order.participant
    assert "DRR review report" in text
    assert "Sentencing Act 2020, Schedule 9, paragraph 21(2)(d) and (e)" in text
    assert participant.reference in text and "Whitfield" in text  # identity
    assert "Progress under the order" in text and "On the programme since" in text  # pathway
    # Drug tests come from the supervision records: none yet, and the report says so.
    assert "Not recorded in Turnpoint" not in text
    assert "Drug test results No drug or alcohol tests in the period." in text
    # The provider's views are recorded only as their readings of test results: said, not invented.
    assert "No reading of a test result by the treatment provider is recorded." in text
    assert "No other views of the treatment provider are recorded in Turnpoint." in text
    # Nothing the statute does not require: not even the legal facts the judge reads by role.
    assert "copper cable" not in text
    assert "Offence:" not in text
    assert "Nothing else from the participant's record is included" in text
    for label in ("Clinical treatment", "Mental health", "Substance-use counselling notes",
                  "Legal: charges, offences, orders", "Safeguarding"):  # fmt: skip
        # Named once, in the scope's list of what was left out; never as a section.
        assert text.count(label) == 1, label
    assert "Do not pass it on" in text  # the re-disclosure notice


def test_sec_15_the_report_carries_the_tests_recorded_and_the_provider_s_reading(on_order, users):
    """Drug test results from the supervision records, forensic only, each with its reading;
    a clinician's reading is the treatment provider's view; attendance only with consent."""
    probation, clinician = users["probation"], users["clinician"]
    now = timezone.now()
    test = drug_test_record(
        acting_user=probation, referral=on_order, collected_at=now - timedelta(hours=3),
        specimen="urine", purpose="forensic", results_received_at=now - timedelta(hours=1),
        results=[{"substance": "opiates", "result": "positive"}],
    )  # fmt: skip
    reading = "Early in treatment; prescribing reviewed, engagement good."
    drug_test_interpret(test, acting_user=clinician, expected_version=test.version, note=reading)
    drug_test_record(
        acting_user=clinician, referral=on_order, collected_at=now - timedelta(hours=2),
        specimen="oral_fluid", purpose="clinical", results_received_at=now - timedelta(hours=1),
        results=[{"substance": "cocaine", "result": "positive"}],
    )  # fmt: skip
    appointment_book(acting_user=probation, referral=on_order, kind="supervision_meeting",
                     starts_at=timezone.now() - timedelta(minutes=30))  # fmt: skip

    text = pdf_text(statutory_report_generate(acting_user=probation, referral=on_order, code=CODE))
    assert "1 tests, 1 with a positive result." in text
    assert "Urine: opiates positive" in text
    assert "prescribing reviewed, engagement good" in text  # the reading travels with the result
    assert "On the test of" in text  # ... and, a clinician's, is the provider's view
    assert "Oral fluid" not in text and "cocaine" not in text  # a clinical test stays in treatment
    assert "Supervision meeting" not in text  # attendance is not in the statutory set

    consent(users, on_order.participant, categories=[C.ATTENDANCE])
    text = pdf_text(statutory_report_generate(acting_user=probation, referral=on_order, code=CODE))
    assert "Attendance and contacts 1 appointments: 1 with no outcome recorded yet." in text
    assert "Supervision meeting: no outcome recorded yet" in text


def test_sec_15_report_records_the_statute_as_legal_basis(on_order, users, drr):
    # A second court in the team: one disclosure per recipient agency, not per judge.
    sheriff = Agency.objects.create(name="Crown Court at Leeds", kind=AgencyKind.COURT)
    other = User.objects.create(username="judge2", role=Role.JUDGE, agency=sheriff)
    same_court = User.objects.create(
        username="judge3", role=Role.JUDGE, agency=users["judge"].agency
    )
    for judge in (other, same_court):
        judge.programmes.add(drr)
    before = AuditEntry.objects.count()

    statutory_report_generate(acting_user=users["probation"], referral=on_order, code=CODE)

    rows = list(Disclosure.objects.filter(participant=on_order.participant).order_by("id"))
    assert sorted(r.recipient_agency for r in rows) == sorted(
        ["Crown Court at Leeds", str(users["judge"].agency)]
    )
    for row in rows:
        assert row.legal_basis == LegalBasis.STATUTE
        assert row.basis_reference == (
            "Sentencing Act 2020, Schedule 9, paragraph 21(2)(d) and (e) (DRR review report)"
        )
        assert row.categories == sorted(STATUTORY)
        assert row.purpose == Purpose.COURT_REVIEW
        assert row.notice_attached and row.channel == "export"
        assert row.recipient_user is None
    entries = list(AuditEntry.objects.order_by("id")[before:])
    export = [e for e in entries if e.action == "export"]
    assert len(export) == 1
    assert export[0].detail["statutory_report"] == CODE
    assert export[0].participant_ids == [on_order.participant_id]
    # The participant's accounting names the court and the statute.
    accounting = disclosure_accounting(on_order.participant)
    assert {r.agency for r in accounting} == {"Crown Court at Leeds", str(users["judge"].agency)}
    assert {r.legal_basis for r in accounting} == {"Statute"}


def test_sec_15_other_sensitive_categories_only_with_consent(on_order, users):
    participant = on_order.participant
    probation, judge = users["probation"], users["judge"]
    # Not enough: the wrong purpose, and a consent to another agency.
    consent(users, participant, categories=[C.MENTAL_HEALTH], purposes=[Purpose.TREATMENT],
            recipient_role=Role.JUDGE)  # fmt: skip
    consent(users, participant, categories=[C.RISK_NEED],
            recipient_agency=users["defence"].agency)  # fmt: skip
    # Covers the court, but the responsible officer may not read clinical treatment.
    consent(users, participant, categories=[C.CLINICAL], recipient_role=Role.JUDGE)
    plan = statutory_report_plan(probation, on_order, CODE)
    assert plan.categories == STATUTORY

    covering = consent(users, participant, categories=[C.STRENGTHS],
                       recipient_role=Role.JUDGE, recipient_agency=judge.agency)  # fmt: skip
    plan = statutory_report_plan(probation, on_order, CODE)
    assert plan.consented == {C.STRENGTHS: [covering.pk]}
    assert plan.categories == [*STATUTORY, C.STRENGTHS]

    # Strengths are recorded as assessments: the report lists the finished ones, and only those.
    from turnpoint.assessments.services import administration_complete, administration_start

    given = administration_start(acting_user=probation, participant=participant,
                                 referral=on_order, instrument_id="tp-readiness",
                                 setting="review", administered_on=date.today())  # fmt: skip
    administration_complete(given, acting_user=probation, expected_version=1,
                            answers={"importance": 8, "confidence": 6})  # fmt: skip
    administration_start(acting_user=probation, participant=participant, referral=on_order,
                         instrument_id="barc-10", setting="review",
                         administered_on=date.today())  # in progress: not reported  # fmt: skip
    text = pdf_text(statutory_report_generate(acting_user=probation, referral=on_order, code=CODE))
    assert f"consent {covering.pk}" in text
    assert "Strengths and recovery capital: assessments" in text
    assert "Importance 8" in text and "Confidence 6" in text
    assert "Recovery Capital" not in text
    assert "Strengths and recovery capital Not recorded in Turnpoint" not in text
    assert "Clinical treatment Not recorded" not in text
    rows = {r.legal_basis: r for r in Disclosure.objects.filter(participant=participant)}
    assert set(rows) == {LegalBasis.STATUTE, LegalBasis.CONSENT}
    assert rows[LegalBasis.CONSENT].categories == [C.STRENGTHS]
    assert rows[LegalBasis.CONSENT].basis_reference == f"consent {covering.pk}"
    assert C.STRENGTHS not in rows[LegalBasis.STATUTE].categories


def test_sec_15_the_recovery_plan_goes_in_the_report_only_with_consent(on_order, users):
    """The DRR review's treatment progress: the plan's goals in the participant's words and the
    services agreed, where the participant's consent covers the plan for the court."""
    from turnpoint.plans.services import GoalIn, ServiceIn, plan_create

    probation, judge = users["probation"], users["judge"]
    plan_create(
        acting_user=users["coordinator"], referral=on_order, agreed_on=date.today(),
        review_on=date.today() + timedelta(days=60), agreed_with_participant=True,
        goals=[GoalIn("housing", "A flat near my sister"),
               GoalIn("substance_use", "Never use alone", harm_reduction=True)],
        services=[ServiceIn("peer_mentoring", "Leeds recovery café", "2", date.today())],
    )  # fmt: skip
    text = pdf_text(statutory_report_generate(acting_user=probation, referral=on_order, code=CODE))
    assert "A flat near my sister" not in text and "Goal (Housing)" not in text
    covering = consent(users, on_order.participant, categories=[C.PLAN],
                       recipient_role=Role.JUDGE, recipient_agency=judge.agency)  # fmt: skip
    assert statutory_report_plan(probation, on_order, CODE).consented == {C.PLAN: [covering.pk]}
    text = pdf_text(statutory_report_generate(acting_user=probation, referral=on_order, code=CODE))
    assert "A flat near my sister" in text and "a harm-reduction goal" in text
    assert "Peer mentoring, Leeds recovery café, 2.0 hours a week" in text
    assert "Recovery plan Not recorded" not in text


def test_sec_15_the_statute_opens_the_report_not_the_file(on_order, users, page_as):
    """The law fixes what the report carries; the judge's browsing is what it was."""
    judge, drr = users["judge"], on_order.programme
    browsing = decide_for(judge, C.TREATMENT_PROGRESS, on_order.participant, programme=drr)
    assert not browsing
    in_report = decide_for(
        judge, C.TREATMENT_PROGRESS, on_order.participant, programme=drr, report=CODE
    )
    assert in_report and in_report.basis == f"statute:england-drr:{CODE}"
    # Within the report, role defaults do not apply: the judge reads legal facts by role, but
    # the report carries them only with a consent.
    assert decide(judge, C.LEGAL, programme=drr)
    assert not decide_for(judge, C.LEGAL, on_order.participant, programme=drr, report=CODE)
    # Only the declared recipients, for the declared purpose, in a programme that declares it.
    assert not decide(users["prosecutor"], C.DRUG_TESTS, programme=drr, report=CODE)
    assert not decide(judge, C.DRUG_TESTS, programme=drr, report="another-report")
    page = page_as("judge").get(reverse("web:participant", args=[on_order.participant_id]))
    assert page.status_code == 200
    assert C.TREATMENT_PROGRESS.label not in page.content.decode()


@pytest.mark.parametrize("role", ["judge", "clinician", "coordinator", "prosecutor"])
def test_sec_15_only_the_responsible_officer_prepares_it(on_order, users, page_as, role):
    with pytest.raises(PolicyDenied):
        statutory_report_generate(acting_user=users[role], referral=on_order, code=CODE)
    url = reverse("web:statutory_report", args=[on_order.pk, CODE])
    assert page_as(role).post(url).status_code == 403
    page = page_as(role).get(reverse("web:participant", args=[on_order.participant_id]))
    assert url not in page.content.decode()
    # (Opening the participant page is a disclosure to the judge; nothing was exported.)
    assert not Disclosure.objects.filter(participant=on_order.participant, channel="export")


def test_sec_15_the_page_action_prepares_the_report(on_order, page_as):
    participant_page = page_as("probation").get(
        reverse("web:participant", args=[on_order.participant_id])
    )
    url = reverse("web:statutory_report", args=[on_order.pk, CODE])
    assert url in participant_page.content.decode()
    preview = page_as("probation").get(url)
    assert preview.status_code == 200
    assert "It covers, because that law requires them" in preview.content.decode()
    exported = Disclosure.objects.filter(participant=on_order.participant, channel="export")
    assert not exported.exists()  # looking at what it will contain discloses nothing
    response = page_as("casemanager").post(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "DRR review report" in pdf_text(response.content)
    assert exported.count() == 1


def test_sec_15_no_running_episode_is_refused_and_writes_nothing(drr, make_referral, users):
    referral = make_referral(given_name="Noa", family_name="Pending", programme=drr)
    before = (AuditEntry.objects.count(), Disclosure.objects.count())
    with pytest.raises(InvalidInput) as excinfo:
        statutory_report_generate(acting_user=users["probation"], referral=referral, code=CODE)
    assert [p.field for p in excinfo.value.problems] == ["episode"]
    assert (AuditEntry.objects.count(), Disclosure.objects.count()) == before


def test_sec_15_no_recipient_in_the_team_is_refused(on_order, users, drr):
    users["judge"].programmes.remove(drr)
    with pytest.raises(InvalidInput) as excinfo:
        statutory_report_generate(acting_user=users["probation"], referral=on_order, code=CODE)
    assert "no judge is a member" in str(excinfo.value)


def test_sec_15_audit_and_disclosures_are_written_together(on_order, users, monkeypatch):
    from turnpoint.sharing import statutory

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(statutory, "disclosure_write", broken)
    before = AuditEntry.objects.count()
    with pytest.raises(RuntimeError):
        statutory_report_generate(acting_user=users["probation"], referral=on_order, code=CODE)
    assert AuditEntry.objects.count() == before


def test_sec_15_a_programme_without_a_declaration_has_no_report(
    programmes, users, make_referral, page_as
):
    cpo = programmes["scotland-cpo-dtr"]
    for user in (users["probation"], users["coordinator"]):
        user.programmes.add(cpo)
    referral = make_referral(given_name="Lee", family_name="Order", programme=cpo)
    start_episode(referral, users["coordinator"])
    url = reverse("web:statutory_report", args=[referral.pk, CODE])
    assert page_as("probation").get(url).status_code == 404
