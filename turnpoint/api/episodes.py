"""Episodes: a participant's time in one programme, from start to exit."""

from datetime import date

from django.http import HttpRequest
from ninja import Field, Query, Router

from turnpoint.sharing.categories import Category
from turnpoint.sharing.reads import journey_rows_read

from .access import PROGRAMME_HEAVY, episode_for_user, episodes_visible_to, programmes_spanned
from .common import (
    OutSchema,
    PageQuery,
    Shape,
    id_field,
    may_order_by,
    page,
    refuse_oracles,
    responses,
)
from .referrals import filter_programme

router = Router(tags=["episodes"])

EPISODE = Shape(
    always=("id", "version", "participant_id", "referral_id", "programme"),
    by_category={
        Category.PATHWAY: ("started_on", "phase_number", "key_worker", "ended_on", "exit_type",
                           "is_active"),
    },
    getters={
        "programme": lambda e: e.programme.slug,
        "key_worker": lambda e: e.key_worker.username if e.key_worker else None,
    },
)  # fmt: skip


class EpisodeOut(OutSchema):
    id: int
    version: int
    participant_id: int
    referral_id: int
    programme: str = Field(description="The programme's slug.")
    # pathway
    started_on: date | None = None
    phase_number: int | None = None
    key_worker: str | None = Field(None, description="Username of the key worker.")
    ended_on: date | None = None
    exit_type: str | None = None
    is_active: bool | None = None


class EpisodePage(OutSchema):
    count: int
    limit: int
    offset: int
    items: list[EpisodeOut]


class EpisodeFilters(PageQuery):
    programme: str | None = Field(None, description="Programme slug.")
    active: bool | None = Field(
        None,
        description="true: not yet exited; false: exited. Only for roles that may read the "
        "pathway (security.md SEC-44).",
    )
    participant: int | None = id_field("Participant id.")


# Each filter and the output field it narrows by: its category decides who may use it (SEC-44).
EPISODE_FILTERS = {"programme": "programme", "active": "is_active", "participant": "participant_id"}


def dump_episodes(user, episodes) -> list[dict]:
    pairs = journey_rows_read(user, episodes, EPISODE.shown)
    return [EPISODE.dump(episode, categories) for episode, categories in pairs]


@router.get(
    "",
    response=responses({200: EpisodePage}, 400, 403),
    exclude_unset=True,
    summary="List episodes",
)
def list_episodes(request: HttpRequest, filters: Query[EpisodeFilters]):
    """Episodes in your programmes, most recently started first (by id for roles that may not
    read the pathway). Filtering on a field your role may not read is refused (403), and any
    other parameter too (400)."""
    user = request.auth
    refuse_oracles(request, filters, EPISODE, on=EPISODE_FILTERS,
                   programmes=programmes_spanned(user, filters.programme))  # fmt: skip
    episodes = (
        episodes_visible_to(user).select_related("programme", "key_worker").defer(*PROGRAMME_HEAVY)
    )
    if not may_order_by(user, EPISODE, "started_on"):
        episodes = episodes.order_by("-id")
    if filters.programme is not None:
        episodes = episodes.filter(programme=filter_programme(user, filters.programme))
    if filters.active is not None:
        episodes = episodes.filter(ended_on__isnull=filters.active)
    if filters.participant is not None:
        episodes = episodes.filter(participant_id=filters.participant)
    return page(episodes, filters, lambda rows: dump_episodes(user, rows))


@router.get(
    "/{episode_id}",
    response=responses({200: EpisodeOut}, 400, 404),
    exclude_unset=True,
    summary="Read an episode",
)
def get_episode(request: HttpRequest, episode_id: int):
    return dump_episodes(request.auth, [episode_for_user(request.auth, episode_id)])[0]
