"""Who works with whom: a coordinator of the programme's team assigns an episode's key worker and
case manager (docs/journeys.md, "Assignment").

Who may be assigned follows the users Turnpoint serves: the key worker is the person the
participant sees for treatment and support from week to week (a treatment provider's clinician,
or in programmes run by probation or case management, the probation officer or case manager); the
case manager holds the case for the team: a case manager, a probation officer or justice social
worker, or the coordinator, who in a small team carries cases as well. Court roles, safeguarding
leads, analysts and administrators are never assigned: they do not work a case from week to week.
"""

from django.db import transaction

from turnpoint.accounts.models import Role
from turnpoint.errors import Conflict, InvalidInput, Problem
from turnpoint.sharing.audit import audit_write
from turnpoint.sharing.categories import Category
from turnpoint.sharing.rules import PolicyDenied, require

from .models import Episode

KEY_WORKER_ROLES = (Role.CLINICIAN, Role.CASE_MANAGER, Role.PROBATION_OFFICER)
CASE_MANAGER_ROLES = (Role.CASE_MANAGER, Role.PROBATION_OFFICER, Role.COORDINATOR)
# The role that assigns: the programme team's coordinator.
ASSIGNS = Role.COORDINATOR


def may_assign(user, programme) -> bool:
    """Whether `user` may assign the key worker and case manager of an episode in `programme`
    (what pages and the API offer; `episode_assign` decides again when it writes)."""
    return (
        user.role == ASSIGNS
        and bool(user.is_active)
        and user.programmes.filter(pk=programme.pk).exists()
    )


def _roles_text(roles) -> str:
    labels = [Role(r).label.lower() for r in roles]
    return ", ".join(labels[:-1]) + " or " + labels[-1]


def assignee_problems(*, programme, key_worker, case_manager, team_ids) -> list[Problem]:
    """Every problem with the people to assign (pure: `team_ids` are the ids of the programme
    team's active members)."""
    problems = []
    for field, person, roles, job in (
        ("key_worker", key_worker, KEY_WORKER_ROLES, "key worker"),
        ("case_manager", case_manager, CASE_MANAGER_ROLES, "case manager"),
    ):
        if person is None:
            continue
        if person.pk not in team_ids:
            problems.append(
                Problem(field, f"{person} is not an active member of the {programme.name} team")
            )
        elif person.role not in roles:
            role = Role(person.role).label.lower() if person.role else "no role"
            reason = (
                f"{person}'s role ({role}) is not one for a {job}: choose a {_roles_text(roles)}"
            )
            problems.append(Problem(field, reason))
    return problems


def assignable(programme) -> dict[str, list]:
    """The active members of the programme's team who may be key worker and case manager, by
    name: what the assignment form offers."""
    team = list(
        programme.members.filter(is_active=True).order_by("first_name", "last_name", "username")
    )
    return {
        "key_worker": [u for u in team if u.role in KEY_WORKER_ROLES],
        "case_manager": [u for u in team if u.role in CASE_MANAGER_ROLES],
    }


def episode_assign(
    episode: Episode,
    *,
    acting_user,
    key_worker,
    case_manager,
    expected_version: int | None = None,
) -> Episode:
    """Set the episode's key worker and case manager (either may be None: nobody yet).

    Only a coordinator of the programme's team may; each person must be an active member of that
    team in a role that does the job. Refused with PolicyDenied (who may not), InvalidInput
    (whom not, and why) or Conflict (the episode changed since it was read); nothing changes."""
    programme = episode.programme
    require(acting_user, Category.PATHWAY, programme=programme, action="write")
    if not may_assign(acting_user, programme):
        raise PolicyDenied(
            f"only a programme coordinator of the {programme.name} team assigns key workers "
            "and case managers"
        )
    with transaction.atomic():
        locked = Episode.objects.select_for_update().get(pk=episode.pk)
        if expected_version is not None and locked.version != expected_version:
            raise Conflict(
                f"this episode changed since you opened it (version {expected_version}, "
                f"now {locked.version}); reload and try again"
            )
        if locked.ended_on is not None:
            reason = (
                "has ended: a key worker or case manager is assigned only while the participant "
                "is on the programme"
            )
            raise InvalidInput(Problem("episode", reason))
        team_ids = set(programme.members.filter(is_active=True).values_list("pk", flat=True))
        problems = assignee_problems(
            programme=programme, key_worker=key_worker, case_manager=case_manager,
            team_ids=team_ids,
        )  # fmt: skip
        if problems:
            raise InvalidInput(problems)
        before = {"key_worker": locked.key_worker_id, "case_manager": locked.case_manager_id}
        locked.key_worker = key_worker
        locked.case_manager = case_manager
        locked.version += 1
        locked.save(update_fields=["key_worker", "case_manager", "version"])
        audit_write(
            acting_user=acting_user,
            action="update",
            categories=[Category.PATHWAY],
            participant_ids=[locked.participant_id],
            obj=locked,
            detail={
                "assignment": {
                    "before": before,
                    "after": {
                        "key_worker": locked.key_worker_id,
                        "case_manager": locked.case_manager_id,
                    },
                }
            },
        )
    episode.refresh_from_db()
    return episode
