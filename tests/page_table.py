"""Every staff and portal page, for the roles that use it, with realistic data: the one table the
clean-interface tests walk (docs/web.md, "Every page, checked").

- tests/web/test_clean_pages.py renders each through Django's test client and looks for raw
  template text, ids, codes and Python reprs in what a person reads;
- tests/browser/test_accessibility_browser.py opens each in chromium, runs axe-core (WCAG 2.2
  AA) and checks it fits a 375 px screen.

A new page joins both by adding a `Page` row to PAGES: the persona who uses it (a persona
username from turnpoint.accounts.personas, "participant" for Robin in the portal, "anonymous"
for a visitor not signed in), its URL name, and its kwargs, where a string value names an id
of `build_world()` (add the object the page needs there). `submit` (the browser) and `post`
(the test client) show the page again after a refused form; `status` is the answer expected.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from matching_helpers import assess
from outcome_helpers import left_programme
from participation_helpers import consent_to_take_part

from turnpoint.accounts import totp
from turnpoint.accounts.mfa import MFA_SESSION_KEY
from turnpoint.accounts.models import Role, TotpDevice
from turnpoint.assessments.domains import LifeDomain
from turnpoint.assessments.services import (
    administration_complete,
    administration_start,
    external_assessment_record,
)
from turnpoint.journeys.services import referral_create, referral_transition
from turnpoint.outcomes.models import FollowUp
from turnpoint.outcomes.services import outcome_event_record
from turnpoint.people.identifiers import contact_add
from turnpoint.people.merge import participant_merge
from turnpoint.people.services import household_child_add, participant_create
from turnpoint.plans.services import GoalIn, ServiceIn, plan_create, plan_revise
from turnpoint.portal.services import portal_set_up, portal_setup_code_issue
from turnpoint.sharing.categories import Category, Purpose
from turnpoint.sharing.consents import share_consent_create
from turnpoint.sharing.court_orders import court_order_record
from turnpoint.sharing.progress_reports import progress_report_generate
from turnpoint.sharing.reach import participants_visible_to
from turnpoint.sharing.record import read_recorded
from turnpoint.sharing.safeguarding import break_glass_open
from turnpoint.supervision.custody import (
    custody_record,
    release_plan_start,
    release_record,
    release_task_set,
)
from turnpoint.supervision.reviews import review_hearing_record, review_hearing_request
from turnpoint.supervision.services import (
    appointment_book,
    appointment_outcome_record,
    drug_test_interpret,
    drug_test_record,
)

PORTAL_PASSWORD = "a long and memorable sentence"
SCENARIO = (Path(settings.BASE_DIR) / "scenarios" / "ew_ost_continuity_for_all.yaml").read_text()
TO_EPISODE = ("screening", "eligibility", "assessment", "recommendation", "decision", "episode")


@dataclass(frozen=True)
class Page:
    name: str  # how the page is named in the test's output ("axe: <name>: 0 violations")
    persona: str
    url_name: str
    kwargs: dict = field(
        default_factory=dict
    )  # a str value naming a key of build_world() is its id
    query: str = ""
    status: int = 200
    submit: str = ""  # browser: click this button, after filling `fill`, to show errors
    fill: dict = field(default_factory=dict)  # browser: CSS selector -> what to type first
    post: dict | None = None  # test client: POST this instead of a GET
    # False: signed in with the password only, not yet past the security code (SEC-25).
    second_factor: bool = True

    def form(self, world: dict) -> dict:
        """What the test client posts: `post`, with "{key}" values naming a build_world() id."""
        return {k: str(world[v[1:-1]]) if str(v).startswith("{") else v
                for k, v in (self.post or {}).items()}  # fmt: skip

    def url(self, world: dict) -> str:
        kwargs = {k: world.get(v, v) if isinstance(v, str) else v for k, v in self.kwargs.items()}
        return reverse(self.url_name, kwargs=kwargs) + (f"?{self.query}" if self.query else "")


P = {"pk": "participant"}
ROBIN_CUSTODY = {"pk": "participant", "custody_pk": "custody"}
DARA_CUSTODY = {"pk": "drr_participant", "custody_pk": "open_custody"}
# Substance use Robin told the team about today: the response page shows the guide's options.
TODAY_BEHAVIOUR = (
    f"behaviour=substance_use_disclosed&behaviour_on-day={date.today().day}"
    f"&behaviour_on-month={date.today().month}&behaviour_on-year={date.today().year}"
)
R = {"pk": "referral"}
STEP = {"pk": "referral", "step_pk": "step"}
WITHDRAW_PHONE = {"pk": "participant", "kind": "contact", "detail_pk": "phone"}
ADMINISTRATION = {"pk": "participant", "administration_pk": "readiness"}
# Robin again, typed as Robyn: the intake page shows the likely duplicate before saving.
_DAY = date.today()
LIKELY_DUPLICATE = {
    "given_name": "Robyn", "family_name": "Example", "date_of_birth-day": "17",
    "date_of_birth-month": "5", "date_of_birth-year": "1990", "sex": "female",
    "ethnicity": "prefer_not_to_say", "programme": "{ghent}", "source": "police",
    "offence_category": "acquisitive", "drug_related_type": "economic_compulsive",
    "offence_date-day": str((_DAY - timedelta(days=40)).day),
    "offence_date-month": str((_DAY - timedelta(days=40)).month),
    "offence_date-year": str((_DAY - timedelta(days=40)).year),
    "referral_date-day": str(_DAY.day), "referral_date-month": str(_DAY.month),
    "referral_date-year": str(_DAY.year),
}  # fmt: skip
LIKELY_DUPLICATE_FILL = {
    **{f"#id_{k}": v for k, v in LIKELY_DUPLICATE.items()
       if k not in ("sex", "ethnicity", "programme", "drug_related_type")},
    "input[name=sex][value=female]": "",
    "input[name=ethnicity][value=prefer_not_to_say]": "",
    "input[name=drug_related_type][value=economic_compulsive]": "",
    "#id_programme": "1",
}  # fmt: skip
# Robin's details with the family name left out: the page names the field and saves nothing.
CHANGED_DETAILS = {
    "expected_version": "1", "given_name": "Robin", "family_name": "", "preferred_name": "",
    "date_of_birth-day": "17", "date_of_birth-month": "5", "date_of_birth-year": "1990",
    "sex": "prefer_not_to_say", "ethnicity": "prefer_not_to_say", "reason": "Spelling",
}  # fmt: skip
# A change to Robin's plan whose staff note uses a label: the page warns and saves nothing.
PLAN_WORDING = {
    "expected_version": "2", "goal_rows": "1", "service_rows": "0",
    "agreed_on-day": str(_DAY.day), "agreed_on-month": str(_DAY.month),
    "agreed_on-year": str(_DAY.year), "review_on-day": str((_DAY + timedelta(days=60)).day),
    "review_on-month": str((_DAY + timedelta(days=60)).month),
    "review_on-year": str((_DAY + timedelta(days=60)).year), "goal-0-key": "1",
    "goal-0-domain": "housing", "goal-0-in_their_words": "A flat of my own",
    "goal-0-status": "open", "staff_note": "Known addict.",
}  # fmt: skip
PAGES = (
    # Signing in
    Page("sign-in", "anonymous", "login"),
    Page("sign-in, wrong password", "anonymous", "login", submit="Sign in", status=200,
         post={"username": "coordinator", "password": "not the password"}),
    Page("security code, set up", "analyst", "web:mfa_enrol", second_factor=False),
    Page("security code, set up refused", "analyst", "web:mfa_enrol", second_factor=False,
         fill={"#id_code": "000000"}, submit="Continue", status=400, post={"code": "000000"}),
    Page("security code", "judge", "web:mfa_verify", second_factor=False),
    Page("security code, refused", "judge", "web:mfa_verify", second_factor=False,
         fill={"#id_code": "000000"}, submit="Continue", status=400, post={"code": "000000"}),
    Page("portal set-up", "anonymous", "portal:set_up"),
    Page("portal set-up, refused", "anonymous", "portal:set_up", submit="Set my password",
         status=400, post={"reference": "", "code": ""}),
    # The caseload and the participant's record
    Page("caseload", "coordinator", "web:caseload"),
    Page("caseload, team", "coordinator", "web:caseload", query="view=team"),
    Page("caseload, judge", "judge", "web:caseload"),
    Page("caseload, analyst", "analyst", "web:caseload"),
    Page("caseload, stage filter refused", "safeguarding", "web:caseload",
         query="state=episode", status=403),
    Page("participant", "coordinator", "web:participant", P),
    Page("participant, judge", "judge", "web:participant", P),
    Page("participant, clinician", "clinician", "web:participant", P),
    Page("participant, safeguarding lead", "safeguarding", "web:participant", P),
    Page("participant, probation (report due)", "probation", "web:participant",
         {"pk": "drr_participant"}),
    Page("participant, eligibility not met", "coordinator", "web:participant", {"pk": "kim"}),
    Page("new referral", "coordinator", "web:referral_new"),
    Page("new referral, refused", "coordinator", "web:referral_new",
         submit="Record the referral", status=400, post={"given_name": ""}),
    Page("new referral, judge", "judge", "web:referral_new", status=403),
    Page("new referral, likely duplicate", "coordinator", "web:referral_new",
         submit="Record the referral", post=LIKELY_DUPLICATE, fill=LIKELY_DUPLICATE_FILL),
    Page("new referral for someone known", "coordinator", "web:referral_new",
         query="participant={participant}"),
    # Corrections: a recorded step, the offence details
    Page("step, correct", "coordinator", "web:step_correct", STEP),
    Page("step, correct refused", "coordinator", "web:step_correct", STEP,
         submit="Save the correction", status=400, post={"reason": ""}),
    Page("step, withdraw", "coordinator", "web:step_withdraw", STEP),
    Page("offence details", "coordinator", "web:offence_edit", R),
    Page("offence details, refused", "coordinator", "web:offence_edit", R,
         submit="Save the offence details", status=400, post={"offence_date": ""},
         fill={"#id_offence_summary": "Took a bicycle\u202e"}),
    # One person, one record: identity details, identifiers, merging
    Page("participant details, change", "coordinator", "web:participant_edit", P),
    Page("participant details, change refused", "coordinator", "web:participant_edit", P,
         submit="Save the details", status=400, post=CHANGED_DETAILS,
         fill={"#id_family_name": "Example\u202e"}),
    Page("identifier or contact detail, new", "coordinator", "web:participant_detail_new", P),
    Page("identifier or contact detail, refused", "coordinator", "web:participant_detail_new",
         P, submit="Record it", status=400, post={}),
    Page("identifier or contact detail, withdraw", "coordinator",
         "web:participant_detail_withdraw", WITHDRAW_PHONE),
    Page("identifier or contact detail, withdraw refused", "coordinator",
         "web:participant_detail_withdraw", WITHDRAW_PHONE, submit="Withdraw it", status=400,
         post={}),
    Page("merge, choose", "coordinator", "web:participant_merge", P),
    Page("merge, choose refused", "coordinator", "web:participant_merge", P,
         fill={"#other": "TP-999999"}, submit="Continue", status=400, post={"other": "TP-999999"}),
    Page("merge, confirm", "coordinator", "web:participant_merge_confirm",
         {"pk": "participant", "other": "robyn"}),
    Page("merge, undo", "coordinator", "web:participant_unmerge",
         {"pk": "alex", "merge_pk": "merge"}),
    # Consent, household, safeguarding
    Page("consent to take part", "coordinator", "web:participation_consent_new",
         {"pk": "new_referral"}),
    Page("consent to take part, refused", "coordinator", "web:participation_consent_new",
         {"pk": "new_referral"}, submit="Record consent to take part", status=400, post={}),
    Page("consent to take part, withdraw", "coordinator", "web:participation_consent_withdraw",
         {"pk": "participant", "consent_pk": "participation_consent"}),
    Page("sharing and consent", "coordinator", "web:share_consents", P),
    Page("consent to share, new", "clinician", "web:share_consent_new", P),
    Page("consent to share, refused", "clinician", "web:share_consent_new", P,
         submit="Record consent to share", status=400, post={}),
    Page("consent to share, revoke", "clinician", "web:share_consent_revoke",
         {"pk": "participant", "consent_pk": "share_consent"}),
    Page("household", "coordinator", "web:household", P),
    # Custody and release: Robin left custody 5 days ago (in the 14 days after release), Dara
    # is in custody with a release expected in 3 weeks and no plan yet.
    Page("custody and release", "coordinator", "web:custody", P),
    Page("custody and release, clinician", "clinician", "web:custody", P),
    Page("record custody", "coordinator", "web:custody_new", P),
    Page("record custody, refused", "coordinator", "web:custody_new", P,
         submit="Record custody", status=400, post={"kind": "remand"}),
    Page("record release", "coordinator", "web:custody_release", DARA_CUSTODY),
    Page("record release, refused", "coordinator", "web:custody_release", DARA_CUSTODY,
         submit="Record release", status=400, fill={"#id_released_on-year": str(_DAY.year + 1)},
         post={"expected_version": "1", "released_on-day": "1", "released_on-month": "1",
               "released_on-year": str(_DAY.year + 1)}),
    Page("release plan", "coordinator", "web:release_plan", ROBIN_CUSTODY),
    Page("release plan, clinician", "clinician", "web:release_plan", ROBIN_CUSTODY),
    Page("release plan, not started", "coordinator", "web:release_plan", DARA_CUSTODY),
    Page("release task", "coordinator", "web:release_task",
         {**ROBIN_CUSTODY, "item": "first_appointment"}),
    Page("release task, clinician", "clinician", "web:release_task",
         {**ROBIN_CUSTODY, "item": "ost_continued"}),
    Page("release task, refused", "coordinator", "web:release_task",
         {**ROBIN_CUSTODY, "item": "housing"}, submit="Save", status=400,
         post={"expected_version": "{custody_plan_version}", "status": "not_needed"}),
    Page("releases", "coordinator", "web:releases"),
    Page("releases, clinician", "clinician", "web:releases"),
    Page("household, safeguarding lead", "safeguarding", "web:household", P),
    Page("safeguarding record, open", "safeguarding", "web:break_glass_new",
         {"pk": "drr_participant"}),
    Page("safeguarding reviews", "safeguarding", "web:break_glass_reviews"),
    # Court orders, records, reports, portal access
    Page("court orders", "coordinator", "web:court_orders", P),
    Page("court order, new", "coordinator", "web:court_order_new", P),
    Page("court order, refused", "coordinator", "web:court_order_new", P,
         submit="Record it", status=400, post={"kind": "order"}),
    Page("court order, end", "coordinator", "web:court_order_end",
         {"pk": "participant", "order_pk": "court_order"}),
    # The recovery plan: Robin's has two versions
    Page("recovery plan history", "coordinator", "web:plan_history", P),
    Page("recovery plan history, clinician", "clinician", "web:plan_history", P),
    Page("recovery plan, version", "coordinator", "web:plan_version",
         {"pk": "participant", "number": 1}),
    Page("recovery plan, compare", "coordinator", "web:plan_compare", P,
         query="older=1&newer=2"),
    Page("recovery plan, change", "coordinator", "web:plan_edit", P),
    Page("recovery plan, make", "coordinator", "web:plan_edit", {"pk": "drr_participant"}),
    Page("recovery plan, refused", "coordinator", "web:plan_edit", {"pk": "drr_participant"},
         submit="Save the plan", status=400, fill={"#id_review_on-year": "1999"},
         post={"goal_rows": "1", "service_rows": "0", "review_on-day": "1",
               "review_on-month": "1", "review_on-year": "1999"}),
    Page("recovery plan, wording to check", "coordinator", "web:plan_edit", P,
         submit="Save the plan", status=400, fill={"#id_staff_note": "Known addict."},
         post=PLAN_WORDING),
    Page("calendar", "coordinator", "web:calendar"),
    Page("calendar, a team member's week", "coordinator", "web:calendar",
         query="worker={clinician}&week={next_week}"),
    Page("call-in list", "probation", "web:call_in"),
    Page("docket, the judge's", "judge", "web:docket"),
    Page("docket, a judge's for the coordinator", "coordinator", "web:docket",
         query="judge={judge}"),
    Page("docket, schedule refused", "coordinator", "web:docket", query="judge={judge}",
         submit="Schedule the docket", status=400, post={"place": ""}),
    Page("docket, request refused", "casemanager", "web:docket", query="judge={judge}",
         submit="Schedule the hearing", status=400,
         post={"action": "request", "request-place": "Court 2"}),
    Page("review hearing, record", "judge", "web:review_hearing", {"pk": "hearing"}),
    Page("review hearing, refused", "judge", "web:review_hearing", {"pk": "hearing"},
         submit="Save the hearing", status=400, post={"status": "held", "version": "1"}),
    Page("progress report", "judge", "web:progress_report", {"pk": "progress_report"}),
    Page("appointment, book", "coordinator", "web:appointment_new", P),
    Page("appointment, book, refused", "coordinator", "web:appointment_new", P,
         submit="Book it", status=400, post={"place": "Room 4"}),
    Page("appointment, outcome", "coordinator", "web:appointment_outcome",
         {"pk": "participant", "appointment_pk": "appointment"}),
    Page("appointment, outcome, refused", "coordinator", "web:appointment_outcome",
         {"pk": "participant", "appointment_pk": "appointment"}, submit="Save", status=400,
         post={"outcome": "rescheduled", "version": "1"}),
    Page("drug tests", "probation", "web:drug_tests", P),
    Page("drug test, record", "probation", "web:drug_test_new", P),
    Page("drug test, record, refused", "probation", "web:drug_test_new", P,
         submit="Record the test", status=400, post={"specimen": "urine",
                                                     "opiates_result": "positive"}),
    Page("drug test, interpretation", "probation", "web:drug_test_interpretation",
         {"pk": "participant", "test_pk": "drug_test"}),
    Page("drug test, schedule", "coordinator", "web:drug_test_schedule", P),
    Page("responses", "coordinator", "web:responses", P),
    Page("responses, judge", "judge", "web:responses", P),
    Page("response, record", "coordinator", "web:response_new", P),
    Page("response, record, options", "coordinator", "web:response_new", P,
         query=TODAY_BEHAVIOUR),
    Page("response, record, refused", "coordinator", "web:response_new", P,
         submit="Show the responses on offer", status=400, post={"behaviour": ""}),
    Page("response ratios", "coordinator", "web:response_ratios"),
    Page("phase proposals", "coordinator", "web:phase_proposals"),
    Page("fidelity", "coordinator", "web:fidelity", {"slug": "ghent-dtc"}),
    Page("fidelity, judge", "judge", "web:fidelity", {"slug": "ghent-dtc"}),
    Page("phase proposal, decide", "coordinator", "web:phase_proposal_decision",
         {"proposal_pk": "proposal"}),
    Page("phase proposal, decide, refused", "coordinator", "web:phase_proposal_decision",
         {"proposal_pk": "proposal"}, submit="Save the decision", status=400,
         post={"decision": "decline", "version": "1"}),
    Page("who has seen this record", "coordinator", "web:participant_disclosures", P),
    Page("who has seen this record, judge", "judge", "web:participant_disclosures", P),
    Page("who has seen this record, refused period", "coordinator",
         "web:participant_disclosures", P, query="since=last+week", status=400),
    Page("statutory report", "probation", "web:statutory_report",
         {"pk": "drr_referral", "code": "drr-review-report"}),
    Page("portal access", "coordinator", "web:portal_access", P),
    # Matching: proposals from the programme's rules, and decisions on them
    Page("matching", "coordinator", "web:matching", R),
    Page("matching, clinician", "clinician", "web:matching", R),
    Page("matching, refused", "coordinator", "web:matching", R,
         submit="Save the decision on employment support", status=400,
         post={"rule_id": "employment-need", "version": "0"}),
    # Assessments: the list, giving an instrument, answering, the result, printing, external
    Page("assessments", "coordinator", "web:assessments", P),
    Page("assessments, judge", "judge", "web:assessments", P),
    Page("give an instrument", "coordinator", "web:administration_new", P),
    Page("give an instrument, refused", "coordinator", "web:administration_new", P,
         submit="Start", status=400, post={"setting": "intake", "mode": "staff"}),
    Page("administration, answer", "coordinator", "web:administration", ADMINISTRATION),
    Page("administration, answer refused", "coordinator", "web:administration", ADMINISTRATION,
         fill={"#item-importance": "11"}, submit="Finish and score", status=400,
         post={"expected_version": "1", "item-importance": "11", "finish": "1"}),
    Page("administration, the participant answers", "coordinator", "web:administration_self",
         ADMINISTRATION),
    Page("administration, result", "coordinator", "web:administration_result",
         {"pk": "participant", "administration_pk": "barc"}),
    Page("administration, printable form", "coordinator", "web:administration_print",
         {"pk": "participant", "administration_pk": "barc"}),
    Page("external assessment, new", "probation", "web:external_assessment_new", P),
    Page("external assessment, refused", "probation", "web:external_assessment_new", P,
         submit="Record it", status=400, post={"tool": ""}),
    # The analyst's and the administrator's pages, the account
    Page("policy simulator", "analyst", "simulator:page"),
    Page("policy simulator, refused", "analyst", "simulator:page", submit="Run simulation",
         fill={"#runs": "0"}, status=400, post={"scenario_yaml": "extends: nowhere.yaml"}),
    Page("policy simulator, results", "analyst", "simulator:page", submit="Run simulation",
         fill={"#runs": "3"}, post={"scenario_yaml": SCENARIO, "runs": "3"}),
    Page("programme dashboard", "analyst", "web:analytics"),
    Page("programme dashboard, by gender", "analyst", "web:analytics",
         query="from=2020-01-01&to=2030-12-31&group=gender"),
    Page("programme dashboard, refused period", "analyst", "web:analytics",
         query="from=last+year", status=400),
    Page("programme dashboard, one site", "analyst", "web:analytics",
         query="from=2020-01-01&to=2030-12-31&site=Programme+team"),
    Page("programme dashboard, refused site", "analyst", "web:analytics",
         query="site=Nowhere", status=400),
    Page("audit log", "administrator", "web:audit_log"),
    Page("audit log, verified", "administrator", "web:audit_log", query="verify=1"),
    Page("audit log, refused filter", "administrator", "web:audit_log",
         query="from=yesterday", status=400),
    Page("caseload, administrator", "administrator", "web:caseload"),
    Page("your sessions", "coordinator", "web:account_sessions"),
    # Outcomes: events on the participant page, recording one, follow-ups
    Page("outcome, new", "coordinator", "web:outcome_event_new", P),
    Page("outcome, new, clinician", "clinician", "web:outcome_event_new", P),
    Page("outcome, refused", "coordinator", "web:outcome_event_new", P, submit="Record it",
         status=400, post={"kind": "conviction"}),
    Page("follow-ups due", "casemanager", "web:follow_ups_due"),
    Page("follow-up, mark", "coordinator", "web:follow_up_mark", {"pk": "follow_up"}),
    Page("follow-up, refused", "coordinator", "web:follow_up_mark", {"pk": "follow_up"},
         submit="Save", status=400, post={"status": "missed"}),
    # Refusals and missing pages, in the staff voice
    Page("refused (403)", "clinician", "web:court_orders", P, status=403),
    Page("not found (404)", "coordinator", "web:participant", {"pk": 999999}, status=404),
    # The portal
    Page("portal home", "participant", "portal:home"),
    Page("portal, who has seen my record", "participant", "portal:disclosures"),
    Page("portal, who has seen my record, refused period", "participant",
         "portal:disclosures", query="until=tomorrow", status=400),
    Page("portal, sharing", "participant", "portal:consents"),
    Page("portal, withdraw", "participant", "portal:consent_withdraw",
         {"consent_pk": "share_consent"}),
    Page("portal, questions to answer", "participant", "portal:questions"),
    Page("portal, answer questions", "participant", "portal:question",
         {"administration_pk": "self_barc"}),
    Page("portal, answer questions refused", "participant", "portal:question",
         {"administration_pk": "self_barc"}, submit="I have finished", status=400,
         post={"expected_version": "1", "finish": "1"}),
    Page("portal, your sessions", "participant", "web:account_sessions"),
    Page("portal, refused (403)", "participant", "web:referral_new", status=403),
    Page("portal, not found (404)", "participant", "portal:consent_withdraw",
         {"consent_pk": 999999}, status=404),
)  # fmt: skip


def _episode(referral, user):
    for state in TO_EPISODE:
        if state == "episode":
            consent_to_take_part(referral, user)
        extra = {"decision": {"recommended_disposal": "programme"},
                 "episode": {"imposed_disposal": "programme"}}.get(state, {})  # fmt: skip
        referral_transition(referral, acting_user=user, to_state=state, **extra)
        referral.refresh_from_db()


def _decide_housing(referral, user) -> None:
    from turnpoint.plans.matching import match
    from turnpoint.plans.matching_decisions import match_decide
    from turnpoint.plans.matching_reads import matching_read

    facts = matching_read(user, referral).facts
    proposals = match(referral.programme.definition["matching"], facts).proposals
    housing = next(p for p in proposals if p.rule_id == "housing-need")
    match_decide(acting_user=user, referral=referral, proposal=housing, facts=facts,
                 outcome="rejected", reason="Housed by the council last month.")  # fmt: skip


def _reviews(referral, drr_referral, users):
    """Today's docket before the judge: Robin's review (Ghent, by rule) with a progress report,
    and Dara's (the DRR), held for four minutes with a decision."""
    coordinator, judge = users["coordinator"], users["judge"]
    hearing = review_hearing_request(acting_user=coordinator, referral=referral, judge=judge,
                                     held_on=date.today(), place="Court 3")  # fmt: skip
    report = progress_report_generate(acting_user=coordinator, hearing=hearing)
    dara = review_hearing_request(acting_user=coordinator, referral=drr_referral, judge=judge,
                                  held_on=date.today(), place="Court 3")  # fmt: skip
    review_hearing_record(dara, acting_user=judge, status="held", minutes_with_judge="4",
                          outcome="incentive", decision="Praised for a month of attendance.",
                          expected_version=1)  # fmt: skip
    return hearing, report


def _supervision(referral, users):
    """Robin's appointments (one kept last week with the coordinator, one with the clinician
    next week, a test called in for today) and a forensic test whose result came back late,
    interpreted by the probation officer."""
    coordinator, now = users["coordinator"], timezone.now()
    kept = appointment_book(acting_user=coordinator, referral=referral,
                            kind="supervision_meeting", starts_at=now - timedelta(days=6),
                            place="Programme office", with_user=coordinator)  # fmt: skip
    appointment_outcome_record(kept, acting_user=coordinator, outcome="attended",
                               expected_version=1)  # fmt: skip
    ahead = appointment_book(acting_user=coordinator, referral=referral,
                             kind="treatment_session", starts_at=now + timedelta(days=7),
                             with_user=users["clinician"])  # fmt: skip
    appointment_book(acting_user=coordinator, referral=referral, kind="drug_test",
                     starts_at=now, place="Testing room")  # fmt: skip
    test = drug_test_record(
        acting_user=users["probation"], referral=referral, collected_at=now - timedelta(hours=60),
        specimen="urine", purpose="forensic", witnessed=True,
        results_received_at=now - timedelta(hours=1),
        results=[{"substance": "opiates", "result": "positive", "confirmed": True,
                  "confirmation_method": "LC/MS", "level": "600 ng/mL", "cut_off": "300 ng/mL"},
                 {"substance": "cocaine", "result": "negative"}],
    )  # fmt: skip
    drug_test_interpret(test, acting_user=users["probation"], expected_version=1,
                        note="A lapse after a bereavement; attending every session.")  # fmt: skip
    return ahead, test


def _responses(referral, user):
    """A response to Robin's attendance, and a phase proposal open for the team."""
    from turnpoint.supervision.models import PhaseProposal
    from turnpoint.supervision.response_services import response_options, response_record

    option = response_options(referral, "attended_all_sessions", date.today()).options[0]
    response_record(acting_user=user, referral=referral, behaviour="attended_all_sessions",
                    behaviour_on=date.today(), option=option.text)  # fmt: skip
    return PhaseProposal.objects.create(
        episode=referral.episode, referral=referral, participant=referral.participant,
        phase_number=1, to_phase_number=2, proposed_on=date.today(),
        criteria=[{"criterion": "days_in_phase", "met": True, "category": "pathway",
                   "text": "44 days in the phase of the 42 needed"},
                  {"criterion": "attendance", "met": True, "category": "attendance",
                   "text": "attended 9 of 10 appointments in the last 28 days (90%; 75% needed)"}],
    )  # fmt: skip


def build_world(users: dict, programmes: dict) -> dict:
    """Robin on the Ghent drug treatment court with a running episode, a consent to share, a
    court order, a child in the household and a read by the judge; Dara on a DRR whose review
    report is due; Sam, newly referred; Robin's portal account with a password. Every persona
    works in both programmes. Returns the ids the page table names."""
    ghent, drr = programmes["ghent-dtc"], programmes["england-drr"]
    coordinator = users["coordinator"]
    for user in users.values():
        user.programmes.add(ghent, drr)

    def refer(given, family, programme, **values):
        person = participant_create(
            acting_user=coordinator, given_name=given, family_name=family,
            date_of_birth=date(1990, 5, 17),
        )  # fmt: skip
        return referral_create(
            acting_user=coordinator, participant=person, programme=programme, source="police",
            offence_category="acquisitive", drug_related_type="economic_compulsive",
            offence_date=date.today() - timedelta(days=60),
            referral_date=date.today() - timedelta(days=30),
            offence_summary="Took a bicycle from outside the station.", **values,
        )  # fmt: skip

    referral = refer("Robin", "Example", ghent)
    _episode(referral, coordinator)
    drr_referral = refer("Dara", "Whitfield", drr)
    _episode(drr_referral, coordinator)
    new_referral = refer("Sam", "Newcombe", ghent)
    # Kim's offence is one Ghent's rules turn away: the eligibility step asks for an override.
    kim = referral_create(
        acting_user=coordinator, programme=ghent, source="police", offence_category="violence",
        participant=participant_create(acting_user=coordinator, given_name="Kim",
                                       family_name="Laurent", date_of_birth=date(1994, 3, 2)),
        drug_related_type="psychopharmacological", offence_date=date.today() - timedelta(days=20),
        referral_date=date.today() - timedelta(days=10),
    )  # fmt: skip
    for state in ("screening", "eligibility"):
        referral_transition(kim, acting_user=coordinator, to_state=state)
    robyn = refer("Robyn", "Example", ghent).participant  # Robin recorded twice, not yet merged
    alex = refer("Alex", "Morgan", ghent).participant
    merge = participant_merge(
        acting_user=coordinator, kept=alex, duplicate=refer("Alex", "Morgan", drr).participant,
        reached=participants_visible_to(coordinator),
    )  # fmt: skip
    robin = referral.participant
    phone = contact_add(acting_user=coordinator, participant=robin, kind="phone",
                        value="+44 20 7946 0000")  # fmt: skip
    share = share_consent_create(
        acting_user=users["clinician"], participant=robin,
        disclosing_agency=users["clinician"].agency, recipient_role=Role.JUDGE,
        recipient_agency=users["judge"].agency, categories=[Category.TREATMENT_PROGRESS],
        purposes=[Purpose.COURT_REVIEW], starts_at=timezone.now() - timedelta(minutes=1),
        expires_at=timezone.now() + timedelta(days=90),
        revocation_statement="You can withdraw this consent at any time.",
        revocation_method="Tell your key worker.", signature_method="written",
        signed_by="Robin Example", signed_on=date.today(),
    )  # fmt: skip
    order = court_order_record(
        acting_user=coordinator, participant=robin, kind="order",
        court="Ghent court of first instance", reference="ORD-2026-1", made_on=date.today(),
        categories=[Category.CLINICAL], covers_from=date.today() - timedelta(days=365),
        covers_to=date.today(), recipient_role=Role.JUDGE, purposes=[Purpose.COURT_REVIEW],
        expires_at=timezone.now() + timedelta(days=30),
    )  # fmt: skip
    household_child_add(acting_user=coordinator, participant=robin, first_name="Ada",
                        year_of_birth=date.today().year - 6, relationship="daughter")  # fmt: skip
    break_glass_open(
        acting_user=users["safeguarding"], participant=robin, reason_code="child_at_risk",
        justification="The key worker heard the youngest child is left alone at night.",
    )  # fmt: skip
    plan = plan_create(
        acting_user=coordinator, referral=referral, agreed_on=date.today() - timedelta(days=14),
        review_on=date.today() + timedelta(days=60), agreed_with_participant=True,
        summary="A place of my own, and seeing my daughter at weekends.",
        goals=[GoalIn("housing", "A flat of my own", who_helps="Key worker"),
               GoalIn("substance_use", "Never use alone", harm_reduction=True)],
        services=[ServiceIn("medication_assisted_treatment", "Ghent recovery service", "1.5",
                            date.today() - timedelta(days=14))],
    )  # fmt: skip
    plan_revise(
        plan, acting_user=coordinator, expected_version=1, agreed_on=date.today(),
        review_on=date.today() + timedelta(days=60), agreed_with_participant=True,
        summary="A place of my own, and seeing my daughter at weekends.",
        goals=[GoalIn("housing", "A flat of my own", who_helps="Key worker", key=1),
               GoalIn("employment_education", "Start the bricklaying course")],
        services=[ServiceIn("medication_assisted_treatment", "Ghent recovery service", "1.5",
                            date.today() - timedelta(days=14), key=1)],
    )  # fmt: skip
    read_recorded(users["judge"], participants=[robin], categories=[Category.IDENTITY], obj=robin)
    # Robin's assessments, and one matching proposal decided (docs/matching.md).
    assess(referral, users["clinician"], level="medium", days={"opioids": 8, "cocaine": 2},
           needs=["substance_use", "housing", "employment_education"],
           phq_band="Moderate")  # fmt: skip
    _decide_housing(referral, coordinator)
    appointment, test = _supervision(referral, users)
    proposal = _responses(referral, coordinator)
    TotpDevice.objects.create(user=users["judge"], secret=totp.secret_new(),
                              confirmed_at=timezone.now())  # fmt: skip
    # Robin's assessments: BARC-10 at intake and review, readiness in progress, the needs
    # checklist, an LS/CMI level given by probation: the profile has something to draw.
    barc = None
    for days, value in ((40, 3), (5, 4)):
        barc = administration_complete(
            administration_start(acting_user=coordinator, participant=robin, referral=referral,
                                 instrument_id="barc-10", setting="intake" if days > 10 else
                                 "review", administered_on=date.today() - timedelta(days=days)),
            acting_user=coordinator, expected_version=1,
            answers={f"barc_{n}": value for n in range(1, 11)},
        )  # fmt: skip
    administration_complete(
        administration_start(acting_user=coordinator, participant=robin, referral=referral,
                             instrument_id="tp-life-domains", setting="intake",
                             administered_on=date.today() - timedelta(days=40)),
        acting_user=coordinator, expected_version=1,
        answers={f"need_{d}": n % 3 for n, d in enumerate(LifeDomain.values)},
    )  # fmt: skip
    readiness = administration_start(
        acting_user=coordinator, participant=robin, referral=referral,
        instrument_id="tp-readiness", setting="review", administered_on=date.today(),
    )  # fmt: skip
    self_barc = administration_start(
        acting_user=coordinator, participant=robin, referral=referral, instrument_id="barc-10",
        setting="review", administered_on=date.today(), mode="self",
    )  # fmt: skip
    external_assessment_record(acting_user=users["probation"], participant=robin,
                               referral=referral, tool="LS/CMI", level="medium", total="19",
                               assessed_on=date.today() - timedelta(days=50))  # fmt: skip
    hearing, report = _reviews(referral, drr_referral, users)
    account, code = portal_setup_code_issue(acting_user=coordinator, participant=robin)
    portal_set_up(reference=robin.reference, code=code, password=PORTAL_PASSWORD,
                  password_again=PORTAL_PASSWORD)  # fmt: skip
    account.refresh_from_db()
    custody = custody_record(
        acting_user=coordinator, participant=robin, referral=referral, kind="sanction",
        establishment="HMP Leeds", started_on=date.today() - timedelta(days=40),
        expected_release_on=date.today() - timedelta(days=5),
    )  # fmt: skip
    plan = release_plan_start(custody, acting_user=coordinator)
    release_task_set(plan, "naloxone_supplied", acting_user=users["clinician"], status="done",
                     note="Nasal kit and how to use it.")  # fmt: skip
    release_task_set(plan, "first_appointment", acting_user=coordinator, status="done",
                     appointment_on=date.today() - timedelta(days=4),
                     note="With the key worker at the community hub.")  # fmt: skip
    release_record(custody, acting_user=coordinator, released_on=date.today() - timedelta(days=5))
    open_custody = custody_record(
        acting_user=coordinator, participant=drr_referral.participant, referral=drr_referral,
        kind="remand", establishment="HMP Manchester",
        started_on=date.today() - timedelta(days=20),
        expected_release_on=date.today() + timedelta(days=21),
    )  # fmt: skip
    plan.refresh_from_db()
    # Robin's outcomes; Jordan left Ghent's programme 100 days ago: a follow-up is overdue.
    outcome_event_record(
        acting_user=coordinator, participant=robin, referral=referral, kind="arrest",
        offence_date=date.today() - timedelta(days=12),
        outcome_date=date.today() - timedelta(days=11),
        offence_category="acquisitive", outcome="pending", source_reference="PNC-2026-0001",
    )  # fmt: skip
    outcome_event_record(acting_user=coordinator, participant=robin, kind="housing",
                         status="temporary", effective_on=date.today())  # fmt: skip
    jordan = referral_create(
        acting_user=coordinator, programme=ghent, source="court",
        offence_category="drug_possession",
        participant=participant_create(acting_user=coordinator, given_name="Jordan",
                                       family_name="Reyes", date_of_birth=date(1988, 8, 8)),
        drug_related_type="drug_law", offence_date=date.today() - timedelta(days=160),
        referral_date=date.today() - timedelta(days=150),
    )  # fmt: skip
    left_programme(jordan, coordinator)
    return {
        "follow_up": FollowUp.objects.get(referral=jordan, months=3).pk,
        "custody": custody.pk,
        "custody_plan_version": plan.version,
        "open_custody": open_custody.pk,
        "participant": robin.pk,
        "referral": referral.pk,
        "step": referral.transitions.order_by("-occurred_on", "-id").first().pk,
        "participation_consent": referral.participation_consents.get().pk,
        "share_consent": share.pk,
        "court_order": order.pk,
        "appointment": appointment.pk,
        "drug_test": test.pk,
        "proposal": proposal.pk,
        "clinician": users["clinician"].pk,
        "next_week": (date.today() + timedelta(days=7)).isoformat(),
        "drr_participant": drr_referral.participant_id,
        "drr_referral": drr_referral.pk,
        "new_referral": new_referral.pk,
        "ghent": ghent.pk,
        "kim": kim.participant_id,
        "robyn": robyn.pk,
        "alex": alex.pk,
        "merge": merge.pk,
        "phone": phone.pk,
        "portal_user": account.user,
        "barc": barc.pk,
        "readiness": readiness.pk,
        "self_barc": self_barc.pk,
        "hearing": hearing.pk,
        "progress_report": report.pk,
        "judge": users["judge"].pk,
    }


def persona_user(users: dict, world: dict, persona: str):
    if persona == "anonymous":
        return None
    if persona == "participant":
        return world["portal_user"]
    return users[persona]


def page_url(page: Page, world: dict) -> str:
    url = page.url(world)
    return url.format(**world) if "{" in url else url


def signed_in(client, user, *, second_factor: bool = True):
    """`client` signed in as `user` (None: nobody); without the second factor, the session is
    past the password only (tests/conftest.py makes force_login pass both)."""
    client.logout()
    if user is not None:
        client.force_login(user)
        if not second_factor:
            session = client.session
            del session[MFA_SESSION_KEY]
            session.save()
    return client
