"""The header's navigation: each role's links to exactly the pages it may use (docs/web.md).

A link is shown when `may_use(user)` says the page would serve this user. The checks are the
pages' own role checks, decided without a query, so the header costs nothing on any page.
Pages about one participant or one referral (the record, who has seen it, court orders,
reports to the court, ...) are reached from the participant page, not from here.

A new page for everyone in a role? Add its `Link` here; tests/web/test_navigation.py checks
that each role's links answer 200 and that every page in the authorisation matrix a role may
open without an id in its address has a link, or a reason in `NOT_IN_NAVIGATION` there.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from turnpoint.accounts.models import Role
from turnpoint.sharing.categories import Category
from turnpoint.sharing.rules import decide


@dataclass(frozen=True)
class Link:
    label: str
    url_name: str
    may_use: Callable
    # Other pages (view names) that belong under this link: the link is marked as current there.
    section: tuple[str, ...] = ()


def _staff(user) -> bool:
    return user.role != Role.PARTICIPANT


def _participant(user) -> bool:
    return user.role == Role.PARTICIPANT


def _has_caseload(user) -> bool:
    # Analysts and administrators reach no participant: the caseload only says so.
    return _staff(user) and bool(decide(user, Category.IDENTITY))


def _may_refer(user) -> bool:
    categories = (Category.IDENTITY, Category.LEGAL, Category.PATHWAY)
    return _staff(user) and all(decide(user, c, action="write") for c in categories)


def _works_releases(user) -> bool:
    # The release list is for those who act on release plans (turnpoint/web/custody_views.py).
    writes = (Category.PATHWAY, Category.CLINICAL)
    return _staff(user) and any(decide(user, c, action="write") for c in writes)


def _safeguarding_lead(user) -> bool:
    return user.role == Role.SAFEGUARDING_LEAD and not user.is_superuser


def _administrator(user) -> bool:
    return user.role == Role.ADMINISTRATOR


def _analyst(user) -> bool:
    return user.role == Role.ANALYST


def _configures(user) -> bool:
    return _staff(user) and user.is_staff


def _keeps_attendance(user) -> bool:
    return _staff(user) and bool(decide(user, Category.ATTENDANCE, action="write"))


def _reads_outcomes(user) -> bool:
    return _staff(user) and bool(decide(user, Category.OUTCOMES))


def _reads_dockets(user) -> bool:
    # The review pages' own check (review_views.docket): the judge, the coordinator and the
    # case manager.
    return user.role in (Role.JUDGE, Role.COORDINATOR, Role.CASE_MANAGER)


def _reads_pathway(user) -> bool:
    return _staff(user) and bool(decide(user, Category.PATHWAY))


def _anyone(user) -> bool:
    return True


PARTICIPANT_PAGES = (
    "web:participant", "web:participant_disclosures", "web:share_consents",
    "web:share_consent_new", "web:share_consent_revoke", "web:participation_consent_new",
    "web:participation_consent_withdraw", "web:household", "web:court_orders",
    "web:court_order_new", "web:court_order_end", "web:break_glass_new", "web:statutory_report",
    "web:portal_access", "web:assessments", "web:administration_new", "web:administration",
    "web:administration_self", "web:administration_result", "web:external_assessment_new",
    "web:portal_access", "web:appointment_new", "web:appointment_outcome", "web:drug_tests",
    "web:drug_test_new", "web:drug_test_schedule", "web:drug_test_interpretation",
    "web:portal_access", "web:custody", "web:custody_new", "web:custody_release",
    "web:release_plan", "web:release_task",
    "web:portal_access", "web:outcome_event_new",
    "web:responses", "web:response_new",
)  # fmt: skip

LINKS = (
    Link("My caseload", "web:caseload", _has_caseload, section=PARTICIPANT_PAGES),
    Link("New referral", "web:referral_new", _may_refer),
    Link("Calendar", "web:calendar", _keeps_attendance),
    Link("Call-in list", "web:call_in", _keeps_attendance),
    Link("Releases", "web:releases", _works_releases),
    Link("Follow-ups due", "web:follow_ups_due", _reads_outcomes, section=("web:follow_up_mark",)),
    Link(
        "Dockets",
        "web:docket",
        _reads_dockets,
        section=("web:review_hearing", "web:progress_report"),
    ),
    Link(
        "Phase proposals",
        "web:phase_proposals",
        _reads_pathway,
        section=("web:phase_proposal_decision", "web:response_ratios"),
    ),
    Link("Safeguarding reviews", "web:break_glass_reviews", _safeguarding_lead),
    Link("Programme dashboard", "web:analytics", _analyst),
    Link("Policy simulator", "simulator:page", _staff),
    Link("Audit log", "web:audit_log", _administrator),
    Link("Configuration", "admin:index", _configures),
    Link("Your record", "portal:home", _participant),
    Link("Who has seen your record", "portal:disclosures", _participant),
    Link(
        "What you have agreed to share",
        "portal:consents",
        _participant,
        section=("portal:consent_withdraw",),
    ),
    Link("Questions to answer", "portal:questions", _participant, section=("portal:question",)),
    Link("Your sessions", "web:account_sessions", _anyone),
)


def navigation_for(user, current: str = "") -> list[dict]:
    """The links `user` sees, in order: label, href, whether it is the page shown (`current`,
    a view name such as "web:caseload") and whether the page shown is under it."""
    if not user.is_authenticated:
        return []
    return [
        {
            "label": link.label,
            "href": reverse(link.url_name),
            "url_name": link.url_name,
            "current": current == link.url_name,
            "active": current == link.url_name or current in link.section,
        }
        for link in LINKS
        if link.may_use(user)
    ]
