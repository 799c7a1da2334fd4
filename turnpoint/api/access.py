"""Querysets of journey records a user may reach, always built on the policy's reach rule,
`participants_visible_to` (security.md §4: the gate applies to querysets, not only objects).

A user reaches a referral or an episode only when its participant is visible to them and it
belongs to a programme whose team they are in: another team's referral of the same person stays
out of reach (minimum necessary). Missing and forbidden give the same 404 (SEC-02).
"""

from turnpoint.journeys.models import Episode, Referral
from turnpoint.programmes.models import Programme
from turnpoint.sharing.reach import (
    episodes_visible_to,
    not_found,
    referrals_visible_to,
    team_programme_ids,
)

from .common import reachable_id

# Lists need a programme's slug and policy switches, not its whole definition: parsing that JSON
# once per row was most of the time a 1000-row page took.
PROGRAMME_HEAVY = ("programme__definition", "programme__legal_basis", "programme__description")


def programmes_spanned(user, slug: str | None):
    """The programmes a list filtered to programme `slug` (or to none) spans, unread until
    someone iterates them."""
    programmes = Programme.objects.filter(pk__in=team_programme_ids(user))
    return programmes.filter(slug=slug) if slug is not None else programmes


def transitions_of(referral):
    """The steps of a referral already reached through `referral_for_user`."""
    return referral.transitions.all()


def referral_for_user(user, pk: int) -> Referral:
    reachable_id(pk)
    referral = referrals_visible_to(user).select_related("programme").filter(pk=pk).first()
    if referral is None:
        raise not_found(Referral, pk, "referral")
    return referral


def episode_for_user(user, pk: int) -> Episode:
    reachable_id(pk)
    episode = (
        episodes_visible_to(user)
        .select_related("programme", "key_worker", "case_manager")
        .filter(pk=pk)
        .first()
    )
    if episode is None:
        raise not_found(Episode, pk, "episode")
    return episode
