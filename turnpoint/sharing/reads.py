"""Selectors: one function per kind of read. Each decides with the rules, fetches within the
user's reach, and writes the read's record (audit entry and disclosure acts), in one transaction.
If the record cannot be written, the transaction rolls back and the exception reaches the caller:
nothing is returned, so nothing can be shown (security.md SEC-19).

Pages, API, portal and exports render what a selector returns and write nothing themselves.
The other reads with a shape of their own have their selectors beside their rules: a participant's
record as a document (`exports.participant_record_export`, `participant_own_record_export`), a
statutory report (`statutory.statutory_report_generate`) and the accounting of disclosures
(`disclosures.disclosure_accounting`).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from turnpoint.assessments.models import Administration
from turnpoint.journeys.models import ReferralFieldChange
from turnpoint.outcomes.models import FollowUp, FollowUpStatus
from turnpoint.people.duplicates import Person, likely_duplicates
from turnpoint.people.identifiers import normalise
from turnpoint.people.models import (
    IDENTIFIER_CATEGORY,
    ContactDetail,
    ExternalIdentifier,
    ParticipantMerge,
)
from turnpoint.plans.models import RecoveryPlan
from turnpoint.supervision.custody import (
    RELEASE_WINDOW_DAYS,
    UPCOMING_WEEKS,
    open_release_tasks,
    release_window,
)
from turnpoint.supervision.models import (
    Appointment,
    AppointmentKind,
    CustodyEpisode,
    DrugTest,
    PhaseProposal,
    ProposalStatus,
    Response,
)

from .audit import audit_write
from .categories import Category
from .models import ParticipationConsent
from .reach import (
    not_found,
    openings_of,
    participant_for_user,
    participants_visible_to,
    referrals_visible_to,
    team_programme_ids,
    team_programmes,
)
from .record import audit_read, read_recorded
from .rules import Openings, PolicyDenied, decide, default_purpose, readable

C = Category


def participants_list(user, participants, categories: Iterable[str], *,
                      programme_by_participant=None) -> list:  # fmt: skip
    """The rows of a page of participants (a sliced queryset built on
    `reach.participants_visible_to`), read and recorded: one audit entry for the page when a
    category shown is sensitive, and one disclosure act per basis when what it shows crosses to
    the user's agency. `programme_by_participant` (participant id -> programme) says which
    programme each row is shown for when the caller knows; otherwise each participant's latest
    referral among the user's team."""
    with transaction.atomic():
        rows = list(participants)
        read_recorded(user, participants=rows, categories=list(categories),
                      programme_by_participant=programme_by_participant)  # fmt: skip
    return rows


@dataclass
class ParticipantRecord:
    """What a participant page may show: the participant, their referrals to the user's team
    (each with the categories the user may read there), what the user may read outside any
    programme, and the participant's openings the decisions used."""

    participant: object
    referrals: list = field(default_factory=list)
    categories: dict = field(default_factory=dict)  # referral id -> readable categories
    readable_anywhere: frozenset = frozenset()
    openings: Openings | None = None
    household_children: list = field(default_factory=list)  # what a break-glass opened
    # referral id -> its current consent to take part, for referrals whose legal facts it shows
    participation_consents: dict = field(default_factory=dict)


def participant_record(user, pk) -> ParticipantRecord:
    """A participant and their referrals in the user's team, decided with the participant's
    consents, court orders and break-glass, and recorded: the page shows identity, and the legal
    facts and pathway of each referral the user may read."""
    with transaction.atomic():
        person = participant_for_user(user, pk)
        openings = openings_of(user, person)
        # A referral section cannot keep to a court order's date range, so what only a court
        # order opens leaves as the export limited to its scope (docs/sharing.md, SEC-16).
        on_page = replace(openings, court_orders=())
        referrals = list(
            person.referrals.filter(programme__in=team_programme_ids(user))
            .select_related("programme", "episode__key_worker", "episode__case_manager")
            .prefetch_related("transitions__acting_user", "programme__phases")
        )
        categories = {
            r.pk: readable(user, programme=r.programme, openings=on_page) for r in referrals
        }
        anywhere = set(readable(user, openings=on_page))
        shown: set[str] = {C.IDENTITY}
        for cats in categories.values():
            shown |= cats & {C.LEGAL, C.PATHWAY}
            anywhere |= cats
        read_recorded(
            user, participants=[person], categories=shown, obj=person,
            programme_by_participant={person.pk: referrals[0].programme} if referrals else None,
            openings={person.pk: on_page},
        )  # fmt: skip
        taking_part: dict[int, ParticipationConsent] = {}
        legal = [r.pk for r in referrals if C.LEGAL in categories[r.pk]]
        for consent in ParticipationConsent.objects.filter(
            referral__in=legal, withdrawn_at__isnull=True
        ).order_by("-recorded_at", "-id"):
            taking_part.setdefault(consent.referral_id, consent)
        children = []
        if openings.break_glass is not None:
            # The lead's break-glass opened the household: shown on the page, and recorded.
            children = list(person.household_children.all())
            audit_read(
                user,
                participants=[person],
                categories=[C.HOUSEHOLD],
                obj=person,
                detail={"page": "participant", "break_glass": openings.break_glass.pk},
            )
    return ParticipantRecord(
        person, referrals, categories, frozenset(anywhere), openings, children, taking_part
    )


def household_read(user, participant) -> list:
    """The children of a participant's household, read and recorded as a household read: for a
    user the rules let read it (the caller decides; this fetches and records)."""
    with transaction.atomic():
        children = list(participant.household_children.all())
        read_recorded(user, participants=[participant], categories=[C.HOUSEHOLD],
                      obj=participant, detail={"page": "household"})  # fmt: skip
    return children


def court_orders_read(user, participant) -> list:
    """A participant's court orders and subpoenas, newest first, read and audited as legal facts
    when there are any (the page of the team that records them)."""
    with transaction.atomic():
        orders = list(
            participant.court_orders.select_related(
                "recipient_agency", "created_by", "ended_by"
            ).order_by("-made_on", "-id")
        )
        if orders:
            audit_read(user, participants=[participant], categories=[C.LEGAL], obj=participant,
                       detail={"page": "court orders"})  # fmt: skip
    return orders


def journey_rows_read(user, rows, shows: Callable[[frozenset], Iterable[str]], *,
                      also: Iterable[str] = (), detail_key: str = "") -> list:  # fmt: skip
    """Referrals or episodes (a queryset built on `reach.referrals_visible_to` or
    `episodes_visible_to`, each row with its programme), read and recorded, as (row, readable
    categories) pairs. `shows` says which of a row's readable categories the caller shows
    (its output fields); `also`, categories of the participant shown alongside; `detail_key`,
    when given, names the rows' ids in the audit entry's detail."""
    with transaction.atomic():
        found = list(rows)
        # Each programme read whole once (its switches and statute), not through each row's.
        team = team_programmes(user)
        by_programme: dict = {}
        pairs: list[tuple] = []
        shown: set[str] = set(also)
        programmes: dict[int, object] = {}
        for row in found:
            programme = team.get(row.programme_id, row.programme)
            if programme.pk not in by_programme:
                by_programme[programme.pk] = readable(user, programme=programme)
            categories = by_programme[programme.pk]
            pairs.append((row, categories))
            shown.update(shows(categories))
            programmes.setdefault(row.participant_id, programme)
        detail = {detail_key: [row.pk for row in found]} if detail_key else None
        read_recorded(user, participants=list(programmes), categories=shown, detail=detail,
                      programme_by_participant=programmes)  # fmt: skip
    return pairs


def transitions_read(user, referral, rows, shows: Callable[[frozenset], Iterable[str]]
                     ) -> tuple[list, frozenset]:  # fmt: skip
    """The steps of a referral the caller reached (`rows`, a queryset of its transitions), read
    and recorded, with the categories the user may read in its programme."""
    categories = readable(user, programme=referral.programme)
    with transaction.atomic():
        found = list(rows)
        if found:
            read_recorded(
                user,
                participants=[referral.participant_id],
                categories=list(shows(categories)),
                obj=referral,
                programme_by_participant={referral.participant_id: referral.programme},
            )
    return found, categories


def participation_consents_read(user, referral, shows: Callable[[frozenset], Iterable[str]]
                                ) -> tuple[list, frozenset]:  # fmt: skip
    """The consents to take part of a referral the caller reached, newest first, read and
    recorded as legal facts of its programme, with the categories the user may read there."""
    categories = readable(user, programme=referral.programme)
    with transaction.atomic():
        found = list(
            referral.participation_consents.select_related("recorded_by").order_by(
                "-recorded_at", "-id"
            )
        )
        shown = list(shows(categories))
        if found and shown:
            read_recorded(
                user,
                participants=[referral.participant_id],
                categories=shown,
                obj=referral,
                detail={"participation_consent_ids": [c.pk for c in found]},
                programme_by_participant={referral.participant_id: referral.programme},
            )
    return found, categories


def share_consents_read(user, participant) -> list:
    """A participant's consents to share, newest first, as the staff who record them see them
    (the caller decides who may; this fetches and records the read of the participant)."""
    with transaction.atomic():
        consents = list(
            participant.share_consents.select_related(
                "disclosing_agency", "recipient_agency", "recipient_user", "created_by"
            ).order_by("-created_at", "-id")
        )
        read_recorded(user, participants=[participant], categories=[C.IDENTITY],
                      obj=participant, detail={"page": "consents to share"})  # fmt: skip
    return consents


def own_consents(participant):
    """A participant's own consents to share, newest first, as the portal shows them to the
    participant: their own record, read by them, so nothing crosses and nothing is audited."""
    return list(
        participant.share_consents.select_related(
            "participant", "disclosing_agency", "recipient_agency", "recipient_user"
        ).order_by("-created_at", "-id")
    )


def own_consent(participant, consent_pk):
    """One of the participant's own consents to share, or None: anyone else's is not theirs."""
    try:
        pk = int(consent_pk)
    except (ValueError, TypeError):
        return None
    return next((c for c in own_consents(participant) if c.pk == pk), None)


@dataclass
class FieldHistory:
    """Earlier values of fields edited after entry, only of categories the user may read: the
    participant's name and date of birth (identity) and each referral's offence facts (legal
    facts, per referral in its programme). Each list is newest first; a category the user may
    not read is absent (`identity` None, the referral left out of `offence`)."""

    identity: list | None = None
    offence: dict = field(default_factory=dict)  # referral id -> its earlier values


def field_history_read(user, participant, referrals=(), *, identity: bool = True) -> FieldHistory:
    """A participant's earlier values (and those of `referrals`, already reached), decided by
    the category of each field with the rules and recorded like the page they go on: one audit
    entry and the disclosure acts for what is shown. `identity=False` leaves the participant's
    own out (a referral's detail)."""
    referrals = list(referrals)
    programme = referrals[0].programme if referrals else None
    history = FieldHistory()
    with transaction.atomic():
        shown: set[str] = set()
        if identity and decide(user, C.IDENTITY, programme=programme):
            history.identity = list(
                participant.field_changes.select_related("changed_by").order_by(
                    "-changed_at", "-id"
                )
            )
            if history.identity:
                shown.add(C.IDENTITY)
        legal = [r.pk for r in referrals if decide(user, C.LEGAL, programme=r.programme)]
        history.offence = {pk: [] for pk in legal}
        if legal:  # one query for every referral shown, however many
            for change in (
                ReferralFieldChange.objects.filter(referral__in=legal)
                .select_related("changed_by")
                .order_by("-changed_at", "-id")
            ):
                history.offence[change.referral_id].append(change)
                shown.add(C.LEGAL)
        if shown:
            read_recorded(
                user, participants=[participant], categories=sorted(shown), obj=participant,
                detail={"earlier_values": sorted(shown)},
                programme_by_participant={participant.pk: programme} if programme else None,
            )  # fmt: skip
    return history


# One person, one record (docs/sharing.md) -------------------------------------------------------


def duplicate_candidates(user, *, given_name, family_name, date_of_birth, identifiers=(),
                         exclude=None) -> list[tuple]:  # fmt: skip
    """(participant, reasons) for each participant in the user's reach who is probably the person
    described (`people.duplicates`), read and recorded. Only records the user reaches are
    compared, and an identifier only of a kind the user may read: what the answer shows is what
    the user could have found by searching their own caseload, so it tells them nothing about
    anyone out of their reach (no existence oracle)."""
    may_read = readable(user)
    wanted = frozenset(
        (kind, normalise(kind, value)) for kind, value in identifiers
        if kind in IDENTIFIER_CATEGORY and IDENTIFIER_CATEGORY[kind] in may_read
    )  # fmt: skip
    with transaction.atomic():
        reach = participants_visible_to(user)
        if exclude is not None:
            reach = reach.exclude(pk=getattr(exclude, "pk", exclude))
        by_birth = list(reach.filter(date_of_birth=date_of_birth)) if date_of_birth else []
        held: dict[int, set] = {}
        if wanted:
            same = ExternalIdentifier.objects.filter(
                participant__in=reach, withdrawn_at__isnull=True
            ).filter(kind__in={k for k, _ in wanted}, normalised__in={v for _, v in wanted})
            for row in same:
                held.setdefault(row.participant_id, set()).add((row.kind, row.normalised))
        people = {p.pk: p for p in by_birth}
        people.update({p.pk: p for p in reach.filter(pk__in=list(held))})
        new = Person(str(given_name or ""), str(family_name or ""), date_of_birth, wanted)
        found = likely_duplicates(new, [
            (p, Person(p.given_name, p.family_name, p.date_of_birth, frozenset(held.get(p.pk, ()))))
            for p in sorted(people.values(), key=lambda p: (p.family_name, p.given_name, p.pk))
        ])  # fmt: skip
        if found:
            shown = {C.IDENTITY} | {IDENTIFIER_CATEGORY[k] for p, _ in found
                                    for k, _ in held.get(p.pk, ())}  # fmt: skip
            read_recorded(user, participants=[p for p, _ in found], categories=shown,
                          detail={"page": "likely duplicates"})  # fmt: skip
    return found


def participant_details_read(user, participant, openings=None, *, withdrawn: bool = False
                             ) -> tuple[list, list]:  # fmt: skip
    """The participant's external identifiers of the categories the user may read (each kind in
    its own category: a court role never sees a health number) and their contact details
    (identity), read and recorded. `openings`, when the caller has read them already (the
    participant page's `participant_record`), saves reading them again; as on the page, a court
    order opens nothing here (it leaves as the export limited to its scope). Only the current
    ones, or with `withdrawn` also those withdrawn as recorded in error (`withdrawn_at` set)."""
    if openings is None:
        openings = openings_of(user, participant)
    openings = replace(openings, court_orders=())
    may_read = readable(user, openings=openings)
    identifiers = [
        i for i in participant.identifiers.select_related("withdrawn_by")
        if i.category in may_read and (withdrawn or i.withdrawn_at is None)
    ]  # fmt: skip
    contacts = [
        c for c in participant.contact_details.select_related("withdrawn_by")
        if withdrawn or c.withdrawn_at is None
    ] if C.IDENTITY in may_read else []  # fmt: skip
    shown = {i.category for i in identifiers} | ({C.IDENTITY} if contacts else set())
    if shown:
        # Recorded before anything is returned: if the record fails, nothing is shown (SEC-19).
        read_recorded(user, participants=[participant], categories=shown, obj=participant,
                      detail={"page": "identifiers and contact details"},
                      openings={participant.pk: openings})  # fmt: skip
    return identifiers, contacts


def participant_detail_read(user, participant, kind: str, pk):
    """One identifier (`kind` "identifier") or contact detail ("contact") of a reached participant,
    current or withdrawn, read and recorded; Http404 alike when there is none and when the user
    may not read its category (a court role never learns that a health number is there)."""
    model, label = (
        (ExternalIdentifier, "identifier")
        if kind == "identifier"
        else (ContactDetail, "contact detail")
    )
    try:
        pk = int(pk)
    except (ValueError, TypeError):
        pk = 0
    row = model.objects.filter(participant=participant, pk=pk).first()
    category = row.category if isinstance(row, ExternalIdentifier) else C.IDENTITY
    openings = replace(openings_of(user, participant), court_orders=())
    if row is None or category not in readable(user, openings=openings):
        raise not_found(model, pk, label)
    read_recorded(user, participants=[participant], categories={category}, obj=row,
                  detail={"page": f"withdraw {label}"},
                  openings={participant.pk: openings})  # fmt: skip
    return row


def merges_kept(participant) -> list:
    """The merges into this participant (reached by the caller), newest first, with the merged
    record: what an unmerge can undo."""
    return list(
        ParticipantMerge.objects.filter(kept=participant)
        .select_related("merged", "merged_by", "unmerged_by")
        .order_by("-merged_at", "-id")
    )


# Recovery plans (docs/plans.md) ------------------------------------------------------------------


@dataclass
class PlanRead:
    """A participant's recovery plan as the user may see it: the plan (None when there is none
    yet), the referral it is for, the versions the user may see (oldest first; each with its
    goals and services prefetched), and what opened it (`Decision.basis`). A court order opens
    only the versions agreed within its date range."""

    plan: Any = None
    referral: Any = None
    versions: list = field(default_factory=list)
    basis: str = ""

    @property
    def current(self):
        if self.plan is None:
            return None
        return next((v for v in self.versions if v.number == self.plan.current_version), None)


def _plan_decided(user, participant, referrals=None, openings=None) -> tuple:
    """(plan or None, the referral it is for or would be for, openings, decision): the plan of
    the participant's newest referral to the user's team that has one, decided for the PLAN
    category in that referral's programme with the participant's openings. `referrals` (the
    participant's referrals to the user's team, with their programmes) and `openings`, when the
    caller has read them already, are not read again; a user the rules deny costs no query more.
    """
    if referrals is None:
        referrals = list(
            participant.referrals.filter(programme__in=team_programme_ids(user)).select_related(
                "programme"
            )
        )
    referrals = sorted(referrals, key=lambda r: (r.referral_date, r.pk), reverse=True)
    if openings is None:
        openings = openings_of(user, participant)
    newest = referrals[0] if referrals else None
    programmes = {r.programme_id: r.programme for r in referrals}
    if not any(decide(user, C.PLAN, programme=p, openings=openings) for p in programmes.values()):
        decision = decide(user, C.PLAN, programme=newest.programme if newest else None,
                          openings=openings)  # fmt: skip
        return None, newest, openings, decision
    plan = (
        RecoveryPlan.objects.filter(referral__in=[r.pk for r in referrals])
        .order_by("-referral__referral_date", "-referral_id")
        .first()
    )
    by_pk = {r.pk: r for r in referrals}
    referral = by_pk[plan.referral_id] if plan is not None else newest
    programme = referral.programme if referral is not None else None
    decision = decide(user, C.PLAN, programme=programme, openings=openings)
    return plan, referral, openings, decision


def _plan_versions(plan, decision, openings, numbers=None) -> list:
    if plan is None:
        return []
    versions = plan.versions.select_related("created_by").prefetch_related("goals", "services")
    if numbers is not None:
        versions = versions.filter(number__in=list(numbers))
    found = list(versions.order_by("number"))
    kind, _, ref = decision.basis.partition(":")
    if kind == "court_order":
        # An order opens only information dated within its range: here, versions agreed then.
        order = next((o for o in openings.court_orders if str(o.pk) == ref), None)
        found = [v for v in found if order is not None and order.dated_within(v.agreed_on)]
    return found


def _plan_read_recorded(user, participant, plan, referral, openings, versions, page) -> None:
    """Every read of a plan is audited, whoever reads it (the plan holds the participant's own
    words about their life, so who saw it is worth knowing), and its disclosure acts are written
    when it crosses to another agency: one transaction, the caller's."""
    detail = {"page": page, "versions": [v.number for v in versions]}
    audit_write(acting_user=user, action="read", categories=[C.PLAN], obj=plan,
                participant_ids=[participant.pk], purpose=default_purpose(user),
                detail=detail)  # fmt: skip
    read_recorded(user, participants=[participant], categories=[C.PLAN], obj=plan,
                  detail=detail, programme_by_participant={participant.pk: referral.programme},
                  openings={participant.pk: openings})  # fmt: skip


def plan_read(user, participant, *, referrals=None, openings=None) -> PlanRead:
    """A reached participant's recovery plan: decided for the PLAN category with the rules for
    the programme of the plan's referral and the participant's openings (consents, court
    orders); its versions fetched and the read recorded (always audited) in one transaction.
    `PolicyDenied` when the
    user may not see it; a participant without a plan reads as an empty `PlanRead` (nothing
    shown, nothing recorded). `referrals` and `openings`: as `_plan_decided`."""
    plan, referral, openings, decision = _plan_decided(user, participant, referrals, openings)
    if not decision:
        raise PolicyDenied(decision.reason)
    if plan is None:
        return PlanRead(None, referral, [], decision.basis)  # nothing to show or record
    with transaction.atomic():
        versions = _plan_versions(plan, decision, openings)
        if versions:
            _plan_read_recorded(user, participant, plan, referral, openings, versions,
                                "recovery plan")  # fmt: skip
    return PlanRead(plan, referral, versions, decision.basis)


def plan_versions_read(user, participant, numbers) -> PlanRead:
    """Some versions of a reached participant's plan, by number (to show side by side),
    decided, fetched and recorded as `plan_read`. Http404 when the plan or a version asked for
    does not exist or is not open to the user, alike."""
    wanted = sorted({int(n) for n in numbers})
    with transaction.atomic():
        plan, referral, openings, decision = _plan_decided(user, participant)
        if not decision:
            raise PolicyDenied(decision.reason)
        versions = _plan_versions(plan, decision, openings, wanted)
        if not wanted or [v.number for v in versions] != wanted:
            raise Http404("No such version of the recovery plan")
        _plan_read_recorded(user, participant, plan, referral, openings, versions,
                            "recovery plan versions")  # fmt: skip
    return PlanRead(plan, referral, versions, decision.basis)


# Assessments (docs/assessments.md) --------------------------------------------------------------


@dataclass
class AssessmentsRead:
    """A participant's administrations (newest first, in progress ones included) and external
    assessments (newest first), only of the categories the user may read for each, with the
    openings the decisions used."""

    participant: Any
    administrations: list = field(default_factory=list)
    external: list = field(default_factory=list)
    openings: Openings | None = None


def _assessment_decider(user, person, *, openings=None, referrals=None
                        ) -> tuple[Callable, Openings, dict]:  # fmt: skip
    """(may(row) -> bool, the page's openings, participant id -> programme shown for): a row of
    a referral to the user's team is decided in that referral's programme, any other in none,
    each with the participant's consents and break-glass (a court order opens no page: it leaves
    as the export limited to its scope, as on the participant page). `openings` and `referrals`
    (the participant's referrals to the user's team, newest first, with their programmes), when
    the caller has read them already (the participant page's `participant_record`), save reading
    them again."""
    on_page = replace(openings or openings_of(user, person), court_orders=())
    if referrals is None:
        programmes = team_programmes(user)
        referrals = [
            r for r in person.referrals.filter(programme__in=list(programmes))
            .select_related("programme").order_by("-referral_date", "-id")
        ]  # fmt: skip
    by_referral = {r.pk: r.programme for r in referrals}
    cache: dict = {}

    def may(row) -> bool:
        programme = by_referral.get(row.referral_id)
        key = programme.pk if programme is not None else None
        if key not in cache:
            cache[key] = readable(user, programme=programme, openings=on_page)
        return row.category in cache[key]

    first = next(iter(by_referral.values()), None)
    return may, on_page, ({person.pk: first} if first is not None else {})


def assessments_read(user, participant, *, openings=None, referrals=None) -> AssessmentsRead:
    """A reached participant's administrations and external assessments that the user may read,
    decided per row with the rules (the row's programme, the participant's openings), read and
    recorded in one transaction: an audit entry when a category shown is sensitive (mental
    health, clinical), disclosure acts when what is shown crosses agencies. `openings` and
    `referrals` as for `_assessment_decider`."""
    with transaction.atomic():
        may, on_page, programme_by = _assessment_decider(
            user, participant, openings=openings, referrals=referrals
        )
        administrations = [
            a for a in participant.administrations.select_related("administered_by", "referral")
            .order_by("-administered_on", "-id") if may(a)
        ]  # fmt: skip
        external = [
            e for e in participant.external_assessments.select_related("recorded_by", "referral")
            .order_by("-assessed_on", "-id") if may(e)
        ]  # fmt: skip
        shown = {a.category for a in administrations} | {e.category for e in external}
        if shown:
            read_recorded(
                user, participants=[participant], categories=sorted(shown), obj=participant,
                detail={"page": "assessments",
                        "administration_ids": [a.pk for a in administrations],
                        "external_assessment_ids": [e.pk for e in external]},
                programme_by_participant=programme_by or None,
                openings={participant.pk: on_page},
            )  # fmt: skip
    return AssessmentsRead(participant, administrations, external, on_page)


def administration_read(user, participant, pk):
    """One administration of a reached participant, read and recorded; Http404 alike when there
    is none and when the user may not read its category (a court role never learns that a
    depression score is there)."""
    try:
        pk = int(pk)
    except (ValueError, TypeError):
        pk = 0
    with transaction.atomic():
        row = (
            participant.administrations.select_related("administered_by", "referral")
            .filter(pk=pk)
            .first()
        )
        may, on_page, programme_by = _assessment_decider(user, participant)
        if row is None or not may(row):
            raise not_found(Administration, pk, "administration")
        read_recorded(
            user, participants=[participant], categories=[row.category], obj=row,
            detail={"page": "administration"}, programme_by_participant=programme_by or None,
            openings={participant.pk: on_page},
        )  # fmt: skip
    return row


def administration_reached(user, pk) -> tuple:
    """(participant, administration) for an administration named by id alone (the API's
    /administrations/{id}), read and recorded like `administration_read`; Http404 alike when it
    does not exist, its participant is out of reach or its category is not the user's to read."""
    try:
        pk = int(pk)
    except (ValueError, TypeError):
        pk = 0
    owner = Administration.objects.filter(pk=pk).values_list("participant_id", flat=True).first()
    if owner is None:
        raise not_found(Administration, pk, "administration")
    person = participants_visible_to(user).filter(pk=owner).first()
    if person is None:
        raise not_found(Administration, pk, "administration")
    return person, administration_read(user, person, pk)


def own_administrations(participant) -> list:
    """The administrations a worker started for the participant to answer themselves (mode
    "self"), newest first, as the portal shows them to the participant: their own record, read
    by them, so nothing crosses and nothing is audited."""
    return list(participant.administrations.filter(mode="self").order_by("-administered_on", "-id"))


def own_administration(participant, pk):
    """One of the participant's own self-completion administrations, or None: anyone else's,
    and any a worker asks, is not theirs to open here."""
    try:
        pk = int(pk)
    except (ValueError, TypeError):
        return None
    return participant.administrations.filter(mode="self", pk=pk).first()


# Supervision: attendance and drug tests (docs/supervision.md) ----------------------------------


@dataclass
class AttendanceRead:
    """A participant's appointments in the referrals whose programme lets the user read
    attendance (with the participant's consents), and whether any does."""

    appointments: list = field(default_factory=list)
    readable: bool = False


def _team_referrals(user, participant) -> list:
    return list(
        participant.referrals.filter(programme__in=team_programme_ids(user)).select_related(
            "programme", "episode__key_worker"
        )
    )


def attendance_read(user, participant, *, since=None, referrals=None, openings=None
                    ) -> AttendanceRead:  # fmt: skip
    """The appointments of a reached participant (`since`: from that moment on), decided per
    referral's programme with the participant's openings (a court order opens nothing here: a
    list cannot keep to its date range), fetched and recorded. The participant page passes the
    team's `referrals` and the `openings` it has already read, so this adds one query. As in
    `participant_details_read`, the record is written (in its own transaction, joining the
    caller's) before anything is returned: if it fails, nothing is shown (SEC-19)."""
    openings = replace(openings or openings_of(user, participant), court_orders=())
    if referrals is None:
        referrals = _team_referrals(user, participant)
    allowed = {
        r.pk: r.programme for r in referrals
        if decide(user, C.ATTENDANCE, programme=r.programme, openings=openings)
    }  # fmt: skip
    if not allowed:
        return AttendanceRead()
    rows = Appointment.objects.filter(participant=participant, referral__in=list(allowed))
    if since is not None:
        rows = rows.filter(starts_at__gte=since)
    found = list(
        rows.select_related("with_user", "referral__programme", "rescheduled_to",
                            "outcome_recorded_by").order_by("-starts_at", "-id")
    )  # fmt: skip
    if found:
        read_recorded(
            user, participants=[participant], categories=[C.ATTENDANCE], obj=participant,
            detail={"page": "attendance", "appointments": len(found)},
            programme_by_participant={participant.pk: found[0].referral.programme},
            openings={participant.pk: openings},
        )  # fmt: skip
    return AttendanceRead(found, True)


@dataclass
class DrugTestsRead:
    """A participant's tests the user may read (forensic ones as drug test results, clinical
    ones as clinical information, each in its referral's programme), with their results and
    interpretation, and the categories of tests the user may read in any of those referrals."""

    tests: list = field(default_factory=list)
    readable: frozenset = frozenset()


def drug_tests_read(user, participant) -> DrugTestsRead:
    """The drug and alcohol tests of a reached participant, newest first, with their results.
    A judge reads forensic results only where the programme's switch (`court_receives_test_
    results`) or the participant's consent allows, and never a clinical test. Decided, fetched
    and recorded (an audited read: test results are sensitive) in one transaction."""
    kinds = {C.DRUG_TESTS, C.CLINICAL}
    with transaction.atomic():
        openings = replace(openings_of(user, participant), court_orders=())
        by_referral = {}
        for r in _team_referrals(user, participant):
            may = {c for c in kinds if decide(user, c, programme=r.programme, openings=openings)}
            if may:
                by_referral[r.pk] = (r.programme, may)
        if not by_referral:
            return DrugTestsRead()
        found = [
            t for t in DrugTest.objects.filter(participant=participant,
                                               referral__in=list(by_referral))
            .select_related("referral__programme", "interpreted_by", "recorded_by", "appointment")
            .prefetch_related("results").order_by("-collected_at", "-id")
            if t.category in by_referral[t.referral_id][1]
        ]  # fmt: skip
        readable_kinds = frozenset().union(*(may for _, may in by_referral.values()))
        if found:
            read_recorded(
                user, participants=[participant], categories=sorted({t.category for t in found}),
                obj=participant, detail={"page": "drug tests", "tests": [t.pk for t in found]},
                programme_by_participant={participant.pk: found[0].referral.programme},
                openings={participant.pk: openings},
            )  # fmt: skip
    return DrugTestsRead(found, readable_kinds)


def _attendance_programmes(user) -> list:
    """The team's programmes whose attendance the user's role reads (no consent opens a list)."""
    return [p for p in team_programmes(user).values() if decide(user, C.ATTENDANCE, programme=p)]


def _appointments_recorded(user, rows, page: str) -> list:
    found = list(rows)
    if found:
        read_recorded(
            user, participants=list({a.participant_id: a.participant for a in found}.values()),
            categories=[C.IDENTITY, C.ATTENDANCE], detail={"page": page},
            programme_by_participant={a.participant_id: a.referral.programme for a in found},
        )  # fmt: skip
    return found


def calendar_read(user, *, start, end, worker=None) -> list:
    """The appointments with `worker` (the user when None) from `start` to before `end`
    (datetimes), of participants in the user's reach in programmes whose attendance the user
    reads, in time order, recorded as one read."""
    with transaction.atomic():
        rows = Appointment.objects.filter(
            with_user=worker or user, starts_at__gte=start, starts_at__lt=end,
            referral__programme__in=_attendance_programmes(user),
            participant__in=participants_visible_to(user),
        ).select_related("participant", "referral__programme", "with_user").order_by(
            "starts_at", "id"
        )  # fmt: skip
        return _appointments_recorded(user, rows, "calendar")


def call_in_read(user, day) -> list:
    """The participants called in for a drug or alcohol test on `day`: the planned tests of
    that day (drawn or booked) of participants in the user's reach, in programmes whose
    attendance the user reads, recorded as one read."""
    with transaction.atomic():
        rows = Appointment.objects.filter(
            kind=AppointmentKind.DRUG_TEST, starts_at__date=day,
            referral__programme__in=_attendance_programmes(user),
            participant__in=participants_visible_to(user),
        ).select_related("participant", "referral__programme", "with_user").order_by(
            "participant__family_name", "participant__given_name", "starts_at", "id"
        )  # fmt: skip
        return _appointments_recorded(user, rows, "call-in list")


# Custody and release (docs/supervision.md, "Custody and release") -------------------------------


@dataclass
class CustodyRow:
    """One custody episode as a reader may see it: the episode's own facts only with `legal`;
    its release plan (None when not started) and the plan's items of the categories the reader
    may read; the release day the plan prepares for; the 14-day window when in it."""

    episode: Any
    legal: bool
    plan: Any = None
    items: list = field(default_factory=list)  # the plan's items the reader may read
    hidden_items: int = 0  # items of categories the reader may not read
    open_items: list = field(default_factory=list)
    window: Any = None  # supervision.custody.ReleaseWindow, or None
    categories: frozenset = frozenset()

    @property
    def release_day(self):
        return self.episode.released_on or self.episode.expected_release_on


def _custody_programme(episode, team: dict):
    """The programme a custody episode's categories are decided in: its referral's when it has
    one in the user's team, else the participant's latest referral to the user's team."""
    if episode.referral_id is not None and episode.referral_id in team:
        return team[episode.referral_id]
    return team.get(None)


def custody_read(user, participant, *, today=None, openings=None, referrals=None
                 ) -> list[CustodyRow]:  # fmt: skip
    """A participant's custody episodes, newest first, with their release plans, as this user
    may see them (decided per episode in its programme with the participant's openings), read
    and recorded. Episodes are legal facts; a plan and the release day it prepares for are
    pathway; each item is of its own category (the treatment items clinical). A reader of
    neither legal facts nor the pathway gets nothing, and nothing is recorded. `openings` and
    `referrals` (the participant's referrals to the user's team, with their programmes), when
    the caller has read them already (the participant page), save reading them again."""
    today = today or timezone.localdate()
    if openings is None:
        openings = openings_of(user, participant)
    openings = replace(openings, court_orders=())
    with transaction.atomic():
        if referrals is None:
            referrals = participant.referrals.filter(
                programme__in=team_programme_ids(user)
            ).select_related("programme")
        referrals = sorted(referrals, key=lambda r: (r.referral_date, r.pk), reverse=True)
        team: dict = {r.pk: r.programme for r in referrals}
        team[None] = referrals[0].programme if referrals else None
        episodes = list(
            CustodyEpisode.objects.filter(participant=participant)
            .select_related("release_plan", "recorded_by")
            .prefetch_related("release_plan__items__changed_by")
            .order_by("-started_on", "-id")
        )
        decided: dict = {}
        rows, shown = [], set()
        for episode in episodes:
            programme = _custody_programme(episode, team)
            key = programme.pk if programme else None
            if key not in decided:
                decided[key] = readable(user, programme=programme, openings=openings)
            cats = decided[key]
            legal, pathway = C.LEGAL in cats, C.PATHWAY in cats
            if not (legal or pathway):
                continue
            plan = getattr(episode, "release_plan", None) if pathway else None
            row = CustodyRow(episode, legal, plan, categories=cats)
            if plan is not None:
                every = list(plan.items.all())
                row.items = [i for i in every if i.category in cats]
                row.hidden_items = len(every) - len(row.items)
                row.open_items = open_release_tasks(row.items)
                shown |= {i.category for i in row.items}
                shown.add(C.PATHWAY)
            row.window = release_window(episode.released_on, today)
            shown.add(C.LEGAL if legal else C.PATHWAY)
            rows.append(row)
        if rows:
            read_recorded(
                user, participants=[participant], categories=sorted(shown), obj=participant,
                detail={"page": "custody and release",
                        "custody_episode_ids": [r.episode.pk for r in rows]},
                programme_by_participant={participant.pk: team[None]} if team[None] else None,
                openings={participant.pk: openings},
            )  # fmt: skip
    return rows


@dataclass
class ReleaseListRow:
    participant: Any
    episode: Any
    programme: Any
    window: Any  # in the 14 days after release, else None (release expected)
    plan_started: bool
    open_items: list
    # Whether the plan has tasks of categories the reader may not read (never how many are open).
    hidden: bool
    legal: bool  # whether the reader may see the episode's own facts (kind, establishment)


def release_list_read(user, *, today=None) -> list[ReleaseListRow]:
    """The participants within the user's reach whose release from custody is expected in the
    next `UPCOMING_WEEKS` weeks or who left custody in the last 14 days, and who have tasks of
    their release plan still open that the user may see (or no plan yet): those in the 14 days
    after release first, then the soonest release. Decided per participant's programme: the
    release day and the plan with the pathway, the episode's own facts only with legal facts,
    the open items only of categories the user may read. Read and recorded in one
    transaction."""
    today = today or timezone.localdate()
    team = team_programmes(user)
    by_programme = {pk: readable(user, programme=p) for pk, p in team.items()}
    may = {pk for pk, cats in by_programme.items() if C.PATHWAY in cats}
    if not may:
        return []
    with transaction.atomic():
        reach = participants_visible_to(user)
        expected = Q(released_on__isnull=True, expected_release_on__gte=today,
                     expected_release_on__lte=today + timedelta(weeks=UPCOMING_WEEKS))  # fmt: skip
        released = Q(released_on__gte=today - timedelta(days=RELEASE_WINDOW_DAYS),
                     released_on__lte=today)  # fmt: skip
        episodes = list(
            CustodyEpisode.objects.filter(participant__in=reach)
            .filter(expected | released)
            .select_related("participant", "referral", "release_plan")
            .prefetch_related("release_plan__items")
            .order_by("participant_id", "-started_on", "-id")
        )
        latest: dict = {}
        for r in referrals_visible_to(user).filter(
            participant__in={e.participant_id for e in episodes}
        ).order_by("participant_id", "-referral_date", "-id"):  # fmt: skip
            latest.setdefault(r.participant_id, r.programme_id)
        rows, seen = [], set()
        for episode in episodes:
            if episode.participant_id in seen:
                continue  # the latest episode only
            seen.add(episode.participant_id)
            referral = episode.referral
            pid = referral.programme_id if referral and referral.programme_id in team else (
                latest.get(episode.participant_id))  # fmt: skip
            if pid not in may:
                continue
            cats = by_programme[pid]
            plan = getattr(episode, "release_plan", None)
            items = list(plan.items.all()) if plan else []
            visible = open_release_tasks(items, categories=cats)
            if plan is not None and not visible:
                continue  # everything the reader may see is done: nothing to list
            rows.append(ReleaseListRow(
                episode.participant, episode, team[pid],
                release_window(episode.released_on, today), plan is not None, visible,
                any(i.category not in cats for i in items), C.LEGAL in cats,
            ))  # fmt: skip
        rows.sort(key=lambda r: (r.window is None, r.episode.released_on
                                 or r.episode.expected_release_on, r.participant.family_name,
                                 r.participant.pk))  # fmt: skip
        if rows:
            shown = {C.IDENTITY, C.PATHWAY} | {i.category for r in rows for i in r.open_items}
            shown |= {C.LEGAL} if any(r.legal for r in rows) else set()
            read_recorded(
                user, participants=[r.participant for r in rows], categories=sorted(shown),
                detail={"page": "releases"},
                programme_by_participant={r.participant.pk: r.programme for r in rows},
            )  # fmt: skip
    return rows


# Outcomes (docs/outcomes.md) ----------------------------------------------------------------------


@dataclass
class ParticipantOutcomes:
    """A participant's outcome events and follow-ups that the user may read: each event decided
    by its own category (a reconviction is a legal fact, a housing status an outcome) in the
    programme of its referral, or in the participant's programmes of the user's team when it
    has none (an imported record); follow-ups of the team's referrals, as outcomes."""

    events: list = field(default_factory=list)
    follow_ups: list = field(default_factory=list)
    readable: frozenset = frozenset()  # the categories the user may read anywhere here


def participant_outcomes_read(user, participant, record: ParticipantRecord | None = None
                              ) -> ParticipantOutcomes:  # fmt: skip
    """A reached participant's outcome events and follow-ups, decided per category with the
    rules per programme of the user's team, fetched and recorded before anything is returned
    (if the record fails, nothing is). `record`, the participant page's `participant_record`,
    saves reading the referrals and openings again. As on the participant page, a court order
    opens nothing here (it leaves as the export)."""
    openings: Openings | None
    if record is None:
        openings = replace(openings_of(user, participant), court_orders=())
        referrals = list(
            participant.referrals.filter(programme__in=team_programme_ids(user)).select_related(
                "programme"
            )
        )
        by_referral = {
            r.pk: readable(user, programme=r.programme, openings=openings) for r in referrals
        }
    else:
        openings = replace(record.openings, court_orders=()) if record.openings else None
        referrals, by_referral = record.referrals, record.categories
    anywhere: frozenset = frozenset().union(*by_referral.values())
    kinds = anywhere & {C.LEGAL, C.OUTCOMES}
    events = [
        e for e in participant.outcome_events.filter(category__in=kinds)
        .select_related("referral__programme")
        .order_by("-outcome_date", "-effective_on", "-id")
        if e.category in by_referral.get(e.referral_id, anywhere)
    ] if kinds else []  # fmt: skip
    with_outcomes = [pk for pk, cats in by_referral.items() if C.OUTCOMES in cats]
    follow_ups = list(
        FollowUp.objects.filter(participant=participant, referral__in=with_outcomes)
        .select_related("referral__programme")
        .order_by("due_on", "id")
    ) if with_outcomes else []  # fmt: skip
    shown = {e.category for e in events} | ({C.OUTCOMES} if follow_ups else set())
    if shown:
        read_recorded(
            user, participants=[participant], categories=sorted(shown), obj=participant,
            detail={"page": "outcomes"},
            programme_by_participant={participant.pk: referrals[0].programme},
            openings={participant.pk: openings} if openings else None,
        )  # fmt: skip
    return ParticipantOutcomes(events, follow_ups, anywhere)


def follow_up_read(user, pk) -> FollowUp:
    """One follow-up of a referral the user reaches, of a participant not merged away, that the
    user may read; Http404 alike when there is none and when the user may not read it."""
    try:
        pk = int(pk)
    except (ValueError, TypeError):
        pk = 0
    row = (
        FollowUp.objects.filter(
            pk=pk, referral__in=referrals_visible_to(user), participant__merged_into__isnull=True
        )
        .select_related("participant", "referral__programme", "episode", "administration")
        .first()
    )
    if row is None or not decide(user, C.OUTCOMES, programme=row.referral.programme):
        raise not_found(FollowUp, pk, "follow-up")
    read_recorded(
        user, participants=[row.participant], categories=[C.IDENTITY, C.OUTCOMES], obj=row,
        detail={"page": "follow-up"},
        programme_by_participant={row.participant_id: row.referral.programme},
    )  # fmt: skip
    return row


def follow_ups_due_read(user, *, today: date, days: int = 30, limit: int = 500) -> list:
    """Follow-ups still due on or before `days` after `today` (the overdue among them), of
    referrals the user reaches in programmes where the user may read outcomes, soonest first,
    with their participant (identity) and programme; read and recorded."""
    team = team_programmes(user)
    programmes = [pk for pk, p in team.items() if decide(user, C.OUTCOMES, programme=p)]
    with transaction.atomic():
        rows = list(
            FollowUp.objects.filter(
                referral__in=referrals_visible_to(user).filter(programme__in=programmes),
                participant__merged_into__isnull=True,
                status=FollowUpStatus.DUE,
                due_on__lte=today + timedelta(days=days),
            )
            .select_related("participant", "referral__programme")
            .order_by("due_on", "id")[:limit]
        )
        if rows:
            read_recorded(
                user, participants=[r.participant for r in rows],
                categories=[C.IDENTITY, C.OUTCOMES], detail={"page": "follow-ups due"},
                programme_by_participant={r.participant_id: r.referral.programme for r in rows},
            )  # fmt: skip
    return rows


# Supervision: responses and phase proposals (docs/supervision.md) -----------------------------


@dataclass
class ResponsesRead:
    """A participant's recorded responses the user may read (a response to substance use or to
    a test is drug test information, any other pathway information, each in its referral's
    programme), and the categories the user may read in any of those referrals."""

    responses: list = field(default_factory=list)
    readable: frozenset = frozenset()


def responses_read(user, participant, *, referrals=None, openings=None) -> ResponsesRead:
    """The responses recorded for a reached participant, newest first, decided per referral's
    programme with the participant's openings (a court order opens nothing on a list), fetched
    and recorded. The participant page passes the team's `referrals` and the `openings` it has
    already read, so this adds one query; as in `attendance_read`, the record is written (in its
    own transaction, joining the caller's) before anything is returned."""
    kinds = {C.PATHWAY, C.DRUG_TESTS}
    openings = replace(openings or openings_of(user, participant), court_orders=())
    if referrals is None:
        referrals = _team_referrals(user, participant)
    by_referral = {}
    for r in referrals:
        may = {c for c in kinds if decide(user, c, programme=r.programme, openings=openings)}
        if may:
            by_referral[r.pk] = (r.programme, may)
    if not by_referral:
        return ResponsesRead()
    found = [
        x for x in Response.objects.filter(participant=participant,
                                           referral__in=list(by_referral))
        .select_related("recorded_by", "referral__programme")
        if x.category in by_referral[x.referral_id][1]
    ]  # fmt: skip
    readable_kinds = frozenset().union(*(may for _, may in by_referral.values()))
    if found:
        read_recorded(
            user, participants=[participant], categories=sorted({x.category for x in found}),
            obj=participant, detail={"page": "responses", "responses": [x.pk for x in found]},
            programme_by_participant={participant.pk: by_referral[found[0].referral_id][0]},
            openings={participant.pk: openings},
        )  # fmt: skip
    return ResponsesRead(found, readable_kinds)


def _proposal_shown(user, proposal, openings=None):
    """The proposal with `shown_criteria`: only the criteria whose category the user may read
    in the programme (a judge who does not receive test results does not see the test one)."""
    programme = proposal.referral.programme
    proposal.shown_criteria = [
        c for c in proposal.criteria
        if decide(user, c["category"], programme=programme, openings=openings)
    ]  # fmt: skip
    return proposal


def phase_proposals_read(user, *, participant=None, status=ProposalStatus.OPEN,
                         referrals=None) -> list:  # fmt: skip
    """Phase proposals of the daily evaluation (`status`: one status, or None for every one),
    of the participants the user reaches in the team's programmes whose pathway the user's role
    reads; one participant's with `participant` (the participant page passes the team's
    `referrals` it holds, so this is one query). Fetched and recorded as one read."""
    if referrals is not None:
        programmes = {r.programme_id: r.programme for r in referrals}
    else:
        programmes = team_programmes(user)
    programmes = {pk: p for pk, p in programmes.items() if decide(user, C.PATHWAY, programme=p)}
    if not programmes:
        return []
    rows = PhaseProposal.objects.filter(referral__programme__in=list(programmes))
    if participant is not None:
        rows = rows.filter(participant=participant)
    else:
        rows = rows.filter(participant__in=participants_visible_to(user))
    if status is not None:
        rows = rows.filter(status=status)
    found = [
        _proposal_shown(user, p)
        for p in rows.select_related("participant", "referral__programme", "decided_by")
        .order_by("-proposed_on", "-id")
    ]  # fmt: skip
    if found:
        read_recorded(
            user, participants=list({p.participant_id: p.participant for p in found}.values()),
            categories=[C.IDENTITY, C.PATHWAY], detail={"page": "phase proposals"},
            programme_by_participant={p.participant_id: p.referral.programme for p in found},
        )  # fmt: skip
    return found


# Fidelity (docs/supervision.md, "Fidelity") ------------------------------------------------


# The category each participant-level provision's alert tells of: tests and their results are
# drug-test information; how often reviews are held is the pathway.
FIDELITY_ALERT_CATEGORY = {
    "testing-frequency": C.DRUG_TESTS,
    "result-turnaround": C.DRUG_TESTS,
    "review-frequency": C.PATHWAY,
}


@dataclass
class FidelityAlert:
    participant: Any  # a Participant
    phase: str
    findings: list  # the participant's findings not met, of the categories the user reads


@dataclass
class FidelityRead:
    programme: Any
    provisions: list
    findings: list  # the programme's: counts only
    caseloads: list  # [(key worker's name, participants, findings)]: counts only
    alerts: list[FidelityAlert]


def fidelity_read(user, programme) -> FidelityRead:
    """A programme of the user's team (else not found): its fidelity to its provisions (counts,
    for readers of its pathway; else refused) and the alerts for staff, the participants the
    user reaches whose provisions are not met, each alert only where the user's role reads its
    category in the programme. Decided, fetched and the alerts' read recorded together."""
    from turnpoint.accounts.models import User
    from turnpoint.supervision.fidelity import NOT_MET, programme_fidelity

    if programme.pk not in team_programmes(user):
        raise Http404("No such programme")
    decision = decide(user, C.PATHWAY, programme=programme)
    if not decision:
        raise PolicyDenied(decision.reason)
    shown = {pid for pid, c in FIDELITY_ALERT_CATEGORY.items()
             if decide(user, c, programme=programme)}  # fmt: skip
    with transaction.atomic():
        result = programme_fidelity(programme)
        names = {
            u.pk: str(u)
            for u in User.objects.filter(
                pk__in=[w for w, _, _ in result.caseloads if w is not None]
            )
        }
        caseloads = [(names.get(w, "No key worker") if w else "No key worker", n, found)
                     for w, n, found in result.caseloads]  # fmt: skip
        flagged = {
            row.participant_id: (row.phase_name, unmet)
            for row, found in result.participants
            if (unmet := [f for f in found if f.outcome == NOT_MET and f.provision in shown])
        }
        people = {
            p.pk: p
            for p in participants_visible_to(user).filter(pk__in=list(flagged))
        }  # fmt: skip
        alerts = sorted(
            (FidelityAlert(people[pk], *flagged[pk]) for pk in people),
            key=lambda a: (a.participant.family_name, a.participant.given_name, a.participant.pk),
        )
        if alerts:
            categories = {FIDELITY_ALERT_CATEGORY[f.provision] for a in alerts for f in a.findings}
            read_recorded(
                user, participants=[a.participant for a in alerts],
                categories=sorted({C.IDENTITY, *categories}),
                detail={"page": "fidelity", "programme": programme.slug},
                programme_by_participant={a.participant.pk: programme for a in alerts},
            )  # fmt: skip
    return FidelityRead(programme, result.provisions, result.findings, caseloads, alerts)
