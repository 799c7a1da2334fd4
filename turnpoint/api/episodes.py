"""Episodes: a participant's time in one programme, from start to exit."""

from datetime import date

from django.http import HttpRequest
from ninja import Field, Query, Router

from turnpoint.errors import Conflict, InvalidInput, Problem
from turnpoint.journeys.assignment import assignee_problems, episode_assign
from turnpoint.sharing.categories import Category
from turnpoint.sharing.reads import journey_rows_read

from .access import PROGRAMME_HEAVY, episode_for_user, episodes_visible_to, programmes_spanned
from .common import (
    IDEMPOTENCY_KEY,
    IF_MATCH,
    MAX_VERSION,
    OutSchema,
    PageQuery,
    Shape,
    WriteSchema,
    as_json,
    etag,
    expected_version,
    header_params,
    id_field,
    may_order_by,
    page,
    refuse_oracles,
    responses,
)
from .errors import ApiError
from .idempotency import idempotent
from .referrals import filter_programme

router = Router(tags=["episodes"])

EPISODE = Shape(
    always=("id", "version", "participant_id", "referral_id", "programme"),
    by_category={
        Category.PATHWAY: ("started_on", "phase_number", "key_worker", "key_worker_name",
                           "case_manager", "case_manager_name", "ended_on", "exit_type",
                           "is_active"),
    },
    getters={
        "programme": lambda e: e.programme.slug,
        "key_worker": lambda e: e.key_worker.username if e.key_worker else None,
        "key_worker_name": lambda e: str(e.key_worker) if e.key_worker else None,
        "case_manager": lambda e: e.case_manager.username if e.case_manager else None,
        "case_manager_name": lambda e: str(e.case_manager) if e.case_manager else None,
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
    key_worker_name: str | None = Field(None, description="The key worker's name.")
    case_manager: str | None = Field(None, description="Username of the case manager.")
    case_manager_name: str | None = Field(None, description="The case manager's name.")
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
        episodes_visible_to(user)
        .select_related("programme", "key_worker", "case_manager")
        .defer(*PROGRAMME_HEAVY)
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


class AssignmentIn(WriteSchema):
    key_worker: str | None = Field(
        json_schema_extra={"maxLength": 150},
        description="Username of the key worker (a clinician, case manager or probation officer "
        "of the programme's team), or null for nobody.",
    )
    case_manager: str | None = Field(
        json_schema_extra={"maxLength": 150},
        description="Username of the case manager (a case manager, probation officer or "
        "coordinator of the programme's team), or null for nobody.",
    )
    expected_version: int = Field(
        None, ge=1, le=MAX_VERSION,
        description="The episode version you read; refused with 409 when stale.",
    )  # fmt: skip


def _team_member(programme, field: str, username: str | None):
    """The active member of the programme's team called `username`; anyone else (outside the
    team, inactive or unknown) is refused alike, so a name reveals nothing about other teams."""
    if username is None:
        return None
    member = programme.members.filter(is_active=True, username=username).first()
    if member is None:
        raise InvalidInput(
            Problem(field, f"'{username}' is not an active member of the {programme.name} team")
        )
    return member


@router.put(
    "/{episode_id}/assignment",
    response=responses({200: EpisodeOut}, 400, 403, 404, 409, 412, 422),
    exclude_unset=True,
    summary="Assign an episode's key worker and case manager",
    openapi_extra=header_params(IDEMPOTENCY_KEY, IF_MATCH),
)
def assign_episode(request: HttpRequest, episode_id: int, payload: AssignmentIn):
    """A coordinator of the programme's team sets both (null: nobody). Each must be an active
    member of that team in a role that does the job; anyone else is refused (403). A stale
    `expected_version` is refused with 409, a stale If-Match with 412. Accepts
    `Idempotency-Key`."""
    user = request.auth
    values = payload.model_dump()
    body_version = values.pop("expected_version", None)
    header_version = expected_version(request, None, required=False)
    if header_version is not None and body_version is not None and header_version != body_version:
        raise ApiError(400, Problem("expected_version", "does not match the If-Match header"))

    def effect():
        episode = episode_for_user(user, episode_id)
        programme = episode.programme
        problems, people = [], {}
        for field in ("key_worker", "case_manager"):
            try:
                people[field] = _team_member(programme, field, values[field])
            except InvalidInput as exc:
                problems += exc.problems
        if problems:  # every problem at once: the roles of those found too
            found = {p.pk for p in people.values() if p is not None}
            raise InvalidInput(problems + assignee_problems(
                programme=programme, team_ids=found,
                key_worker=people.get("key_worker"), case_manager=people.get("case_manager"),
            ))  # fmt: skip
        try:
            episode = episode_assign(
                episode, acting_user=user,
                expected_version=header_version if header_version is not None else body_version,
                **people,
            )  # fmt: skip
        except Conflict as exc:
            if header_version is not None:
                raise ApiError(412, Problem("If-Match", str(exc))) from exc
            raise ApiError(409, Problem("expected_version", str(exc))) from exc
        body = dump_episodes(user, [episode_for_user(user, episode.pk)])[0]
        return 200, as_json(EpisodeOut, body), {"ETag": etag(episode.version)}

    return idempotent(request, effect)
