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

from django.db import transaction

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
from .rules import Openings, decide, readable

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
