"""The one policy function: may this user, in this role and agency, for this purpose, read or
write this category of this participant now?

Deny by default. The answer combines, in order:
1. object-level reach: a user reaches only participants referred to a programme whose team they
   belong to (`participants_visible_to`); a participant out of reach is "not found", never
   "forbidden", so identifiers reveal nothing (security.md SEC-02);
2. the purposes the user's role may act for;
3. role defaults per category, which keep treatment information away from court roles (R18);
4. the programme's policy switches (e.g. the court receives drug test results: DTTO yes, CPO no,
   R2).
Consents, break-glass and statutory reports extend this; `Decision.reason` always explains.

A statutory report (`report=` a code the programme definition declares, security.md SEC-15) is
decided differently: the law fixes its content, so within it the declared categories go to the
declared recipient roles for the declared purpose on the basis of the statute, any other category
only by a consent, and role defaults and programme switches play no part. The statute fixes what
the report carries; it does not open the participant's file, so without `report=` nothing changes.
"""

from dataclasses import dataclass
from functools import lru_cache

from django.db.models import BooleanField, Expression
from django.http import Http404

from turnpoint.accounts.models import Role

from .audit import audit_entry, audit_write
from .categories import SENSITIVE, Category, Purpose

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

ROLE_WRITE: dict[str, frozenset[str]] = {
    Role.COORDINATOR: frozenset({C.IDENTITY, C.LEGAL, C.PATHWAY, C.HOUSEHOLD}),
    Role.CASE_MANAGER: frozenset({C.IDENTITY, C.LEGAL, C.PATHWAY, C.HOUSEHOLD}),
    Role.PROBATION_OFFICER: frozenset({C.IDENTITY, C.LEGAL, C.PATHWAY}),
    Role.CLINICIAN: frozenset(
        {C.CLINICAL, C.TREATMENT_PROGRESS, C.COUNSELLING_NOTES, C.MENTAL_HEALTH}
    ),
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

# Who holds information of each category by default: where the reader's agency kind differs,
# a read is a disclosure across agencies (logged as such in the consent issue).
WHO_HOLDS = {
    C.CLINICAL: "treatment",
    C.TREATMENT_PROGRESS: "treatment",
    C.COUNSELLING_NOTES: "treatment",
    C.MENTAL_HEALTH: "treatment",
}


def default_purpose(user) -> str:
    return _default_purpose(user.role)


@lru_cache(maxsize=64)
def _default_purpose(role: str) -> str:
    if role == Role.PARTICIPANT:
        return ""  # their own record: no purpose to state, and no one else's to reach
    purposes = ROLE_PURPOSES.get(role, frozenset())
    return min(purposes) if len(purposes) == 1 else Purpose.CASE_MANAGEMENT


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    # Why it was allowed: "role", "programme", "consent:<id>", "court_order:<id>",
    # "break_glass:<id>" or "statute:<programme slug>:<report code>"; the disclosure log turns
    # this into a legal basis
    # (turnpoint.sharing.disclosures).
    basis: str = ""

    def __bool__(self) -> bool:
        return self.allowed


class PolicyDenied(Exception):
    """Raised by `require`; the message explains the decision to the user."""


def decide(
    user,
    category: str,
    *,
    programme=None,
    action: str = "read",
    purpose=None,
    participant=None,
    consents=None,
    report=None,
    court_orders=None,
) -> Decision:
    """Decide one (user, category, programme, action, purpose[, participant]) question.

    Without `participant` it answers from role defaults and programme switches and never queries
    the database, so list pages ask once per programme, not per row. With `participant`, a read
    that those deny may still be opened by an active consent of that participant that matches on
    all four axes (category, recipient, purpose, time); pass `consents` (from
    `consents.active_consents`) to decide many rows without a query each. A read that no consent
    opens may be opened by an in-force court order (`court_orders.court_order_covering`; pass
    `court_orders` from `court_orders.active_court_orders` likewise); a subpoena never is.

    Its answers without a participant are kept per process (`disclosures._page_acts`) under
    what it reads of the user (role, whether active), the purpose and the programme's
    `loaded_at`: whatever else it comes to read must join that key."""
    category = Category(category)
    refused, purpose = _refused(user, purpose)
    if refused is not None:
        return refused
    if report is not None:
        return _decide_in_report(user, category, programme=programme, action=action,
                                 purpose=purpose, participant=participant, consents=consents,
                                 report=report)  # fmt: skip
    by_role = _by_role_and_programme(
        user.role, category, action,
        programme.name if programme is not None else None,
        programme is not None and programme.court_receives_test_results,
    )  # fmt: skip
    if by_role.allowed or action != "read" or participant is None:
        return by_role
    return _opened(user, category, purpose, participant, consents, court_orders) or by_role


def _refused(user, purpose) -> tuple[Decision | None, str | None]:
    """(the refusal that holds for every category, or None; the purpose, the role's default
    when none is given). Refused: no signed-in, active user, no role, or a purpose the role
    does not act for."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Decision(False, "you are not signed in"), purpose
    role = user.role
    if not role:
        return (
            Decision(False, "your account has no role; ask an administrator to assign one"),
            purpose,
        )
    purpose = purpose or default_purpose(user)
    if purpose not in ROLE_PURPOSES.get(role, frozenset()):
        label = Purpose(purpose).label.lower() if purpose in Purpose.values else purpose
        return (
            Decision(False, f"the {Role(role).label.lower()} role does not act for {label}"),
            purpose,
        )
    return None, purpose


def _opened(user, category, purpose, participant, consents, court_orders) -> Decision | None:
    """What may open a read the role and programme deny, for one participant, in order: the
    safeguarding lead's break-glass, an active consent, an in-force court order."""
    return _Openings(user, purpose, participant, consents, court_orders)(category)


class _Openings:
    """`_opened` for one participant, asked about one category or many (a page's categories,
    `readable_categories`): the participant's consents and court orders are looked up once,
    when first needed (a query each when not given), and the time is taken once."""

    def __init__(self, user, purpose, participant, consents, court_orders):
        from django.utils import timezone

        self.user, self.purpose, self.participant = user, purpose, participant
        self.pid = getattr(participant, "pk", participant)
        self.consents, self.court_orders = consents, court_orders
        self.now = timezone.now()
        self._consents_found = self._orders_found = None

    def __call__(self, category) -> Decision | None:
        user = self.user
        if user.role == Role.SAFEGUARDING_LEAD:
            from .safeguarding import OPENS, break_glass_active

            glass = break_glass_active(user, self.participant) if category in OPENS else None
            if glass is not None:
                return Decision(
                    True,
                    f"break-glass {glass.pk} until {glass.expires_at:%H:%M}",
                    f"break_glass:{glass.pk}",
                )
        if self._consents_found is None:
            self._consents_found = _consents_of(self.pid, self.consents)
        consented = _consent_covering(self._consents_found, user, category, self.purpose, self.now)
        if consented is not None:
            return consented
        # Court orders (SEC-16; 42 CFR 2.64): after consents, so a consent's wider scope wins.
        from .court_orders import court_order_covering, court_orders_of

        if self._orders_found is None:
            self._orders_found = court_orders_of(self.pid, self.court_orders)
        return court_order_covering(self._orders_found, user, category, self.purpose, self.now)

    def among(self, candidates) -> set:
        """The categories of `candidates` that something opens for this participant: the set of
        those `self(c)` allows, with each consent and court order tested once for all of them
        (`applies`: only a consent's or order's own categories differ between categories)
        rather than once for each; the safeguarding lead's break-glass still a category at a
        time. A participant page asks this for every category its role denies, twice."""
        from .court_orders import court_orders_of

        if self.user.role == Role.SAFEGUARDING_LEAD:
            return {c for c in candidates if self(c)}
        if self._consents_found is None:
            self._consents_found = _consents_of(self.pid, self.consents)
        rest = set(candidates)
        opened = self._opened_by(self._consents_found, rest)
        if rest:
            if self._orders_found is None:
                self._orders_found = court_orders_of(self.pid, self.court_orders)
            opened |= self._opened_by(self._orders_found, rest)
        return opened

    def _opened_by(self, found, rest: set) -> set:
        """The categories of `rest` that one of `found` (consents or court orders) opens, each
        tested once (`applies`); they are taken out of `rest`."""
        opened: set = set()
        for grant in found:
            if rest and grant.applies(self.user, self.purpose, self.now):
                covered = {c for c in rest if c in grant.categories}
                opened |= covered
                rest -= covered
        return opened


@lru_cache(maxsize=4096)
def _by_role_and_programme(role, category, action, programme_name, court_receives) -> Decision:
    """The part of `decide` that depends only on the role, the category, the action and the
    programme's switch: the same answer every time, so it is worked out once per process (a
    participant page asks it about forty times). The denial's reason is the final one, for
    when neither a break-glass, a consent nor a court order opens the category either."""
    table = ROLE_WRITE if action == "write" else ROLE_READ
    if category in table.get(role, frozenset()):
        return Decision(
            True, f"{Role(role).label} role may {action} {category.label.lower()}", "role"
        )
    if (
        action == "read"
        and category == C.DRUG_TESTS
        and role in _COURT_TEST_RESULT_ROLES
        and court_receives
    ):
        return Decision(
            True, f"{programme_name}: the court receives drug test results", "programme"
        )
    verb = "see" if action == "read" else "change"
    holder = WHO_HOLDS.get(category)
    hint = f"; ask the {holder} provider" if holder else ""
    return Decision(
        False,
        f"you cannot {verb} {category.label.lower()}: the {Role(role).label.lower()} role has "
        f"no access to it and no active consent for you covers it{hint}",
    )


def _consented(user, category, purpose, participant, consents) -> Decision | None:
    """The first active consent of the participant that covers this read, as a Decision."""
    from django.utils import timezone

    pid = getattr(participant, "pk", participant)
    return _consent_covering(_consents_of(pid, consents), user, category, purpose, timezone.now())


def _consents_of(pid, consents) -> list:
    """The participant's active consents: from `consents` (`consents.active_consents`) when
    given, otherwise from the database."""
    from .consents import active_consents

    return consents.get(pid, []) if consents is not None else active_consents([pid])[pid]


def _consent_covering(found, user, category, purpose, now) -> Decision | None:
    for consent in found:
        if consent.covers(user, category, purpose, now):
            return Decision(
                True, f"consent {consent.pk} signed {consent.signed_on:%d %B %Y} covers "
                f"{category.label.lower()} for you until {consent.expires_at:%d %B %Y}",
                f"consent:{consent.pk}",
            )  # fmt: skip
    return None


def _decide_in_report(user, category, *, programme, action, purpose, participant, consents,
                      report) -> Decision:  # fmt: skip
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
    if participant is not None:
        consented = _consented(user, category, purpose, participant, consents)
        if consented is not None:
            return consented
    return Decision(
        False,
        f"the {name} carries only what {declared['statute']} requires and what a consent "
        f"covers; no active consent covers {category.label.lower()} for you",
    )


def require(user, category: str, *, programme=None, action: str = "read", purpose=None) -> None:
    decision = decide(user, category, programme=programme, action=action, purpose=purpose)
    if not decision:
        raise PolicyDenied(decision.reason)


def readable_categories(user, *, programme=None, purpose=None, participant=None, consents=None,
                        court_orders=None) -> frozenset[str]:  # fmt: skip
    """The categories `decide` allows this user to read, for `programme` when given.

    With `participant`, what that participant's break-glass, consents (`consents`, from
    `consents.active_consents`) and court orders (`court_orders`, likewise) open counts too:
    the same answer as asking `decide` about each category, with what is the same for every
    category (the user, the role's purpose) checked once. A participant page asks this for each
    of the participant's programmes."""
    refused, purpose = _refused(user, purpose)
    if refused is not None:
        return frozenset()
    allowed = _readable_by_role_and_programme(
        user.role,
        programme.name if programme is not None else None,
        programme is not None and programme.court_receives_test_results,
    )
    if participant is None or len(allowed) == len(Category):
        return allowed
    opened = _Openings(user, purpose, participant, consents, court_orders)
    return allowed | opened.among([c for c in Category if c not in allowed])


@lru_cache(maxsize=1024)
def _readable_by_role_and_programme(role, programme_name, court_receives) -> frozenset:
    """The categories `_by_role_and_programme` allows to read: the same every time."""
    return frozenset(
        c
        for c in Category
        if _by_role_and_programme(role, c, "read", programme_name, court_receives).allowed
    )


def participants_visible_to(user):
    """Every participant the user may reach (identity category), as a queryset.

    The only way views, API, exports and search list participants (STYLE.md rule 5).
    """
    from turnpoint.people.models import Participant

    if not decide(user, C.IDENTITY).allowed:
        return Participant.objects.none()
    return Participant.objects.filter(ReferredTo(team_programme_ids(user)))


class ReferredTo(Expression):
    """The reach condition of a participants query: has the participant a referral to one of
    `programmes`? A semi-join (EXISTS) rather than a join plus DISTINCT: the planner stops at
    the first matching referral, which halves the caseload query at 100,000 participants.

    SQL written here around the outer query's own alias for the participant (so it holds when
    the query is used inside another, re-aliased), because building and compiling the same
    `Exists(Referral.objects.filter(participant=OuterRef("pk"), ...))` took about 0.35 ms of
    every list (docs/benchmarks.md). The programme ids are one bound parameter
    (`selects.one_of`)."""

    conditional = True

    def __init__(self, programmes):
        super().__init__(output_field=BooleanField())
        self.programmes = tuple(int(pk) for pk in programmes)

    def as_sql(self, compiler, connection):
        from turnpoint.journeys import latest_programme

        from .disclosures import joins_latest_programme
        from .selects import one_of, referrals_of_outer

        if joins_latest_programme(compiler, self.programmes):
            # The inner join of the participant's latest referral among the same programmes
            # is this condition: a participant without one has no row.
            return "TRUE", []
        referrals, param = referrals_of_outer(compiler, "reach", self.programmes)
        sql = f"EXISTS (SELECT 1 {referrals})"
        if connection.vendor != "sqlite":
            return sql, [param]
        # SQLite: the programme kept on the participant's row, where it is one of these, is a
        # referral to one of them; the referrals are probed only for the other rows (about
        # 0.7 ms of a 1,000-row list, docs/benchmarks.md). Only ever a way into reach.
        outer = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        kept = f"{outer}.{connection.ops.quote_name(latest_programme.COLUMN)}"
        ours, kept_param = one_of(kept, self.programmes)
        return f"({ours} OR {sql})", [kept_param, param]


def team_programme_ids(user) -> tuple[int, ...]:
    """The ids of the programmes of the user's team, read once per request (`context.memo`).

    The reach queries take them as values: a subquery through the membership table had the
    database join two more tables for every participant it tested, which on PostgreSQL made a
    1,000-row caseload page 44 ms instead of 36 (docs/benchmarks.md)."""
    return tuple(pk for pk, _ in _team(user))


def _team(user) -> tuple[tuple[int, object], ...]:
    """(programme id, the programme's `loaded_at` as the database returns it) for each
    programme of the user's team, in id order: one query per request (`context.memo`).

    The same query reads the referrals' version, which `caseload_count` keys its kept counts
    under: a list that shows a count asks for both, and a second query for the one row was a
    round trip of its own on every list (docs/benchmarks.md). Remembered for the request only
    when read outside a transaction, where it is a committed version (`_version_read_with_team`)."""
    from django.db import connection

    from . import context

    memo = context.current().memo
    key = ("team_programmes", user.pk)
    if key not in memo:
        with connection.cursor() as cursor:  # policy-gate: the user's own memberships
            cursor.execute(_team_sql(), [user.pk])
            rows = cursor.fetchall()
        memo[key] = tuple((pk, at) for pk, at, _ in rows)  # shared: not changed
        if not connection.in_atomic_block:
            version = rows[0][2] if rows else _NO_TEAM
            memo[(_VERSION_READ_WITH_TEAM, connection.alias)] = version
    return memo[key]


_VERSION_READ_WITH_TEAM = "referrals_version"
_NO_TEAM = object()  # a user without programmes: their team's query returned no version


def _version_read_with_team() -> int | object | None:
    """The referrals' version the request's team query read outside a transaction, None when
    there is no version row (an emptied database), or `_NO_TEAM` when it read none. A version
    read earlier in the request is still one read before any count made after it, which is all
    `caseload_count` asks; one read inside a transaction is not taken, since that transaction
    may have raised it with referrals it could still roll back."""
    from django.db import connection

    from . import context

    return context.current().memo.get((_VERSION_READ_WITH_TEAM, connection.alias), _NO_TEAM)


@lru_cache(maxsize=1)
def _team_sql() -> str:
    from django.db import connection

    from turnpoint.accounts.models import User
    from turnpoint.journeys.models import ReferralsVersion
    from turnpoint.programmes.models import Programme

    q = connection.ops.quote_name
    member = User._meta.get_field("programmes")
    programme, user = q(member.m2m_reverse_name()), q(member.m2m_column_name())
    table = q(Programme._meta.db_table)
    # Names from the models; the user's id is a bound parameter.
    return (
        f"SELECT m.{programme}, p.{q(Programme._meta.get_field('loaded_at').column)}, "  # noqa: S608
        f"(SELECT v.{q('version')} FROM {q(ReferralsVersion._meta.db_table)} v "
        f"WHERE v.{q('id')} = 1) "
        f"FROM {q(member.m2m_db_table())} m JOIN {table} p ON p.{q('id')} = m.{programme} "
        f"WHERE m.{user} = %s ORDER BY m.{programme}"
    )


def team_programmes(user) -> dict:
    """Programme id -> programme (with its definition) for each programme of the user's team.

    Kept per process under the programme's `loaded_at`, which the team's query reads anyway
    and every save of a programme moves (`auto_now`; the loader saves): a programme whose
    `loaded_at` has not moved is not read again. On PostgreSQL reading the team's programmes
    was 1.2 ms of every cross-agency list (docs/benchmarks.md). Programmes read inside a
    transaction are not kept, since that transaction could still roll back what it read. A
    programme changed without `save()` (a queryset `update()`, SQL by hand) must have its
    `loaded_at` moved too, or the processes keep the old one until they restart. The instances
    are shared between requests: read them, never change them."""
    from django.db import connection

    from turnpoint.programmes.models import Programme

    from .selects import column, one_of, select_rows

    team = _team(user)
    found, stale = {}, {}
    for pk, at in team:
        kept = _PROGRAMMES.get((connection.alias, pk))
        if kept is not None and kept[0] == at:
            found[pk] = kept[1]
        else:
            stale[pk] = at
    if stale:
        among, param = one_of(column(Programme, "id"), stale)
        for programme in select_rows(Programme, among, [param]):
            found[programme.pk] = programme
            if not connection.in_atomic_block:
                if len(_PROGRAMMES) >= _PROGRAMMES_KEPT:
                    _PROGRAMMES.clear()
                _PROGRAMMES[(connection.alias, programme.pk)] = (stale[programme.pk], programme)
    return {pk: found[pk] for pk, _ in team if pk in found}


# (database alias, programme id) -> (its `loaded_at` as read, the programme); `team_programmes`.
_PROGRAMMES: dict[tuple, tuple] = {}
_PROGRAMMES_KEPT = 1024


def referrals_visible_to(user):
    """The referrals the user reaches. A referral to a programme of the user's team is itself
    what puts its participant in reach (`participants_visible_to`), so the programme is the whole
    reach check: a semi-join over every participant would only repeat it (it was most of the
    policy's cost on a 1,000-row list). The identity decision is the rest of that function."""
    from turnpoint.journeys.models import Referral

    if not decide(user, C.IDENTITY).allowed:
        return Referral.objects.none()
    return Referral.objects.filter(programme__in=team_programme_ids(user))


def caseload_count(user, programme=None) -> int:
    """How many participants `participants_visible_to(user)` holds, or only those referred to
    `programme` (one of the user's own) when given.

    Counted from `referrals_visible_to`, as the number of distinct participants they name: one
    scan of the referrals' index that starts with the participant instead of a reach test for
    every participant (10,000 on SQLite: 1.4 ms against 4.9; docs/benchmarks.md). The same set
    by definition: a participant is in reach exactly when such a referral exists.

    Outside a transaction the count is kept, per process, under the programmes counted and the
    referrals' version (`journeys.ReferralsVersion`, which the database raises with every change
    to the referrals): while the version stands, reading it (one row, with the team's
    programmes: `_team`) answers instead of the count (10,000 referrals: 2.5-3.4 ms on
    PostgreSQL). The version is read before the count, so a count kept under a version is never
    older than it; read with the team, it is the version as the request first asked for its
    reach, so a request that changed referrals after that and then counted would be answered
    as of then (no request does: the count is the participants list's). Inside a transaction
    the count is always made afresh: that transaction's own uncommitted referrals would be
    counted under a version another transaction could later commit with different referrals."""
    from django.db import connection
    from django.db.models import Count

    def counted() -> int:  # the queryset built only when counting: a kept count needs none
        referrals = referrals_visible_to(user)
        if programme is not None:
            referrals = referrals.filter(programme=programme)
        return referrals.aggregate(n=Count("participant_id", distinct=True))["n"]

    if connection.in_atomic_block or not decide(user, C.IDENTITY).allowed:
        return counted()
    team = team_programme_ids(user)  # reads the version with the team, outside a transaction
    version = _version_read_with_team()
    if version is _NO_TEAM:
        version = _referrals_version()
    if version is None:  # an emptied database (`turnpoint flush`) has no version row
        return counted()
    if programme is not None:
        team = tuple(pk for pk in team if pk == programme.pk)
    key = (connection.alias, team, version)
    if key not in _CASELOAD_COUNTS:
        if len(_CASELOAD_COUNTS) >= _CASELOAD_COUNTS_KEPT:
            _CASELOAD_COUNTS.clear()  # stale versions' counts go with the rest
        _CASELOAD_COUNTS[key] = counted()
    return _CASELOAD_COUNTS[key]


# (database alias, programme ids counted, referrals' version) -> participants; see caseload_count.
_CASELOAD_COUNTS: dict[tuple, int] = {}
_CASELOAD_COUNTS_KEPT = 4096


def _referrals_version() -> int | None:
    from django.db import connection

    from turnpoint.journeys.models import ReferralsVersion

    q = connection.ops.quote_name
    with connection.cursor() as cursor:  # the one row: names from the model, no value in the text
        cursor.execute(
            f"SELECT {q('version')} FROM {q(ReferralsVersion._meta.db_table)} "  # noqa: S608
            f"WHERE {q('id')} = 1"
        )
        row = cursor.fetchone()
    return row[0] if row else None


class OutOfReach(Http404):
    """The record exists but the user may not reach it. Answered exactly like a missing record
    ("not found", security.md SEC-02); audited as a denied authorisation (SEC-20)."""

    def __init__(self, kind: str, pk: int):
        self.kind, self.pk = kind, pk
        super().__init__(f"No such {kind}")


def not_found(model, pk, kind: str) -> Http404:
    """The exception for a record the user cannot reach: `OutOfReach` when it exists (so the
    denial is audited), a plain Http404 when it does not. Only on the failure path: one query."""
    try:
        pk = int(pk)
    except (ValueError, TypeError):
        return Http404(f"No such {kind}")
    if model._default_manager.filter(pk=pk).exists():
        return OutOfReach(kind, pk)
    return Http404(f"No such {kind}")


def audit_denial(user, *, route: str, reason: str, obj_type: str = "", obj_id="") -> None:
    """One audit row for a refused request: who, which route, which object, why (SEC-20)."""
    detail = {"route": route, "reason": reason}
    if obj_type:
        detail["object"] = f"{obj_type} {obj_id}"
    audit_write(acting_user=user, action="denied", detail=detail)


def participant_for_user(user, pk, *, order_in_force_flag: bool = False,
                         with_consents: bool = False):  # fmt: skip
    """The participant `pk` if the user may reach them; Http404 alike for missing and forbidden.

    The same rule as `participants_visible_to`, asked of one participant in one query. Every
    participant page starts here, and compiling that function's correlated subquery through the
    ORM cost more CPU (about 1 ms) than running it, so the reach test is a fixed SQL condition on
    this participant's id (`_reaches`), which no outer query can re-alias.

    `order_in_force_flag`: the participant also carries `court_order_in_force`, whether they
    have a court order `court_orders.active_court_orders` would load, read in the same query
    (the participant page then asks for the orders only when there is one).

    `with_consents`: the participant also carries `active_share_consents`, what
    `consents.active_consents` would give for them, read in the same query."""
    from turnpoint.people.models import Participant

    try:
        pk = int(pk)
    except (ValueError, TypeError) as exc:
        raise not_found(Participant, pk, "participant") from exc
    found = None
    if decide(user, C.IDENTITY).allowed:
        found = Participant.objects.filter(_reaches(user, pk), pk=pk)
        if order_in_force_flag:
            from .court_orders import order_in_force_exists

            found = found.annotate(court_order_in_force=order_in_force_exists(pk))
        if with_consents:
            from .consents import active_consents_column

            found = found.annotate(share_consents_found=active_consents_column(pk))
        found = found.first()
    if found is None:
        raise not_found(Participant, pk, "participant")
    if with_consents:
        from .consents import consents_from_column

        found.active_share_consents = consents_from_column(found.share_consents_found)
    return found


def _reaches(user, participant_id: int):
    """A boolean SQL condition: has the participant a referral to a programme of the user's team?"""
    from django.db.models import BooleanField
    from django.db.models.expressions import RawSQL

    return RawSQL(_reach_sql(), [participant_id, user.pk], output_field=BooleanField())  # noqa: S611


@lru_cache(maxsize=1)
def _reach_sql() -> str:
    """`_reaches`'s SQL, built once from the models' table and column names."""
    from django.db import connection

    from turnpoint.accounts.models import User
    from turnpoint.journeys.models import Referral

    q = connection.ops.quote_name
    member = User._meta.get_field("programmes")
    referral = Referral._meta
    # Names from the models; both values are bound parameters.
    return (
        f"EXISTS (SELECT 1 FROM {q(referral.db_table)} r"  # noqa: S608
        f" INNER JOIN {q(member.m2m_db_table())} m"
        f" ON m.{q(member.m2m_reverse_name())} = r.{q(referral.get_field('programme').column)}"
        f" WHERE r.{q(referral.get_field('participant').column)} = %s"
        f" AND m.{q(member.m2m_column_name())} = %s)"
    )


def audit_read(user, *, participants, categories, purpose=None, obj=None, detail=None) -> None:
    """Record a read when it touches a sensitive category; one row for a whole list."""
    entry = read_entry(user, participants=participants, categories=categories, purpose=purpose,
                       obj=obj, detail=detail)  # fmt: skip
    if entry is not None:
        entry.save()


def read_entry(user, *, participants, categories, purpose=None, obj=None, detail=None):
    """The audit row (unsaved) `audit_read` writes for a read, or None when it writes none."""
    sensitive = sorted(set(categories) & SENSITIVE)
    if not sensitive:
        return None
    ids = [getattr(p, "pk", p) for p in participants]
    if not ids:
        return None
    return audit_entry(
        acting_user=user,
        action="read",
        categories=sensitive,
        participant_ids=ids,
        obj=obj,
        purpose=purpose or default_purpose(user),
        detail=detail,
    )
