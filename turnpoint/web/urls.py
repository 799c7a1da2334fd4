from django.urls import path

from . import identity_views, merge_views, views

app_name = "web"
urlpatterns = [
    path("", views.caseload, name="caseload"),
    path("participants/<int:pk>/", views.participant, name="participant"),
    path(
        "participants/<int:pk>/details/",
        identity_views.participant_edit,
        name="participant_edit",
    ),
    path(
        "participants/<int:pk>/details/new/",
        merge_views.participant_detail_new,
        name="participant_detail_new",
    ),
    path(
        "participants/<int:pk>/details/<str:kind>/<int:detail_pk>/withdraw/",
        merge_views.participant_detail_withdraw,
        name="participant_detail_withdraw",
    ),
    path(
        "participants/<int:pk>/merge/",
        merge_views.participant_merge_choose,
        name="participant_merge",
    ),
    path(
        "participants/<int:pk>/merge/<int:other>/",
        merge_views.participant_merge_confirm,
        name="participant_merge_confirm",
    ),
    path(
        "participants/<int:pk>/merges/<int:merge_pk>/undo/",
        merge_views.participant_unmerge,
        name="participant_unmerge",
    ),
    path("referrals/new/", views.referral_new, name="referral_new"),
    path(
        "referrals/<int:pk>/transition/",
        views.referral_transition_page,
        name="referral_transition",
    ),
    path(
        "episodes/<int:pk>/assignment/",
        views.episode_assignment_page,
        name="episode_assignment",
    ),
]

# Consent, household and safeguarding (turnpoint/web/consent_views.py, safeguarding_views.py).
from . import consent_views, safeguarding_views  # noqa: E402

urlpatterns += [
    path(
        "referrals/<int:pk>/consent/",
        consent_views.participation_consent_new,
        name="participation_consent_new",
    ),
    path(
        "participants/<int:pk>/participation-consents/<int:consent_pk>/pdf/",
        consent_views.participation_consent_download,
        name="participation_consent_pdf",
    ),
    path(
        "participants/<int:pk>/participation-consents/<int:consent_pk>/withdraw/",
        consent_views.participation_consent_withdraw_page,
        name="participation_consent_withdraw",
    ),
    path("participants/<int:pk>/sharing/", consent_views.share_consents, name="share_consents"),
    path(
        "participants/<int:pk>/sharing/new/",
        consent_views.share_consent_new,
        name="share_consent_new",
    ),
    path(
        "participants/<int:pk>/sharing/<int:consent_pk>/pdf/",
        consent_views.share_consent_download,
        name="share_consent_pdf",
    ),
    path(
        "participants/<int:pk>/sharing/<int:consent_pk>/revoke/",
        consent_views.share_consent_revoke_page,
        name="share_consent_revoke",
    ),
    path("participants/<int:pk>/household/", consent_views.household, name="household"),
    path(
        "participants/<int:pk>/safeguarding/",
        safeguarding_views.break_glass_new,
        name="break_glass_new",
    ),
    path(
        "safeguarding/reviews/", safeguarding_views.break_glass_reviews, name="break_glass_reviews"
    ),
    path(
        "safeguarding/reviews/<int:pk>/",
        safeguarding_views.break_glass_review_page,
        name="break_glass_review",
    ),
]

# Disclosures, exports and the audit log (turnpoint/web/records_views.py).
from . import records_views  # noqa: E402

urlpatterns += [
    path(
        "participants/<int:pk>/disclosures/",
        records_views.participant_disclosures,
        name="participant_disclosures",
    ),
    path(
        "participants/<int:pk>/disclosures/pdf/",
        records_views.participant_disclosures_pdf,
        name="participant_disclosures_pdf",
    ),
    path(
        "participants/<int:pk>/export/<str:fmt>/",
        records_views.participant_export,
        name="participant_export",
    ),
    path("audit/", records_views.audit_log, name="audit_log"),
]

# Statutory reports to the court (turnpoint/web/report_views.py, security.md SEC-15).
from . import report_views  # noqa: E402

urlpatterns += [
    path(
        "referrals/<int:pk>/statutory-reports/<slug:code>/",
        report_views.statutory_report,
        name="statutory_report",
    ),
]

# Court orders and subpoenas (turnpoint/web/court_order_views.py).
from . import court_order_views  # noqa: E402

urlpatterns += [
    path(
        "participants/<int:pk>/court-orders/",
        court_order_views.court_orders,
        name="court_orders",
    ),
    path(
        "participants/<int:pk>/court-orders/new/",
        court_order_views.court_order_new,
        name="court_order_new",
    ),
    path(
        "participants/<int:pk>/court-orders/<int:order_pk>/end/",
        court_order_views.court_order_end_page,
        name="court_order_end",
    ),
]

# Recovery plans (turnpoint/web/plan_views.py, docs/plans.md).
from . import plan_views  # noqa: E402

urlpatterns += [
    path("participants/<int:pk>/plan/", plan_views.plan_history, name="plan_history"),
    path("participants/<int:pk>/plan/change/", plan_views.plan_edit, name="plan_edit"),
    path(
        "participants/<int:pk>/plan/versions/<int:number>/",
        plan_views.plan_version,
        name="plan_version",
    ),
    path("participants/<int:pk>/plan/compare/", plan_views.plan_compare, name="plan_compare"),
]

# Outcomes: events, follow-ups and the follow-ups due (turnpoint/web/outcome_views.py).
from . import outcome_views  # noqa: E402

urlpatterns += [
    path(
        "participants/<int:pk>/outcomes/new/",
        outcome_views.outcome_event_new,
        name="outcome_event_new",
    ),
    path("follow-ups/", outcome_views.follow_ups_due, name="follow_ups_due"),
    path("follow-ups/<int:pk>/", outcome_views.follow_up_mark_page, name="follow_up_mark"),
]

# The second sign-in step (turnpoint/web/mfa_views.py, security.md SEC-25).
from . import mfa_views  # noqa: E402

urlpatterns += [
    path("security-code/", mfa_views.mfa_verify_page, name="mfa_verify"),
    path("security-code/set-up/", mfa_views.mfa_enrol, name="mfa_enrol"),
]

# Your sessions (turnpoint/web/account_views.py, security.md SEC-27).
from . import account_views  # noqa: E402

urlpatterns += [path("account/sessions/", account_views.sessions, name="account_sessions")]

# Portal access for participants (turnpoint/web/portal_access_views.py, docs/portal.md).
from . import portal_access_views  # noqa: E402

urlpatterns += [
    path(
        "participants/<int:pk>/portal-access/",
        portal_access_views.portal_access,
        name="portal_access",
    ),
]

# Correcting or withdrawing a step, editing offence facts (turnpoint/web/correction_views.py).
from . import correction_views  # noqa: E402

urlpatterns += [
    path(
        "referrals/<int:pk>/steps/<int:step_pk>/correct/",
        correction_views.step_correct,
        name="step_correct",
    ),
    path(
        "referrals/<int:pk>/steps/<int:step_pk>/withdraw/",
        correction_views.step_withdraw,
        name="step_withdraw",
    ),
    path("referrals/<int:pk>/offence/", correction_views.offence_facts_edit, name="offence_edit"),
]

# Matching proposals and decisions (turnpoint/web/matching_views.py, docs/matching.md).
from . import matching_views  # noqa: E402

urlpatterns += [
    path("referrals/<int:pk>/matching/", matching_views.matching_page, name="matching"),
]

# Assessments: giving instruments, external assessments (turnpoint/web/assessment_views.py).
from . import assessment_views  # noqa: E402

urlpatterns += [
    path("participants/<int:pk>/assessments/", assessment_views.assessments, name="assessments"),
    path(
        "participants/<int:pk>/assessments/give/",
        assessment_views.administration_new,
        name="administration_new",
    ),
    path(
        "participants/<int:pk>/assessments/external/new/",
        assessment_views.external_assessment_new,
        name="external_assessment_new",
    ),
    path(
        "participants/<int:pk>/assessments/<int:administration_pk>/",
        assessment_views.administration,
        name="administration",
    ),
    path(
        "participants/<int:pk>/assessments/<int:administration_pk>/participant/",
        assessment_views.administration_self,
        name="administration_self",
    ),
    path(
        "participants/<int:pk>/assessments/<int:administration_pk>/result/",
        assessment_views.administration_result,
        name="administration_result",
    ),
    path(
        "participants/<int:pk>/assessments/<int:administration_pk>/print/",
        assessment_views.administration_print,
        name="administration_print",
    ),
]

# Supervision: appointments, attendance and drug tests (turnpoint/web/supervision_views.py).
from . import supervision_views  # noqa: E402

urlpatterns += [
    path("calendar/", supervision_views.calendar, name="calendar"),
    path("call-in/", supervision_views.call_in, name="call_in"),
    path(
        "participants/<int:pk>/appointments/new/",
        supervision_views.appointment_new,
        name="appointment_new",
    ),
    path(
        "participants/<int:pk>/appointments/<int:appointment_pk>/outcome/",
        supervision_views.appointment_outcome,
        name="appointment_outcome",
    ),
    path("participants/<int:pk>/drug-tests/", supervision_views.drug_tests, name="drug_tests"),
    path(
        "participants/<int:pk>/drug-tests/new/",
        supervision_views.drug_test_new,
        name="drug_test_new",
    ),
    path(
        "participants/<int:pk>/drug-tests/schedule/",
        supervision_views.drug_test_schedule,
        name="drug_test_schedule",
    ),
    path(
        "participants/<int:pk>/drug-tests/<int:test_pk>/interpretation/",
        supervision_views.drug_test_interpretation,
        name="drug_test_interpretation",
    ),
]

# Custody and release (turnpoint/web/custody_views.py).
from . import custody_views  # noqa: E402

urlpatterns += [
    path("participants/<int:pk>/custody/", custody_views.custody, name="custody"),
    path("participants/<int:pk>/custody/new/", custody_views.custody_new, name="custody_new"),
    path(
        "participants/<int:pk>/custody/<int:custody_pk>/release/",
        custody_views.custody_release,
        name="custody_release",
    ),
    path(
        "participants/<int:pk>/custody/<int:custody_pk>/release-plan/",
        custody_views.release_plan,
        name="release_plan",
    ),
    path(
        "participants/<int:pk>/custody/<int:custody_pk>/release-plan/<slug:item>/",
        custody_views.release_task,
        name="release_task",
    ),
    path("releases/", custody_views.releases, name="releases"),
]

# The programme dashboard for analysts (turnpoint/web/analytics_views.py).
from . import analytics_views  # noqa: E402

urlpatterns += [path("analytics/", analytics_views.dashboard, name="analytics")]

# Reviews: dockets, hearings and the court's progress reports (turnpoint/web/review_views.py).
from . import review_views  # noqa: E402

urlpatterns += [
    path("dockets/", review_views.docket, name="docket"),
    path("review-hearings/<int:pk>/", review_views.review_hearing, name="review_hearing"),
    path(
        "review-hearings/<int:pk>/progress-report/",
        review_views.progress_report_new,
        name="progress_report_new",
    ),
    path("progress-reports/<int:pk>/", review_views.progress_report, name="progress_report"),
]

# Responses and phases (turnpoint/web/response_views.py).
from . import response_views  # noqa: E402

urlpatterns += [
    path("participants/<int:pk>/responses/", response_views.responses, name="responses"),
    path("participants/<int:pk>/responses/new/", response_views.response_new, name="response_new"),
    path("responses/ratios/", response_views.response_ratios, name="response_ratios"),
    path("phase-proposals/", response_views.phase_proposals, name="phase_proposals"),
    path(
        "phase-proposals/<int:proposal_pk>/",
        response_views.phase_proposal_decision,
        name="phase_proposal_decision",
    ),
]

# Fidelity to the practice standards (turnpoint/web/fidelity_views.py).
from . import fidelity_views  # noqa: E402

urlpatterns += [
    path("programmes/<slug:slug>/fidelity/", fidelity_views.fidelity, name="fidelity"),
]
