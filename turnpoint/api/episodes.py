"""Episodes: a participant's time in one programme, from start to exit."""

from datetime import date

from django.http import HttpRequest
from ninja import Field, Query, Router

from turnpoint.sharing.categories import Category
from turnpoint.sharing.reads import journey_rows_read

from .access import PROGRAMME_HEAVY, episode_for_user, episodes_visible_to
from .common import OutSchema, PageQuery, Shape, id_field, page, responses
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
    active: bool | None = Field(None, description="true: not yet exited; false: exited.")
    participant: int | None = id_field("Participant id.")


def dump_episodes(user, episodes) -> list[dict]:
    pairs = journey_rows_read(user, episodes, EPISODE.shown)
    return [EPISODE.dump(episode, categories) for episode, categories in pairs]


@router.get(
    "", response=responses({200: EpisodePage}, 400), exclude_unset=True, summary="List episodes"
)
def list_episodes(request: HttpRequest, filters: Query[EpisodeFilters]):
    """Episodes in your programmes, most recently started first."""
    episodes = (
        episodes_visible_to(request.auth)
        .select_related("programme", "key_worker")
        .defer(*PROGRAMME_HEAVY)
    )
    if filters.programme is not None:
        programme = filter_programme(request.auth, filters.programme)
        episodes = episodes.filter(programme=programme)
    if filters.active is not None:
        episodes = episodes.filter(ended_on__isnull=filters.active)
    if filters.participant is not None:
        episodes = episodes.filter(participant_id=filters.participant)
    return page(episodes, filters, lambda rows: dump_episodes(request.auth, rows))


@router.get(
    "/{episode_id}",
    response=responses({200: EpisodeOut}, 400, 404),
    exclude_unset=True,
    summary="Read an episode",
)
def get_episode(request: HttpRequest, episode_id: int):
    return dump_episodes(request.auth, [episode_for_user(request.auth, episode_id)])[0]
