"""The authorisation matrix (security.md SEC-01): for every page route and every API operation,
the outcome each role gets. `test_sec_01_*` walks the URLconf and the OpenAPI document and fails
on any route or operation missing here, then requests each one as each persona.

Keys of a row are every `turnpoint.accounts.models.Role` value plus "anonymous" (not signed in)
and "outsider" (a coordinator of another area's team). Pages are keyed by URL name; API
operations by (METHOD, OpenAPI path). Page outcomes are for a GET; API write outcomes are for a
valid body (see test_sec_01_authorisation_matrix.py for the bodies). The participant, referral
and episode in the path belong to the Ghent team every persona but the outsider works in.

The participant (role "participant") is Robin signed in to the portal with their own account:
every staff page refuses them (turnpoint/portal/middleware.py) unless a row names them, and the
API signs them in nowhere.

Adding a route? Add its row here: deny by default means the suite refuses a route nobody decided.
"""

from turnpoint.accounts.models import Role

OK = "ok"
SIGN_IN = "redirect-to-sign-in"
UNAUTHENTICATED = "401"
FORBIDDEN = "403"
NOT_FOUND = "404"
METHOD_NOT_ALLOWED = "405"
BAD_REQUEST = "400"
CONFLICT = "409"
# A redirect to the caseload: what a session already past the security-code step gets from the
# security-code pages (the personas here are signed in with force_login, which passes it).
ON_TO_CASELOAD = "redirect /"
# A redirect to the security-code pages (web:mfa_verify or web:mfa_enrol).
SECURITY_CODE = "redirect-to-security-code"
# Where the address of the service sends a participant.
ON_TO_PORTAL = "redirect /portal/"
PARTICIPANT = Role.PARTICIPANT.value

PERSONA_KEYS = (*(r.value for r in Role), "anonymous", "outsider")

# Roles whose team holds the participant and who may open an identifiable record.
REACHING = {
    Role.COORDINATOR,
    Role.CASE_MANAGER,
    Role.CLINICIAN,
    Role.PROBATION_OFFICER,
    Role.JUDGE,
    Role.PROSECUTOR,
    Role.DEFENCE,
    Role.SAFEGUARDING_LEAD,
}
# Roles that may record identity, legal and pathway facts (policy.ROLE_WRITE).
RECORDING = {Role.COORDINATOR, Role.CASE_MANAGER, Role.PROBATION_OFFICER}
COURT = {Role.JUDGE, Role.PROSECUTOR, Role.DEFENCE}
# Roles that read and write the recovery plan, matching decisions among it (policy.ROLE_WRITE).
PLANNING = RECORDING | {Role.CLINICIAN}
# Roles that make and change a recovery plan with the participant (rules.ROLE_WRITE, PLAN).
PLAN_WRITING = {Role.COORDINATOR, Role.CASE_MANAGER, Role.CLINICIAN}
# Roles that give instruments of strengths and of risk and need (rules.ROLE_WRITE).
ASSESSING = RECORDING | {Role.CLINICIAN}
# Roles that record attendance and forensic drug tests (rules.ROLE_WRITE), and those who
# interpret a test result (the probation officer and the key worker).
KEEPING = RECORDING | {Role.CLINICIAN}
INTERPRETING = {Role.PROBATION_OFFICER, Role.CLINICIAN}
# Roles that schedule review hearings and prepare the court's progress reports.
SCHEDULING = {Role.COORDINATOR, Role.CASE_MANAGER}


def row(default: str, *, anonymous: str, **by_role: str) -> dict[str, str]:
    """Spell out an outcome for every persona: `default` for staff roles not named, 403 for the
    participant unless named."""
    out = {key: by_role.get(key, default) for key in PERSONA_KEYS}
    out["anonymous"] = anonymous
    out[PARTICIPANT] = by_role.get(PARTICIPANT, FORBIDDEN)
    return out


def where(roles, yes: str, no: str, *, anonymous: str, outsider: str, **by_role: str):
    """`yes` for the roles named, `no` for the other staff roles, 403 for the participant,
    unless `by_role` says otherwise."""
    out = {key: (yes if key in roles else no) for key in PERSONA_KEYS}
    out[PARTICIPANT] = FORBIDDEN
    out.update(anonymous=anonymous, outsider=outsider, **by_role)
    return out


# URL names excluded from this matrix, with the rule that protects them instead.
EXCLUDED = {
    "admin/": "Django admin: every view needs is_staff (admin.site.admin_view); "
    "tests/test_view_participants_in_admin.py covers what staff see there",
}

PAGES: dict[str, dict[str, str]] = {
    "login": row(OK, anonymous=OK, participant=OK),
    # Sign-out changes state, so it answers POST only (SEC-28: no state change via GET).
    "logout": row(METHOD_NOT_ALLOWED, anonymous=METHOD_NOT_ALLOWED, participant=METHOD_NOT_ALLOWED),
    # The API's own description and its docs page hold no data (docs/api.md).
    "api-1:openapi-json": row(OK, anonymous=OK, participant=OK),
    "api-1:openapi-view": row(OK, anonymous=OK, participant=OK),
    "api-1:api-root": row(NOT_FOUND, anonymous=NOT_FOUND, participant=NOT_FOUND),
    "simulator:page": row(OK, anonymous=SIGN_IN),
    # Analysts and administrators see an explanation in place of a caseload, not an error; the
    # participant goes on to the portal.
    "web:caseload": row(OK, anonymous=SIGN_IN, participant=ON_TO_PORTAL),
    "web:participant": where(REACHING, OK, NOT_FOUND, anonymous=SIGN_IN, outsider=NOT_FOUND),
    # Identifiers and contact details: the roles that write identity or legal facts, and the
    # clinician (a health number); court roles and the safeguarding lead record none.
    "web:participant_detail_new": where(
        RECORDING | {Role.CLINICIAN},
        OK,
        FORBIDDEN,
        anonymous=SIGN_IN,
        outsider=NOT_FOUND,
        analyst=NOT_FOUND,
        administrator=NOT_FOUND,
    ),
    # Withdrawing a contact detail (identity) recorded in error: the roles that write identity;
    # those who only read it are refused (an identifier of a category the persona may not read
    # is not found: tests/web/test_withdraw_identifier_page.py).
    "web:participant_detail_withdraw": where(
        RECORDING,
        OK,
        FORBIDDEN,
        anonymous=SIGN_IN,
        outsider=NOT_FOUND,
        analyst=NOT_FOUND,
        administrator=NOT_FOUND,
    ),
    # Changing a participant's name, date of birth and other identity details: the roles that
    # write identity; court roles, the clinician and the safeguarding lead read it only.
    "web:participant_edit": where(
        RECORDING,
        OK,
        FORBIDDEN,
        anonymous=SIGN_IN,
        outsider=NOT_FOUND,
        analyst=NOT_FOUND,
        administrator=NOT_FOUND,
    ),
    # Merging records is for coordinators, refused to any other role before any record is looked
    # up; the outsider (a coordinator of another team) does not reach these records.
    **{
        name: where({Role.COORDINATOR}, OK, FORBIDDEN, anonymous=SIGN_IN, outsider=NOT_FOUND)
        for name in (
            "web:participant_merge",
            "web:participant_merge_confirm",
            "web:participant_unmerge",
        )
    },
    # The outsider refers to their own team's programme.
    "web:referral_new": where(RECORDING, OK, FORBIDDEN, anonymous=SIGN_IN, outsider=OK),
    "web:referral_transition": row(METHOD_NOT_ALLOWED, anonymous=SIGN_IN),
    # Correcting or withdrawing a step: its author (here the coordinator, who recorded it) or a
    # coordinator of the team; other staff who reach the referral are refused.
    **{
        name: where(
            {Role.COORDINATOR},
            OK,
            FORBIDDEN,
            anonymous=SIGN_IN,
            outsider=NOT_FOUND,
            analyst=NOT_FOUND,
            administrator=NOT_FOUND,
        )
        for name in ("web:step_correct", "web:step_withdraw")
    },
    # Changing offence details: the roles that record legal facts.
    "web:offence_edit": where(
        RECORDING,
        OK,
        FORBIDDEN,
        anonymous=SIGN_IN,
        outsider=NOT_FOUND,
        analyst=NOT_FOUND,
        administrator=NOT_FOUND,
    ),
    "web:episode_assignment": row(METHOD_NOT_ALLOWED, anonymous=SIGN_IN),
    # The world's referral already has its participation consent: a second one is a conflict.
    "web:participation_consent_new": where(
        RECORDING,
        CONFLICT,
        FORBIDDEN,
        anonymous=SIGN_IN,
        outsider=NOT_FOUND,
        analyst=NOT_FOUND,
        administrator=NOT_FOUND,
    ),
    # The participation consent is a legal record: court roles read it, treatment roles do not.
    "web:participation_consent_pdf": where(
        RECORDING | COURT,
        OK,
        FORBIDDEN,
        anonymous=SIGN_IN,
        outsider=NOT_FOUND,
        analyst=NOT_FOUND,
        administrator=NOT_FOUND,
    ),
    "web:participation_consent_withdraw": where(
        RECORDING,
        OK,
        FORBIDDEN,
        anonymous=SIGN_IN,
        outsider=NOT_FOUND,
        analyst=NOT_FOUND,
        administrator=NOT_FOUND,
    ),
    **{
        name: where(
            RECORDING | {Role.CLINICIAN},
            OK,
            FORBIDDEN,
            anonymous=SIGN_IN,
            outsider=NOT_FOUND,
            analyst=NOT_FOUND,
            administrator=NOT_FOUND,
        )
        for name in (
            "web:share_consents",
            "web:share_consent_new",
            "web:share_consent_pdf",
            "web:share_consent_revoke",
        )
    },
    # Court orders and subpoenas: kept by the roles that record legal facts (SEC-16). The
    # world's order is in force, so its end page opens.
    **{
        name: where(
            RECORDING,
            OK,
            FORBIDDEN,
            anonymous=SIGN_IN,
            outsider=NOT_FOUND,
            analyst=NOT_FOUND,
            administrator=NOT_FOUND,
        )
        for name in ("web:court_orders", "web:court_order_new", "web:court_order_end")
    },
    # Custody and release (docs/supervision.md): custody episodes are legal facts, a release
    # plan and its release day pathway, its treatment tasks clinical. The page of a
    # participant's custody opens to readers of legal facts or the pathway (the safeguarding
    # lead reads neither); the release plan to readers of the pathway (the clinician among
    # them); recording custody and release to the roles that write legal facts; the world's
    # task (the first community appointment, pathway) to the roles that write the pathway, not
    # the clinician, who sets the treatment tasks.
    "web:custody": where(
        RECORDING | COURT | {Role.CLINICIAN},
        OK,
        FORBIDDEN,
        anonymous=SIGN_IN,
        outsider=NOT_FOUND,
        analyst=NOT_FOUND,
        administrator=NOT_FOUND,
    ),
    "web:release_plan": where(
        RECORDING | COURT | {Role.CLINICIAN},
        OK,
        FORBIDDEN,
        anonymous=SIGN_IN,
        outsider=NOT_FOUND,
        analyst=NOT_FOUND,
        administrator=NOT_FOUND,
    ),
    **{
        name: where(
            RECORDING,
            OK,
            FORBIDDEN,
            anonymous=SIGN_IN,
            outsider=NOT_FOUND,
            analyst=NOT_FOUND,
            administrator=NOT_FOUND,
        )
        for name in ("web:custody_new", "web:custody_release", "web:release_task")
    },
    # The release list: those who act on release plans (the programme team and the treatment
    # provider); a coordinator of another team sees their own team's, here none.
    "web:releases": where(
        RECORDING | {Role.CLINICIAN, "outsider"},
        OK,
        FORBIDDEN,
        anonymous=SIGN_IN,
        outsider=OK,
    ),
    # Matching (docs/matching.md): readers and writers of the recovery plan, case work and
    # treatment roles; court roles and the safeguarding lead reach the referral but are refused.
    "web:matching": where(
        PLANNING,
        OK,
        FORBIDDEN,
        anonymous=SIGN_IN,
        outsider=NOT_FOUND,
        analyst=NOT_FOUND,
        administrator=NOT_FOUND,
    ),
    # Recovery plans (docs/plans.md): read by case work and treatment roles, the court only
    # through a consent or a court order naming the plan (the world has none); made and changed
    # by the coordinator, the case manager and the clinician.
    **{
        name: where(
            RECORDING | {Role.CLINICIAN},
            OK,
            FORBIDDEN,
            anonymous=SIGN_IN,
            outsider=NOT_FOUND,
            analyst=NOT_FOUND,
            administrator=NOT_FOUND,
        )
        for name in ("web:plan_history", "web:plan_version", "web:plan_compare")
    },
    "web:plan_edit": where(
        PLAN_WRITING,
        OK,
        FORBIDDEN,
        anonymous=SIGN_IN,
        outsider=NOT_FOUND,
        analyst=NOT_FOUND,
        administrator=NOT_FOUND,
    ),
    # Outcomes (docs/outcomes.md): recorded by the roles that write legal facts or outcomes
    # (case work and the clinician, who records only the kinds of outcome it writes); court
    # roles and the safeguarding lead reach the participant but are refused.
    "web:outcome_event_new": where(
        PLANNING,
        OK,
        FORBIDDEN,
        anonymous=SIGN_IN,
        outsider=NOT_FOUND,
        analyst=NOT_FOUND,
        administrator=NOT_FOUND,
    ),
    # A follow-up is outcomes: who may not read it gets the same 404 as for a missing one.
    "web:follow_up_mark": where(PLANNING, OK, NOT_FOUND, anonymous=SIGN_IN, outsider=NOT_FOUND),
    # The follow-ups due of the user's own team, for the roles that read outcomes (the
    # outsider's list is of their own team, and empty).
    "web:follow_ups_due": where(PLANNING, OK, FORBIDDEN, anonymous=SIGN_IN, outsider=OK),
    # Household: case work and treatment roles, never the court (R19).
    "web:household": where(
        RECORDING | {Role.CLINICIAN, Role.SAFEGUARDING_LEAD},
        OK,
        FORBIDDEN,
        anonymous=SIGN_IN,
        outsider=NOT_FOUND,
        analyst=NOT_FOUND,
        administrator=NOT_FOUND,
    ),
    # Break-glass: the designated safeguarding lead only (SEC-17).
    "web:break_glass_new": where(
        {Role.SAFEGUARDING_LEAD},
        OK,
        FORBIDDEN,
        anonymous=SIGN_IN,
        outsider=NOT_FOUND,
        analyst=NOT_FOUND,
        administrator=NOT_FOUND,
    ),
    "web:break_glass_reviews": where(
        {Role.SAFEGUARDING_LEAD}, OK, FORBIDDEN, anonymous=SIGN_IN, outsider=FORBIDDEN
    ),
    "web:break_glass_review": row(METHOD_NOT_ALLOWED, anonymous=SIGN_IN),
    # Accounting of disclosures and the record export: anyone reaching the participant, each
    # seeing only the categories their role may read (SEC-14, SEC-04).
    **{
        name: where(REACHING, OK, NOT_FOUND, anonymous=SIGN_IN, outsider=NOT_FOUND)
        for name in (
            "web:participant_disclosures",
            "web:participant_disclosures_pdf",
            "web:participant_export",
        )
    },
    # A statutory report to the court (SEC-15), on a running DRR episode: prepared by the
    # responsible officer (probation officer or case manager); every other role reaching the
    # participant is refused, and roles reaching no one get 404.
    "web:statutory_report": where(
        {Role.PROBATION_OFFICER, Role.CASE_MANAGER},
        OK,
        FORBIDDEN,
        anonymous=SIGN_IN,
        outsider=NOT_FOUND,
        analyst=NOT_FOUND,
        administrator=NOT_FOUND,
    ),
    # The second sign-in step (SEC-25): anyone signed in; once past it, both send you on.
    "web:mfa_verify": row(ON_TO_CASELOAD, anonymous=SIGN_IN, participant=ON_TO_CASELOAD),
    "web:mfa_enrol": row(ON_TO_CASELOAD, anonymous=SIGN_IN, participant=ON_TO_CASELOAD),
    # Everyone signed in manages their own sessions, the participant too.
    "web:account_sessions": row(OK, anonymous=SIGN_IN, participant=OK),
    # Portal access (docs/portal.md): opened by the roles that record identity.
    "web:portal_access": where(
        RECORDING,
        OK,
        FORBIDDEN,
        anonymous=SIGN_IN,
        outsider=NOT_FOUND,
        analyst=NOT_FOUND,
        administrator=NOT_FOUND,
    ),
    # The portal: the participant's own record only, never anyone else's (there is no id to
    # change); every member of staff is refused. Setting up a password needs no sign-in.
    **{
        name: row(FORBIDDEN, anonymous=SIGN_IN, participant=OK)
        for name in (
            "portal:home",
            "portal:disclosures",
            "portal:disclosures_pdf",
            "portal:export",
            "portal:consents",
            "portal:consent_pdf",
            "portal:consent_withdraw",
            "portal:questions",
            "portal:question",
        )
    },
    "portal:set_up": row(OK, anonymous=OK, participant=OK),
    # Assessments (docs/assessments.md): the list for anyone reaching the participant, holding
    # only what each may read; giving an instrument or recording an external assessment for the
    # roles that write strengths and risk and need (the programme team and the treatment
    # provider). The matrix's administration is BARC-10 in progress (strengths): a role that may
    # not read strengths finds no such administration.
    "web:assessments": where(REACHING, OK, NOT_FOUND, anonymous=SIGN_IN, outsider=NOT_FOUND),
    **{
        name: where(
            ASSESSING,
            OK,
            FORBIDDEN,
            anonymous=SIGN_IN,
            outsider=NOT_FOUND,
            analyst=NOT_FOUND,
            administrator=NOT_FOUND,
        )
        for name in ("web:administration_new", "web:external_assessment_new")
    },
    **{
        name: where(
            ASSESSING,
            OK,
            NOT_FOUND,
            anonymous=SIGN_IN,
            outsider=NOT_FOUND,
        )
        for name in (
            "web:administration",
            "web:administration_self",
            "web:administration_result",
            "web:administration_print",
        )
    },
    # The programme dashboard: de-identified, aggregated measures for analysts only.
    "web:analytics": where({Role.ANALYST}, OK, FORBIDDEN, anonymous=SIGN_IN, outsider=FORBIDDEN),
    # The audit log is for the administrator (data-protection officer) only.
    "web:audit_log": where(
        {Role.ADMINISTRATOR}, OK, FORBIDDEN, anonymous=SIGN_IN, outsider=FORBIDDEN
    ),
    # Reviews (docs/supervision.md, "Reviews"): the docket is for the judge (their own) and the
    # coordinator and case manager (their team's; the outsider sees their own, empty); a hearing
    # is recorded by its judge or the coordinator; the progress report is prepared (POST only)
    # by the coordinator or case manager and read by them and the hearing's judge.
    "web:docket": where(SCHEDULING | {Role.JUDGE}, OK, FORBIDDEN, anonymous=SIGN_IN, outsider=OK),
    "web:review_hearing": where(
        {Role.JUDGE, Role.COORDINATOR},
        OK,
        FORBIDDEN,
        anonymous=SIGN_IN,
        outsider=NOT_FOUND,
        analyst=NOT_FOUND,
        administrator=NOT_FOUND,
    ),
    "web:progress_report_new": where(
        (), OK, METHOD_NOT_ALLOWED, anonymous=SIGN_IN, outsider=METHOD_NOT_ALLOWED
    ),
    "web:progress_report": where(
        SCHEDULING | {Role.JUDGE}, OK, NOT_FOUND, anonymous=SIGN_IN, outsider=NOT_FOUND
    ),
    # Supervision (docs/supervision.md). The calendar and the call-in list are for the roles
    # that record attendance (KEEPING); the outsider, a coordinator elsewhere, sees their own.
    **{
        name: where(KEEPING, OK, FORBIDDEN, anonymous=SIGN_IN, outsider=OK)
        for name in ("web:calendar", "web:call_in")
    },
    # A participant's appointments, outcomes, test schedule and recording a forensic test: the
    # roles that record attendance and drug tests, in the participant's team.
    **{
        name: where(
            KEEPING,
            OK,
            FORBIDDEN,
            anonymous=SIGN_IN,
            outsider=NOT_FOUND,
            analyst=NOT_FOUND,
            administrator=NOT_FOUND,
        )
        for name in (
            "web:appointment_new",
            "web:appointment_outcome",
            "web:drug_test_new",
            "web:drug_test_schedule",
        )
    },
    # Test results: read by case work and treatment; the court only where the programme's switch
    # or a consent allows, and the Ghent court receives none.
    "web:drug_tests": where(
        KEEPING,
        OK,
        FORBIDDEN,
        anonymous=SIGN_IN,
        outsider=NOT_FOUND,
        analyst=NOT_FOUND,
        administrator=NOT_FOUND,
    ),
    # Interpreted by the probation officer or the key worker; other readers are refused, and a
    # test the persona may not read is not there for them.
    "web:drug_test_interpretation": where(
        INTERPRETING,
        OK,
        NOT_FOUND,
        anonymous=SIGN_IN,
        outsider=NOT_FOUND,
        coordinator=FORBIDDEN,
        case_manager=FORBIDDEN,
    ),
    # Responses (docs/supervision.md): read by whoever reads the pathway or test results in the
    # programme (each response by its own category); recorded by the roles that write either.
    "web:responses": where(
        REACHING,
        OK,
        NOT_FOUND,
        anonymous=SIGN_IN,
        outsider=NOT_FOUND,
        safeguarding_lead=FORBIDDEN,
    ),
    "web:response_new": where(
        KEEPING,
        OK,
        FORBIDDEN,
        anonymous=SIGN_IN,
        outsider=NOT_FOUND,
        analyst=NOT_FOUND,
        administrator=NOT_FOUND,
    ),
    # Counts only, per programme of the user's team whose pathway the role reads.
    # The safeguarding lead reads no pathway.
    "web:response_ratios": where(
        REACHING - {Role.SAFEGUARDING_LEAD}, OK, FORBIDDEN, anonymous=SIGN_IN, outsider=OK
    ),
    # A programme's fidelity: counts for its pathway's readers in the team, alerts within reach
    # and the categories the role reads; another team's programme is not found.
    "web:fidelity": where(
        REACHING - {Role.SAFEGUARDING_LEAD}, OK, FORBIDDEN, anonymous=SIGN_IN, outsider=NOT_FOUND
    ),
    # Phase proposals: seen by the pathway's readers, decided by its writers.
    "web:phase_proposals": where(
        REACHING - {Role.SAFEGUARDING_LEAD}, OK, FORBIDDEN, anonymous=SIGN_IN, outsider=OK
    ),
    "web:phase_proposal_decision": where(
        RECORDING,
        OK,
        FORBIDDEN,
        anonymous=SIGN_IN,
        outsider=NOT_FOUND,
    ),
}

# A session signed in with a password but not yet past the security-code step (SEC-25), of a
# user who has set up an authenticator app: every page sends it to enter a code, except these.
# tests/test_sign_in_with_security_code.py walks every page with such a session.
UNVERIFIED_EXCEPTIONS: dict[str, str] = {
    "logout": METHOD_NOT_ALLOWED,  # a POST signs out
    "web:mfa_verify": OK,
    "web:mfa_enrol": SECURITY_CODE,  # already set up: on to enter a code
    # The API reads no session: its own description holds no data, and every operation
    # answers 401 without a bearer token (checked there too).
    "api-1:openapi-json": OK,
    "api-1:openapi-view": OK,
    "api-1:api-root": NOT_FOUND,
}

_LIST = row(OK, anonymous=UNAUTHENTICATED)
_CUSTODY = "/api/participants/{participant_id}/custody-episodes/{custody_id}"
_DETAIL = where(REACHING, OK, NOT_FOUND, anonymous=UNAUTHENTICATED, outsider=NOT_FOUND)

OPERATIONS: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/api/participants"): _LIST,
    ("POST", "/api/participants"): where(
        RECORDING, OK, FORBIDDEN, anonymous=UNAUTHENTICATED, outsider=FORBIDDEN
    ),
    ("GET", "/api/participants/{participant_id}"): _DETAIL,
    ("PATCH", "/api/participants/{participant_id}"): where(
        RECORDING,
        OK,
        FORBIDDEN,
        anonymous=UNAUTHENTICATED,
        outsider=NOT_FOUND,
        analyst=NOT_FOUND,
        administrator=NOT_FOUND,
    ),
    **{
        ("POST", f"/api/participants/{{participant_id}}/{what}"): where(
            RECORDING,
            OK,
            FORBIDDEN,
            anonymous=UNAUTHENTICATED,
            outsider=NOT_FOUND,
            analyst=NOT_FOUND,
            administrator=NOT_FOUND,
        )
        for what in ("identifiers", "contact-details")
    },
    # Withdrawn by whoever may record it; one whose category the persona may not read is not
    # found (people/identifiers.py, reads.participant_detail_read): the row's identifier is a
    # court case number, legal, which treatment roles do not read.
    **{
        ("POST", f"/api/participants/{{participant_id}}/{what}/{{{key}}}/withdraw"): where(
            RECORDING,
            OK,
            FORBIDDEN,
            anonymous=UNAUTHENTICATED,
            outsider=NOT_FOUND,
            analyst=NOT_FOUND,
            administrator=NOT_FOUND,
            **extra,
        )
        for what, key, extra in (
            (
                "identifiers",
                "identifier_id",
                {"clinician": NOT_FOUND, "safeguarding_lead": NOT_FOUND},
            ),
            ("contact-details", "contact_id", {}),
        )
    },
    # Only a coordinator merges and unmerges records (people/merge.py).
    **{
        ("POST", f"/api/participants/{{participant_id}}/{what}"): where(
            {Role.COORDINATOR},
            OK,
            FORBIDDEN,
            anonymous=UNAUTHENTICATED,
            outsider=NOT_FOUND,
            analyst=NOT_FOUND,
            administrator=NOT_FOUND,
        )
        for what in ("merge", "unmerge")
    },
    ("GET", "/api/referrals"): _LIST,
    ("POST", "/api/referrals"): where(
        RECORDING,
        OK,
        FORBIDDEN,
        anonymous=UNAUTHENTICATED,
        outsider=BAD_REQUEST,
        analyst=BAD_REQUEST,
        administrator=BAD_REQUEST,
    ),
    ("GET", "/api/referrals/{referral_id}"): _DETAIL,
    ("PATCH", "/api/referrals/{referral_id}"): where(
        RECORDING,
        OK,
        FORBIDDEN,
        anonymous=UNAUTHENTICATED,
        outsider=NOT_FOUND,
        analyst=NOT_FOUND,
        administrator=NOT_FOUND,
    ),
    ("GET", "/api/referrals/{referral_id}/transitions"): _DETAIL,
    ("POST", "/api/referrals/{referral_id}/transitions"): where(
        RECORDING,
        OK,
        FORBIDDEN,
        anonymous=UNAUTHENTICATED,
        outsider=NOT_FOUND,
        analyst=NOT_FOUND,
        administrator=NOT_FOUND,
    ),
    # The step is recorded by the coordinator: only they (its author, and a coordinator) may
    # correct or withdraw it.
    **{
        ("POST", f"/api/referrals/{{referral_id}}/transitions/{{transition_id}}/{what}"): where(
            {Role.COORDINATOR},
            OK,
            FORBIDDEN,
            anonymous=UNAUTHENTICATED,
            outsider=NOT_FOUND,
            analyst=NOT_FOUND,
            administrator=NOT_FOUND,
        )
        for what in ("correction", "withdrawal")
    },
    # Consent to take part (R12): anyone reaching the referral lists them, but only roles that
    # read legal facts in its programme get their content (SEC-04); recording and withdrawing
    # one is for the roles that write legal facts, as on the page. The body's referral is fresh.
    ("GET", "/api/referrals/{referral_id}/participation-consents"): _DETAIL,
    **{
        ("POST", path): where(
            RECORDING,
            OK,
            FORBIDDEN,
            anonymous=UNAUTHENTICATED,
            outsider=NOT_FOUND,
            analyst=NOT_FOUND,
            administrator=NOT_FOUND,
        )
        for path in (
            "/api/referrals/{referral_id}/participation-consents",
            "/api/referrals/{referral_id}/participation-consents/{consent_id}/withdraw",
        )
    },
    # Consents to share (SEC-39): the programme team (who write identity) and the treatment
    # provider (who writes clinical information), the two who ask the participant; no one else,
    # the safeguarding lead and the court included.
    **{
        (method, path): where(
            RECORDING | {Role.CLINICIAN},
            OK,
            FORBIDDEN,
            anonymous=UNAUTHENTICATED,
            outsider=NOT_FOUND,
            analyst=NOT_FOUND,
            administrator=NOT_FOUND,
        )
        for method, path in (
            ("GET", "/api/participants/{participant_id}/share-consents"),
            ("POST", "/api/participants/{participant_id}/share-consents"),
            ("POST", "/api/participants/{participant_id}/share-consents/{consent_id}/revoke"),
        )
    },
    # Court orders and subpoenas (SEC-16): kept, and alone listed, by the roles that write legal
    # facts (docs/api.md); court roles read legal facts but keep no orders, so are refused.
    **{
        (method, path): where(
            RECORDING,
            OK,
            FORBIDDEN,
            anonymous=UNAUTHENTICATED,
            outsider=NOT_FOUND,
            analyst=NOT_FOUND,
            administrator=NOT_FOUND,
        )
        for method, path in (
            ("GET", "/api/participants/{participant_id}/court-orders"),
            ("POST", "/api/participants/{participant_id}/court-orders"),
            ("POST", "/api/participants/{participant_id}/court-orders/{order_id}/end"),
        )
    },
    # Matching (docs/matching.md): the recovery plan's readers see it, its writers decide; the
    # body's referral is fresh, with a needs checklist naming housing, so every planner sees the
    # housing proposal.
    **{
        (method, path): where(
            roles,
            OK,
            FORBIDDEN,
            anonymous=UNAUTHENTICATED,
            outsider=NOT_FOUND,
            analyst=NOT_FOUND,
            administrator=NOT_FOUND,
        )
        for method, path, roles in (
            ("GET", "/api/referrals/{referral_id}/matching", PLANNING),
            ("POST", "/api/referrals/{referral_id}/matching/decisions", PLAN_WRITING),
        )
    },
    # Custody and release (docs/supervision.md), as on the pages: custody episodes and the
    # release plan are read by readers of legal facts or the pathway (the clinician reads the
    # plan and its release day, not the episode's own facts); custody and release are recorded,
    # and a plan started, by the roles that write legal facts and the pathway; the body's task
    # (the first community appointment, pathway) is set by those roles, not the clinician.
    **{
        (method, path): where(
            RECORDING | COURT | {Role.CLINICIAN},
            OK,
            FORBIDDEN,
            anonymous=UNAUTHENTICATED,
            outsider=NOT_FOUND,
            analyst=NOT_FOUND,
            administrator=NOT_FOUND,
        )
        for method, path in (
            ("GET", "/api/participants/{participant_id}/custody-episodes"),
            ("GET", f"{_CUSTODY}/release-plan"),
        )
    },
    **{
        (method, path): where(
            RECORDING,
            OK,
            FORBIDDEN,
            anonymous=UNAUTHENTICATED,
            outsider=NOT_FOUND,
            analyst=NOT_FOUND,
            administrator=NOT_FOUND,
        )
        for method, path in (
            ("POST", "/api/participants/{participant_id}/custody-episodes"),
            ("POST", f"{_CUSTODY}/release"),
            ("POST", f"{_CUSTODY}/release-plan"),
            ("PUT", f"{_CUSTODY}/release-plan/items/{{item}}"),
        )
    },
    # Outcomes (docs/outcomes.md): events are listed to the roles that read legal facts or
    # outcomes (each sees its own categories), and the body records a housing status, which
    # case work and the clinician write; follow-ups are outcomes, and one a role may not read
    # is not found.
    ("GET", "/api/participants/{participant_id}/outcome-events"): where(
        REACHING - {Role.SAFEGUARDING_LEAD},
        OK,
        FORBIDDEN,
        anonymous=UNAUTHENTICATED,
        outsider=NOT_FOUND,
        analyst=NOT_FOUND,
        administrator=NOT_FOUND,
    ),
    **{
        (method, path): where(
            PLANNING,
            OK,
            FORBIDDEN,
            anonymous=UNAUTHENTICATED,
            outsider=NOT_FOUND,
            analyst=NOT_FOUND,
            administrator=NOT_FOUND,
        )
        for method, path in (
            ("POST", "/api/participants/{participant_id}/outcome-events"),
            ("GET", "/api/participants/{participant_id}/follow-ups"),
        )
    },
    ("POST", "/api/participants/{participant_id}/follow-ups/{follow_up_id}/mark"): where(
        PLANNING, OK, NOT_FOUND, anonymous=UNAUTHENTICATED, outsider=NOT_FOUND
    ),
    # Household (R19): read by case work and treatment roles, never the court; the safeguarding
    # lead only through a break-glass, and the world has none.
    ("GET", "/api/participants/{participant_id}/household"): where(
        RECORDING | {Role.CLINICIAN},
        OK,
        FORBIDDEN,
        anonymous=UNAUTHENTICATED,
        outsider=NOT_FOUND,
        analyst=NOT_FOUND,
        administrator=NOT_FOUND,
    ),
    # Children are added by the roles that write household information: not the probation
    # officer, who reads it, nor the clinician.
    ("POST", "/api/participants/{participant_id}/household"): where(
        {Role.COORDINATOR, Role.CASE_MANAGER},
        OK,
        FORBIDDEN,
        anonymous=UNAUTHENTICATED,
        outsider=NOT_FOUND,
        analyst=NOT_FOUND,
        administrator=NOT_FOUND,
    ),
    # Closing portal access: the roles that record identity, as on the portal-access page. The
    # body's participant has a fresh open account.
    ("POST", "/api/participants/{participant_id}/portal-access/close"): where(
        RECORDING,
        OK,
        FORBIDDEN,
        anonymous=UNAUTHENTICATED,
        outsider=NOT_FOUND,
        analyst=NOT_FOUND,
        administrator=NOT_FOUND,
    ),
    # Recovery plans (docs/plans.md): read by case work and treatment roles (the court only
    # through a consent or an order, and the world has none for the plan); made and changed by
    # the coordinator, the case manager and the clinician (the key worker).
    **{
        ("GET", path): where(
            RECORDING | {Role.CLINICIAN},
            OK,
            FORBIDDEN,
            anonymous=UNAUTHENTICATED,
            outsider=NOT_FOUND,
            analyst=NOT_FOUND,
            administrator=NOT_FOUND,
        )
        for path in (
            "/api/participants/{participant_id}/plan",
            "/api/participants/{participant_id}/plan/versions/{number}",
        )
    },
    **{
        ("POST", path): where(
            PLAN_WRITING,
            OK,
            FORBIDDEN,
            anonymous=UNAUTHENTICATED,
            outsider=NOT_FOUND,
            analyst=NOT_FOUND,
            administrator=NOT_FOUND,
        )
        for path in (
            "/api/participants/{participant_id}/plan",
            "/api/participants/{participant_id}/plan/versions",
        )
    },
    # Assessments (docs/api.md): the catalogue holds no participant data; a participant's
    # assessments list only what each reader may read; writes by the roles that write strengths
    # and risk and need. An administration the reader may not read (BARC-10, strengths) is not
    # found.
    ("GET", "/api/instruments"): _LIST,
    ("GET", "/api/instruments/{instrument_id}"): _LIST,
    ("GET", "/api/participants/{participant_id}/assessments"): _DETAIL,
    **{
        ("POST", f"/api/participants/{{participant_id}}/{what}"): where(
            ASSESSING,
            OK,
            FORBIDDEN,
            anonymous=UNAUTHENTICATED,
            outsider=NOT_FOUND,
            analyst=NOT_FOUND,
            administrator=NOT_FOUND,
        )
        for what in ("administrations", "external-assessments")
    },
    ("GET", "/api/administrations/{administration_id}/fhir"): where(
        ASSESSING, OK, NOT_FOUND, anonymous=UNAUTHENTICATED, outsider=NOT_FOUND
    ),
    **{
        (method, path): where(
            ASSESSING, OK, NOT_FOUND, anonymous=UNAUTHENTICATED, outsider=NOT_FOUND
        )
        for method, path in (
            ("PATCH", "/api/administrations/{administration_id}"),
            ("POST", "/api/administrations/{administration_id}/complete"),
        )
    },
    ("GET", "/api/episodes"): _LIST,
    ("GET", "/api/episodes/{episode_id}"): _DETAIL,
    # Only the programme team's coordinator assigns the key worker and case manager.
    ("PUT", "/api/episodes/{episode_id}/assignment"): where(
        {Role.COORDINATOR},
        OK,
        FORBIDDEN,
        anonymous=UNAUTHENTICATED,
        outsider=NOT_FOUND,
        analyst=NOT_FOUND,
        administrator=NOT_FOUND,
    ),
    ("GET", "/api/programmes"): _LIST,
    ("GET", "/api/programmes/{slug}"): _LIST,
    # Appointments are attendance: read by case work, treatment, the judge and the defence;
    # written by the roles that record attendance.
    ("GET", "/api/participants/{participant_id}/appointments"): where(
        KEEPING | {Role.JUDGE, Role.DEFENCE},
        OK,
        FORBIDDEN,
        anonymous=UNAUTHENTICATED,
        outsider=NOT_FOUND,
        analyst=NOT_FOUND,
        administrator=NOT_FOUND,
    ),
    **{
        (method, path): where(
            KEEPING,
            OK,
            FORBIDDEN,
            anonymous=UNAUTHENTICATED,
            outsider=NOT_FOUND,
            analyst=NOT_FOUND,
            administrator=NOT_FOUND,
        )
        for method, path in (
            ("POST", "/api/participants/{participant_id}/appointments"),
            ("PATCH", "/api/participants/{participant_id}/appointments/{appointment_id}"),
            ("POST", "/api/participants/{participant_id}/appointments/{appointment_id}/reschedule"),
            # Ghent's court receives no test results: only case work and treatment read them.
            ("GET", "/api/participants/{participant_id}/drug-tests"),
            ("POST", "/api/participants/{participant_id}/drug-tests"),
        )
    },
    ("POST", "/api/participants/{participant_id}/drug-tests/{test_id}/interpretation"): where(
        INTERPRETING,
        OK,
        FORBIDDEN,
        anonymous=UNAUTHENTICATED,
        outsider=NOT_FOUND,
        analyst=NOT_FOUND,
        administrator=NOT_FOUND,
    ),
    # Reviews (docs/supervision.md, "Reviews"): the coordinator and case manager schedule
    # hearings and prepare the court's progress reports; the judge reads their own docket and
    # records their hearings, as the coordinator may. The outsider, a coordinator elsewhere,
    # sees and schedules only their own team's (none here).
    ("GET", "/api/dockets"): where(
        SCHEDULING | {Role.JUDGE}, OK, FORBIDDEN, anonymous=UNAUTHENTICATED, outsider=OK
    ),
    ("POST", "/api/dockets/schedule"): where(
        SCHEDULING, OK, FORBIDDEN, anonymous=UNAUTHENTICATED, outsider=OK
    ),
    ("POST", "/api/review-hearings"): where(
        SCHEDULING, OK, FORBIDDEN, anonymous=UNAUTHENTICATED, outsider=NOT_FOUND
    ),
    ("PATCH", "/api/review-hearings/{hearing_id}"): where(
        {Role.JUDGE, Role.COORDINATOR},
        OK,
        FORBIDDEN,
        anonymous=UNAUTHENTICATED,
        outsider=NOT_FOUND,
        analyst=NOT_FOUND,
        administrator=NOT_FOUND,
    ),
    ("POST", "/api/review-hearings/{hearing_id}/progress-reports"): where(
        SCHEDULING, OK, FORBIDDEN, anonymous=UNAUTHENTICATED, outsider=NOT_FOUND
    ),
    ("GET", "/api/progress-reports/{report_id}"): where(
        SCHEDULING | {Role.JUDGE}, OK, NOT_FOUND, anonymous=UNAUTHENTICATED, outsider=NOT_FOUND
    ),
    # Responses: read where the pathway or test results are read; recorded by the roles that
    # write either (as the pages).
    ("GET", "/api/participants/{participant_id}/responses"): where(
        REACHING,
        OK,
        NOT_FOUND,
        anonymous=UNAUTHENTICATED,
        outsider=NOT_FOUND,
        safeguarding_lead=FORBIDDEN,
    ),
    # The body answers attendance (pathway): the clinician, who writes drug test responses but
    # not the pathway, is refused by the service.
    ("POST", "/api/participants/{participant_id}/responses"): where(
        RECORDING,
        OK,
        FORBIDDEN,
        anonymous=UNAUTHENTICATED,
        outsider=NOT_FOUND,
        analyst=NOT_FOUND,
        administrator=NOT_FOUND,
    ),
    ("GET", "/api/phase-proposals"): where(
        REACHING - {Role.SAFEGUARDING_LEAD},
        OK,
        FORBIDDEN,
        anonymous=UNAUTHENTICATED,
        outsider=OK,
    ),
    # Readers of the pathway see the proposal but may not decide it: 403; others do not see it.
    ("POST", "/api/phase-proposals/{proposal_id}/decision"): where(
        RECORDING,
        OK,
        NOT_FOUND,
        anonymous=UNAUTHENTICATED,
        outsider=NOT_FOUND,
        clinician=FORBIDDEN,
        judge=FORBIDDEN,
        prosecutor=FORBIDDEN,
        defence=FORBIDDEN,
    ),
}
# The API is for staff and integrations: a participant's token, even one written to the table by
# hand, signs no one in (turnpoint/api/auth.py).
for _outcomes in OPERATIONS.values():
    _outcomes[PARTICIPANT] = UNAUTHENTICATED
