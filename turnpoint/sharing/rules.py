"""The rules: may this user, in this role and agency, for this purpose, read or write this
category of this participant now? Pure functions: everything they need is passed in, nothing is
read from the database, nothing is remembered between calls.

Deny by default. `decide` combines, in order:
1. the purposes the user's role may act for;
2. role defaults per category, which keep treatment information away from court roles (R18);
3. the programme's policy switches (e.g. the court receives drug test results: DTTO yes, CPO no);
4. for one participant, what that participant's `Openings` open: the safeguarding lead's
   break-glass, an active consent that matches on category, recipient, purpose and time, an
   in-force court order (never a subpoena).

Who reaches which participant at all (the team's programmes) is `reach.py`; loading a
participant's openings is `reach.openings_of`. `Decision.reason` always explains, and
`Decision.basis` says what allowed it, which `legal_basis` turns into the legal basis of a
disclosure.

A statutory report (`report=` a code the programme definition declares, security.md SEC-15) is
decided differently: the law fixes its content, so within it the declared categories go to the
declared recipient roles for the declared purpose on the basis of the statute, any other category
only by a consent, and role defaults and programme switches play no part.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from turnpoint.accounts.models import Role

from .categories import TREATMENT, Category, Purpose

C = Category
# Case work reads the treatment provider's views on progress (the summary the team and, by
# statute, the court need), never the clinical record behind them.
_CASEWORK = frozenset(
    {C.IDENTITY, C.LEGAL, C.PATHWAY, C.ATTENDANCE, C.DRUG_TESTS, C.TREATMENT_PROGRESS,
     C.RISK_NEED, C.STRENGTHS, C.PLAN, C.OUTCOMES, C.HOUSEHOLD}
)  # fmt: skip
_TREATMENT = frozenset(
    {C.IDENTITY, C.PATHWAY, C.ATTENDANCE, C.DRUG_TESTS, C.CLINICAL, C.TREATMENT_PROGRESS,
     C.COUNSELLING_NOTES, C.MENTAL_HEALTH, C.RISK_NEED, C.STRENGTHS, C.PLAN, C.OUTCOMES,
     C.HOUSEHOLD}
)  # fmt: skip
_COURT = frozenset({C.IDENTITY, C.LEGAL, C.PATHWAY, C.ATTENDANCE})

ROLE_READ: dict[str, frozenset[str]] = {
    Role.COORDINATOR: _CASEWORK,
    Role.CASE_MANAGER: _CASEWORK,
    Role.PROBATION_OFFICER: _CASEWORK,
    Role.CLINICIAN: _TREATMENT,
    Role.JUDGE: _COURT,
    Role.DEFENCE: _COURT,
    Role.PROSECUTOR: frozenset({C.IDENTITY, C.LEGAL, C.PATHWAY}),
    # The safeguarding lead opens safeguarding and household records only by break-glass (R19).
    Role.SAFEGUARDING_LEAD: frozenset({C.IDENTITY}),
    # Analysts work on de-identified extracts, administrators on configuration: neither opens
    # an identifiable record (security.md SEC-38).
    Role.ANALYST: frozenset(),
    Role.ADMINISTRATOR: frozenset(),
}

# Assessments of risk and need and of strengths (recovery capital, readiness) are given by the
# programme team and by the treatment provider alike (docs/assessments.md). Attendance and
# forensic drug tests are recorded by whoever sees the participant or collects the specimen
# (docs/supervision.md). The recovery plan is made with the participant by those who work with
# them week to week: the coordinator, the case manager and the treatment provider's key worker
# (docs/plans.md); the probation officer and the court read it where their role or a consent
# allows, and change none. Outcomes (overdoses, housing, follow-ups) are recorded by case work
# and treatment roles; a reconviction is a legal fact, written by the case work roles.
_ASSESSING = frozenset({C.RISK_NEED, C.STRENGTHS})
_SUPERVISING = frozenset({C.ATTENDANCE, C.DRUG_TESTS, C.OUTCOMES})
_CASE_RECORD = frozenset({C.IDENTITY, C.LEGAL, C.PATHWAY, C.HOUSEHOLD, C.PLAN})
ROLE_WRITE: dict[str, frozenset[str]] = {
    Role.COORDINATOR: _CASE_RECORD | _ASSESSING | _SUPERVISING,
    Role.CASE_MANAGER: _CASE_RECORD | _ASSESSING | _SUPERVISING,
    Role.PROBATION_OFFICER: frozenset({C.IDENTITY, C.LEGAL, C.PATHWAY}) | _ASSESSING | _SUPERVISING,
    Role.CLINICIAN: frozenset(
        {C.CLINICAL, C.TREATMENT_PROGRESS, C.COUNSELLING_NOTES, C.MENTAL_HEALTH, C.PLAN}
    )
    | _ASSESSING
    | _SUPERVISING,
    Role.SAFEGUARDING_LEAD: frozenset({C.SAFEGUARDING}),
}

ROLE_PURPOSES: dict[str, frozenset[str]] = {
    Role.COORDINATOR: frozenset({Purpose.CASE_MANAGEMENT}),
    Role.CASE_MANAGER: frozenset({Purpose.CASE_MANAGEMENT}),
    Role.PROBATION_OFFICER: frozenset({Purpose.SUPERVISION, Purpose.CASE_MANAGEMENT}),
    Role.CLINICIAN: frozenset({Purpose.TREATMENT}),
    Role.JUDGE: frozenset({Purpose.COURT_REVIEW}),
    Role.PROSECUTOR: frozenset({Purpose.COURT_REVIEW}),
    Role.DEFENCE: frozenset({Purpose.LEGAL_REPRESENTATION}),
    Role.SAFEGUARDING_LEAD: frozenset({Purpose.SAFEGUARDING}),
    Role.ANALYST: frozenset({Purpose.EVALUATION}),
    Role.ADMINISTRATOR: frozenset({Purpose.ADMINISTRATION}),
}

# Roles that prepare a statutory report for the court: the responsible officer (Sentencing Act
# 2020 Sch. 9 para 21(2)(d): "an officer of a provider of probation services") or the case
# manager who holds that duty in the team.
REPORT_AUTHORS = frozenset({Role.PROBATION_OFFICER, Role.CASE_MANAGER})

# Roles that receive drug test results when a programme's switch says the court receives them.
_COURT_TEST_RESULT_ROLES = frozenset({Role.JUDGE, Role.DEFENCE, Role.PROSECUTOR})

# Who holds information of each category: the treatment provider holds the treatment file and
# drug test results; the programme team (coordination and probation) holds everything else. A
# read by a user of another kind of agency is a disclosure across agencies (security.md SEC-13).
TREATMENT_HOLDS = frozenset(TREATMENT | {C.DRUG_TESTS, C.TREATMENT_PROGRESS})
TREATMENT_KINDS = frozenset({"treatment"})
PROGRAMME_TEAM_KINDS = frozenset({"coordination", "probation"})

# Categories the safeguarding lead's break-glass opens (R19): never the treatment file.
BREAK_GLASS_OPENS = frozenset({C.SAFEGUARDING, C.HOUSEHOLD})


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    # Why it was allowed: "role", "programme", "consent:<id>", "court_order:<id>",
    # "break_glass:<id>" or "statute:<programme slug>:<report code>"; `legal_basis` turns this
    # into the legal basis of a disclosure.
    basis: str = ""

    def __bool__(self) -> bool:
        return self.allowed


class PolicyDenied(Exception):
    """Raised by `require`; the message explains the decision to the user."""


@dataclass(frozen=True)
class Openings:
    """What may open, for one participant, a read that role and programme deny: their active
    consents, their court orders that may be in force, and the break-glass the asking
    safeguarding lead has open for them (None without one), as of `now`. Loaded by
    `reach.openings_of`; each consent and order answers `covers(user, category, purpose, at)`."""

    now: datetime
    consents: tuple = ()
    court_orders: tuple = ()
    break_glass: Any = None  # a `BreakGlass` (models), or None
    participant_id: int | None = field(default=None, compare=False)


def default_purpose(user) -> str:
    role = user.role
    if role == Role.PARTICIPANT:
        return ""  # their own record: no purpose to state, and no one else's to reach
    purposes = ROLE_PURPOSES.get(role, frozenset())
    return min(purposes) if len(purposes) == 1 else Purpose.CASE_MANAGEMENT


def decide(
    user,
    category: str,
    *,
    programme=None,
    action: str = "read",
    purpose=None,
    openings: Openings | None = None,
    report=None,
) -> Decision:
    """Decide one (user, category, programme, action, purpose[, participant's openings])
    question. Without `openings` the answer holds for every participant of the programme."""
    category = Category(category)
    refused, purpose = _refused(user, purpose)
    if refused is not None:
        return refused
    if report is not None:
        return _decide_in_report(user, category, programme=programme, action=action,
                                 purpose=purpose, openings=openings, report=report)  # fmt: skip
    by_role = _by_role_and_programme(user.role, category, action, programme)
    if by_role.allowed or action != "read" or openings is None:
        return by_role
    return _opened(user, category, purpose, openings) or by_role


def require(user, category: str, *, programme=None, action: str = "read", purpose=None) -> None:
    decision = decide(user, category, programme=programme, action=action, purpose=purpose)
    if not decision:
        raise PolicyDenied(decision.reason)


def readable(user, *, programme=None, purpose=None, openings: Openings | None = None
             ) -> frozenset[str]:  # fmt: skip
    """The categories `decide` allows this user to read, for `programme` when given and with a
    participant's `openings` when given."""
    return frozenset(
        c for c in Category
        if decide(user, c, programme=programme, purpose=purpose, openings=openings)
    )  # fmt: skip


def _refused(user, purpose) -> tuple[Decision | None, str]:
    """(the refusal that holds for every category, or None; the purpose, the role's default
    when none is given). Refused: no signed-in, active user, no role, or a purpose the role
    does not act for."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Decision(False, "you are not signed in"), purpose or ""
    role = user.role
    if not role:
        return (
            Decision(False, "your account has no role; ask an administrator to assign one"),
            purpose or "",
        )
    purpose = purpose or default_purpose(user)
    if purpose not in ROLE_PURPOSES.get(role, frozenset()):
        label = Purpose(purpose).label.lower() if purpose in Purpose.values else purpose
        return (
            Decision(False, f"the {Role(role).label.lower()} role does not act for {label}"),
            purpose,
        )
    return None, purpose


def _by_role_and_programme(role: str, category: Category, action: str, programme) -> Decision:
    """What the role's defaults and the programme's switches say. The denial's reason is the
    final one, for when nothing of the participant's opens the category either."""
    table = ROLE_WRITE if action == "write" else ROLE_READ
    if category in table.get(role, frozenset()):
        return Decision(
            True, f"{Role(role).label} role may {action} {category.label.lower()}", "role"
        )
    if (
        action == "read"
        and category == C.DRUG_TESTS
        and role in _COURT_TEST_RESULT_ROLES
        and programme is not None
        and programme.court_receives_test_results
    ):
        return Decision(
            True, f"{programme.name}: the court receives drug test results", "programme"
        )
    verb = "see" if action == "read" else "change"
    holder = "treatment" if category in (TREATMENT | {C.TREATMENT_PROGRESS}) else None
    hint = f"; ask the {holder} provider" if holder else ""
    return Decision(
        False,
        f"you cannot {verb} {category.label.lower()}: the {Role(role).label.lower()} role has "
        f"no access to it and no active consent for you covers it{hint}",
    )


def _opened(user, category: Category, purpose: str, openings: Openings) -> Decision | None:
    """What opens a read the role and programme deny, in order: the safeguarding lead's
    break-glass, an active consent, an in-force court order (after consents, so a consent's
    wider scope names the basis; SEC-16, 42 CFR 2.64)."""
    glass = openings.break_glass
    if glass is not None and user.role == Role.SAFEGUARDING_LEAD and category in BREAK_GLASS_OPENS:
        return Decision(
            True,
            f"break-glass {glass.pk} until {glass.expires_at:%H:%M}",
            f"break_glass:{glass.pk}",
        )
    consented = _consent_covering(openings, user, category, purpose)
    if consented is not None:
        return consented
    for order in openings.court_orders:
        if order.covers(user, category, purpose, openings.now):
            return Decision(
                True,
                f"{order.label} covers {category.label.lower()} dated {order.range_text} for "
                f"you until {order.expires_at:%d %B %Y}",
                f"court_order:{order.pk}",
            )
    return None


def _consent_covering(openings: Openings, user, category: Category, purpose: str
                      ) -> Decision | None:  # fmt: skip
    for consent in openings.consents:
        if consent.covers(user, category, purpose, openings.now):
            return Decision(
                True, f"consent {consent.pk} signed {consent.signed_on:%d %B %Y} covers "
                f"{category.label.lower()} for you until {consent.expires_at:%d %B %Y}",
                f"consent:{consent.pk}",
            )  # fmt: skip
    return None


def _decide_in_report(user, category, *, programme, action, purpose, openings, report
                      ) -> Decision:  # fmt: skip
    """Inside a statutory report: the declared set by statute, anything else only by consent."""
    declared = programme.statutory_disclosure(report) if programme is not None else None
    if declared is None:
        where = programme.name if programme is not None else "no programme"
        return Decision(False, f"{where} declares no statutory report '{report}'")
    name = declared["name"]
    if action != "read":
        return Decision(False, f"the {name} is read, never written to")
    if user.role not in declared["recipients"]:
        to = ", ".join(Role(r).label.lower() for r in declared["recipients"])
        return Decision(False, f"the {name} goes to the {to}, not to the "
                        f"{Role(user.role).label.lower()} role")  # fmt: skip
    if purpose != declared["purpose"]:
        return Decision(False, f"the {name} is for {Purpose(declared['purpose']).label.lower()}")
    if category in declared["categories"]:
        return Decision(
            True,
            f"{declared['statute']} requires {category.label.lower()} in the {name}",
            f"statute:{programme.slug}:{declared['code']}",
        )
    if openings is not None:
        consented = _consent_covering(openings, user, category, purpose)
        if consented is not None:
            return consented
    return Decision(
        False,
        f"the {name} carries only what {declared['statute']} requires and what a consent "
        f"covers; no active consent covers {category.label.lower()} for you",
    )


# Analytics -------------------------------------------------------------------------------------

# Who computes the evaluation measures and makes the de-identified extract they run on: the
# analyst, for evaluation, and only over the programmes of their team. What they see is
# de-identified and aggregated (counts suppressed, pseudonyms, coarse dates: docs/analytics.md),
# which is why no identifiable category needs opening for it.
ANALYTICS_ROLES = frozenset({Role.ANALYST})


def decide_analytics(user, programme=None, *, team=frozenset(), purpose=None) -> Decision:
    """May this user compute evaluation measures (and make the extract behind them), for
    `programme` when given (a Programme; None: the programmes of the user's team)? `team` is
    the keys of the programmes of the user's team (loaded by the caller: no query here)."""
    refused, purpose = _refused(user, purpose)
    if refused is not None:
        return refused
    if user.role not in ANALYTICS_ROLES:
        return Decision(
            False,
            f"the {Role(user.role).label.lower()} role does not see analytics; evaluation "
            "measures are for analysts, and only de-identified",
        )
    if purpose != Purpose.EVALUATION:
        return Decision(False, "analytics are made for evaluation only")
    if programme is not None and programme.pk not in team:
        return Decision(False, f"{programme.name} is not one of your team's programmes")
    return Decision(True, "Analyst role may see de-identified, aggregated measures", "role")


# Across agencies ---------------------------------------------------------------------------------


def holding_kinds(category: str) -> frozenset[str]:
    """The agency kinds that hold this category of information."""
    return TREATMENT_KINDS if category in TREATMENT_HOLDS else PROGRAMME_TEAM_KINDS


def crosses(user, category: str) -> bool:
    """Is showing this category to this user a disclosure to another agency? A user with no
    agency belongs to no holder, so every read of theirs crosses."""
    kind = user.agency.kind if user.agency_id else ""
    return kind not in holding_kinds(category)


def statute_reference(programme) -> str:
    """The law under which a programme's team shares: `policy.statutory_reference` of the
    definition when set, otherwise the programme's legal basis up to its first colon."""
    if programme is None:
        return ""
    policy = (programme.definition or {}).get("policy", {})
    reference = policy.get("statutory_reference") or programme.legal_basis.split(":")[0]
    return " ".join(str(reference).split())[:200]


def statutory_report_reference(programme, code: str) -> str:
    """The reference of a declared statutory report: its statute and its name."""
    declared = programme.statutory_disclosure(code) or {}
    statute = declared.get("statute") or statute_reference(programme)
    name = declared.get("name")
    return " ".join(f"{statute} ({name})".split() if name else statute.split())[:200]


def legal_basis(decision: Decision, programme) -> tuple[str, str] | None:
    """(legal basis, reference) of an allowed read that crosses agencies, from what allowed it;
    None when it was not allowed or nothing names a basis."""
    if not decision.allowed:
        return None
    kind, _, ref = decision.basis.partition(":")
    if kind == "consent":
        return "consent", f"consent {ref}"
    if kind == "break_glass":
        return "safeguarding", f"break-glass {ref}"
    if kind == "court_order":
        return "court_order", f"court order {ref}"
    if kind in ("role", "programme") and programme is not None:
        return "statute", statute_reference(programme)
    if kind == "statute" and programme is not None:
        return "statute", statutory_report_reference(programme, ref.partition(":")[2])
    return None
