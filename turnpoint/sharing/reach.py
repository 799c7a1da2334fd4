"""Reach: which participants, referrals and episodes a user reaches, as querysets built from the
data every time, and what may open a participant's categories beyond the role (`openings_of`).

A user reaches a participant when the participant has a referral to a programme whose team the
user belongs to, and only if their role may read identity at all. A record out of reach is "not
found", never "forbidden", so identifiers reveal nothing (security.md SEC-02); `not_found` tells
the two apart only to audit the refusal (SEC-20).

Every function here asks the database; nothing is kept between calls or requests.
"""

from collections import defaultdict

from django.db.models import Count, Exists, OuterRef
from django.http import Http404
from django.utils import timezone

from turnpoint.accounts.models import Role
from turnpoint.journeys.models import Episode, Referral
from turnpoint.people.models import Participant
from turnpoint.programmes.models import Programme

from .categories import Category
from .models import BreakGlass, CourtOrder, ShareConsent
from .models.court_orders import CourtOrderKind
from .rules import Openings, decide, readable

C = Category


def team_programme_ids(user) -> list[int]:
    """The ids of the programmes of the user's team."""
    return list(user.programmes.order_by("pk").values_list("pk", flat=True))


def team_programmes(user) -> dict[int, Programme]:
    """Programme id -> programme, for each programme of the user's team."""
    return {p.pk: p for p in user.programmes.order_by("pk")}


def _may_reach_anyone(user) -> bool:
    return bool(decide(user, C.IDENTITY))


def participants_visible_to(user):
    """Every participant the user may reach, as a queryset: those with a referral to a programme
    of the user's team. The only way views, API, exports and search list participants. A record
    merged into another record of the same person is reached by no one (people/merge.py)."""
    if not _may_reach_anyone(user):
        return Participant.objects.none()
    referred = Referral.objects.filter(
        participant=OuterRef("pk"), programme__in=team_programme_ids(user)
    )
    return Participant.objects.filter(Exists(referred), merged_into__isnull=True)


def referrals_visible_to(user):
    """The referrals the user reaches: those to a programme of the user's team (a referral to
    the team's programme is itself what puts its participant in reach)."""
    if not _may_reach_anyone(user):
        return Referral.objects.none()
    return Referral.objects.filter(programme__in=team_programme_ids(user))


def episodes_visible_to(user):
    """The episodes the user reaches: in a programme of the user's team."""
    if not _may_reach_anyone(user):
        return Episode.objects.none()
    return Episode.objects.filter(
        participant__in=participants_visible_to(user), programme__in=team_programme_ids(user)
    )


def caseload_count(user, programme=None) -> int:
    """How many participants the user reaches, or only those referred to `programme` (one of the
    user's own) when given: the distinct participants of the referrals the user reaches."""
    referrals = referrals_visible_to(user)
    if programme is not None:
        referrals = referrals.filter(programme=programme)
    return referrals.aggregate(n=Count("participant_id", distinct=True))["n"]


class OutOfReach(Http404):
    """The record exists but the user may not reach it. Answered exactly like a missing record
    ("not found", security.md SEC-02); audited as a denied authorisation (SEC-20)."""

    def __init__(self, kind: str, pk: int):
        self.kind, self.pk = kind, pk
        super().__init__(f"No such {kind}")


def not_found(model, pk, kind: str) -> Http404:
    """The exception for a record the user cannot reach: `OutOfReach` when it exists (so the
    denial is audited), a plain Http404 when it does not."""
    try:
        pk = int(pk)
    except (ValueError, TypeError):
        return Http404(f"No such {kind}")
    if model._default_manager.filter(pk=pk).exists():
        return OutOfReach(kind, pk)
    return Http404(f"No such {kind}")


def participant_for_user(user, pk) -> Participant:
    """The participant `pk` if the user may reach them; Http404 alike for missing and forbidden."""
    try:
        pk = int(pk)
    except (ValueError, TypeError) as exc:
        raise not_found(Participant, pk, "participant") from exc
    found = participants_visible_to(user).filter(pk=pk).first()
    if found is None:
        raise not_found(Participant, pk, "participant")
    return found


# What opens a participant's categories beyond the role ------------------------------------------


def active_consents(participant_ids) -> dict[int, list[ShareConsent]]:
    """Every unrevoked, unexpired consent to share of these participants, by participant."""
    found: dict[int, list[ShareConsent]] = defaultdict(list)
    consents = ShareConsent.objects.filter(
        participant_id__in=list(participant_ids), revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).order_by("id")  # fmt: skip
    for consent in consents:
        found[consent.participant_id].append(consent)
    return found


def active_court_orders(participant_ids) -> dict[int, list[CourtOrder]]:
    """Every court order of these participants that may be in force, by participant. Subpoenas
    are never loaded: they open nothing (42 CFR 2.61)."""
    found: dict[int, list[CourtOrder]] = defaultdict(list)
    orders = CourtOrder.objects.filter(
        participant_id__in=list(participant_ids), kind=CourtOrderKind.ORDER,
        ended_at__isnull=True, expires_at__gt=timezone.now(),
    ).order_by("made_on", "id")  # fmt: skip
    for order in orders:
        found[order.participant_id].append(order)
    return found


def break_glass_active(user, participant) -> BreakGlass | None:
    """The break-glass the user, a safeguarding lead, has open for this participant now."""
    if user.role != Role.SAFEGUARDING_LEAD or user.is_superuser:
        return None
    pid = getattr(participant, "pk", participant)
    return BreakGlass.objects.filter(
        opened_by=user, participant_id=pid, expires_at__gt=timezone.now()
    ).first()


def openings_of(user, participant) -> Openings:
    """What may open this participant's categories to this user beyond the role: their active
    consents and court orders, and the user's own break-glass for them."""
    return openings_for(user, [getattr(participant, "pk", participant)])[
        getattr(participant, "pk", participant)
    ]


def openings_for(user, participant_ids) -> dict[int, Openings]:
    """`openings_of` for many participants, in three queries whatever their number."""
    ids = list(dict.fromkeys(int(getattr(p, "pk", p)) for p in participant_ids))
    now = timezone.now()
    consents, orders = active_consents(ids), active_court_orders(ids)
    glass: dict[int, BreakGlass] = {}
    if user.role == Role.SAFEGUARDING_LEAD and not user.is_superuser and ids:
        for g in BreakGlass.objects.filter(
            opened_by=user, participant_id__in=ids, expires_at__gt=now
        ).order_by("-opened_at"):
            glass.setdefault(g.participant_id, g)
    return {
        pid: Openings(
            now=now,
            consents=tuple(consents.get(pid, ())),
            court_orders=tuple(orders.get(pid, ())),
            break_glass=glass.get(pid),
            participant_id=pid,
        )
        for pid in ids
    }


def decide_for(user, category: str, participant, *, programme=None, action: str = "read",
               purpose=None, report=None):  # fmt: skip
    """`rules.decide` for one participant, with their openings loaded."""
    return decide(user, category, programme=programme, action=action, purpose=purpose,
                  openings=openings_of(user, participant), report=report)  # fmt: skip


def readable_categories(user, *, programme=None, purpose=None, participant=None) -> frozenset:
    """The categories the user may read, for `programme` when given, and with what the
    participant's openings open when `participant` is given."""
    openings = openings_of(user, participant) if participant is not None else None
    return readable(user, programme=programme, purpose=purpose, openings=openings)
