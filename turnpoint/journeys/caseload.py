"""The caseload's query parts: whose caseload a referral is on, and the attention order.

Expressions over referral querysets the caller built from `sharing.reach` (this module fetches
nothing itself). The order is computed in the database because the caseload is paged: each
participant is ranked by the referral their row shows (their latest among the list's filters),
with the rules of `attention.py`, and the page is cut after the sort.
"""

from datetime import date, timedelta

from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from turnpoint.sharing.models import ParticipationConsent
from turnpoint.supervision.models import (
    RELEASE_WINDOW_DAYS,
    CustodyEpisode,
    ItemStatus,
    ReleasePlanItem,
)

from .attention import (
    CONSENT_MISSING,
    NOTHING,
    OVERDUE,
    PHASE_MINIMUM,
    RELEASE_WINDOW,
    TARGETS,
    phase_minimums,
    targets_of,
)
from .machine import PRE_EPISODE
from .models import State, Transition


def assigned_to(user) -> Q:
    """Referrals on `user`'s own caseload ("My caseload"): the participant is on the programme and
    the user is the episode's key worker or case manager; or, until someone is assigned (before
    the start, or an episode with nobody assigned yet), the user recorded the referral, so no one
    in the pathway is on nobody's caseload."""
    on_programme = Q(state=State.EPISODE, episode__ended_on__isnull=True)
    assigned = Q(episode__key_worker=user) | Q(episode__case_manager=user)
    nobody = Q(episode__key_worker__isnull=True, episode__case_manager__isnull=True)
    return (
        (on_programme & assigned)
        | Q(state__in=PRE_EPISODE, created_by=user)
        | (on_programme & nobody & Q(created_by=user))
    )


def phase_started_on():
    """The date the referral's episode entered its current phase: its last phase change, else
    its start (None before an episode)."""
    last_change = (
        Transition.objects.filter(referral=OuterRef("pk"), kind=Transition.Kind.PHASE)
        .order_by("-occurred_on", "-id")
        .values("occurred_on")[:1]
    )
    return Coalesce(Subquery(last_change), "episode__started_on")


def participation_consent_exists():
    return Exists(
        ParticipationConsent.objects.filter(referral=OuterRef("pk"), withdrawn_at__isnull=True)
    )


def _per_programme(pairs) -> Case:
    """A date that differs by programme (and phase): `pairs` of (condition, date); NULL when none
    applies, so a comparison with it is never true."""
    return Case(*(When(cond, then=Value(day)) for cond, day in pairs), default=Value(None),
                output_field=DateField())  # fmt: skip


def release_window_facts(today: date, categories) -> dict:
    """The annotations of the 14 days after release, over referrals: `in_release_window`
    (the participant left custody in the window) and `release_tasks_open` (their release plan's
    open tasks of `categories`, the ones the reader may see)."""
    since = today - timedelta(days=RELEASE_WINDOW_DAYS)
    released = {"released_on__gte": since, "released_on__lte": today}
    window = CustodyEpisode.objects.filter(participant=OuterRef("participant_id"), **released)
    open_tasks = (
        ReleasePlanItem.objects.filter(
            plan__custody_episode__participant=OuterRef("participant_id"),
            status=ItemStatus.OPEN,
            category__in=sorted(categories),
            **{f"plan__custody_episode__{k}": v for k, v in released.items()},
        )
        .order_by()
        .values("plan__custody_episode__participant")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return {
        "in_release_window": Exists(window),
        "release_tasks_open": Coalesce(Subquery(open_tasks), Value(0)),
    }


def with_attention(referrals, *, programmes, today: date, consent_known: bool,
                   release_categories=None):  # fmt: skip
    """`referrals` annotated with `attention_rank` (0 most urgent, 9 nothing), `phase_started_on`
    and, when `consent_known`, `has_participation_consent`; with `release_categories` (the
    categories of release tasks the reader may see; None: the reader may not know of a
    release), `in_release_window` and `release_tasks_open`.

    Each target and phase minimum becomes, before the query, the date a referral or phase must
    have started after (today less the days), chosen by programme in the query; each condition
    tests the state first, so the subqueries (the phase's start, the consent) run only for the
    rows at the state that needs them."""
    referrals = referrals.annotate(phase_started_on=phase_started_on())
    whens = []
    if release_categories is not None:
        referrals = referrals.annotate(**release_window_facts(today, release_categories))
        whens.append(When(in_release_window=True, then=Value(RELEASE_WINDOW)))
    for target in TARGETS:
        # Overdue when the due date (start + days) is before today: start < today - days.
        cutoff = _per_programme(
            (Q(programme_id=p.pk), today - timedelta(days=targets_of(p.definition)[target.key]))
            for p in programmes
            if target.key in targets_of(p.definition)
        )
        dated = "referral_date" if target.counted_from == "referral" else "offence_date"
        whens.append(When(Q(state__in=target.pending) & Q(**{f"{dated}__lt": cutoff}),
                          then=Value(OVERDUE)))  # fmt: skip
    if consent_known:
        referrals = referrals.annotate(has_participation_consent=participation_consent_exists())
        whens.append(When(Q(state=State.DECISION) & Q(has_participation_consent=False),
                          then=Value(CONSENT_MISSING)))  # fmt: skip
    phase_cutoff = _per_programme(
        (Q(programme_id=p.pk, episode__phase_number=number), today - timedelta(days=days))
        for p in programmes
        for number, days in phase_minimums(p.definition).items()
    )
    whens.append(When(Q(state=State.EPISODE) & Q(phase_started_on__lte=phase_cutoff),
                      then=Value(PHASE_MINIMUM)))  # fmt: skip
    rank = Case(*whens, default=Value(NOTHING), output_field=IntegerField())
    return referrals.annotate(attention_rank=rank)


def participants_by_attention(participants, row_referrals, *, programmes, today: date,
                              consent_known: bool, release_categories=None):  # fmt: skip
    """`participants` ordered by the attention their row's referral needs (the latest of
    `row_referrals` for each), most urgent first, then in the list's usual name order."""
    ranked = with_attention(
        row_referrals.filter(participant=OuterRef("pk")).order_by("-referral_date", "-id"),
        programmes=programmes, today=today, consent_known=consent_known,
        release_categories=release_categories,
    )  # fmt: skip
    return participants.annotate(
        attention_rank=Coalesce(Subquery(ranked.values("attention_rank")[:1]), Value(NOTHING))
    ).order_by("attention_rank", "family_name", "given_name", "id")
