"""A coordinator of the programme's team assigns an episode's key worker and case manager
(journeys/assignment.py): audited, version-checked, and refused plainly for anyone else."""

import pytest
from web.helpers import walk

from turnpoint.accounts.personas import OUTSIDER, persona_user
from turnpoint.errors import Conflict, InvalidInput
from turnpoint.journeys.assignment import episode_assign
from turnpoint.journeys.models import Episode
from turnpoint.sharing.models import AuditEntry
from turnpoint.sharing.rules import PolicyDenied


@pytest.fixture
def episode(make_referral, coordinator):
    referral = make_referral()
    walk(referral, coordinator, "episode")
    return Episode.objects.select_related("programme").get(referral=referral)


def test_a_coordinator_assigns_the_key_worker_and_case_manager(episode, users):
    before = AuditEntry.objects.count()
    episode_assign(
        episode, acting_user=users["coordinator"], key_worker=users["clinician"],
        case_manager=users["casemanager"], expected_version=episode.version,
    )  # fmt: skip
    saved = Episode.objects.get(pk=episode.pk)
    assert (saved.key_worker, saved.case_manager) == (users["clinician"], users["casemanager"])
    assert saved.version == 2
    entry = AuditEntry.objects.order_by("-id").first()
    assert AuditEntry.objects.count() == before + 1
    assert (entry.action, entry.object_type, entry.object_id) == (
        "update",
        "episode",
        str(saved.pk),
    )
    assert entry.detail["assignment"]["after"] == {
        "key_worker": users["clinician"].pk, "case_manager": users["casemanager"].pk,
    }  # fmt: skip


def test_probation_may_be_key_worker_and_a_coordinator_case_manager(episode, users):
    episode_assign(episode, acting_user=users["coordinator"], key_worker=users["probation"],
                   case_manager=users["coordinator"])  # fmt: skip
    saved = Episode.objects.get(pk=episode.pk)
    assert (saved.key_worker, saved.case_manager) == (users["probation"], users["coordinator"])


def test_assigning_nobody_clears_the_assignment(episode, users):
    coordinator = users["coordinator"]
    episode_assign(episode, acting_user=coordinator, key_worker=users["clinician"],
                   case_manager=None)  # fmt: skip
    episode_assign(episode, acting_user=coordinator, key_worker=None, case_manager=None)
    saved = Episode.objects.get(pk=episode.pk)
    assert (saved.key_worker, saved.case_manager, saved.version) == (None, None, 3)


@pytest.mark.parametrize(
    ("username", "why"),
    [
        ("casemanager", "only a programme coordinator of the .* team assigns"),
        ("probation", "only a programme coordinator of the .* team assigns"),
        ("clinician", "you cannot change pathway"),
        ("judge", "you cannot change pathway"),
    ],
)
def test_only_a_coordinator_assigns(episode, users, username, why):
    with pytest.raises(PolicyDenied, match=why):
        episode_assign(episode, acting_user=users[username], key_worker=users["clinician"],
                       case_manager=None)  # fmt: skip
    assert Episode.objects.get(pk=episode.pk).key_worker is None


def test_a_coordinator_of_another_team_may_not_assign(episode, users, outsider):
    with pytest.raises(PolicyDenied):
        episode_assign(episode, acting_user=outsider, key_worker=users["clinician"],
                       case_manager=None)  # fmt: skip
    assert Episode.objects.get(pk=episode.pk).version == 1


def test_an_assignee_outside_the_team_is_refused(episode, users, other_programme):
    stranger = persona_user(OUTSIDER, programmes=[other_programme])
    stranger.role = "clinician"
    stranger.save()
    with pytest.raises(InvalidInput) as refused:
        episode_assign(episode, acting_user=users["coordinator"], key_worker=stranger,
                       case_manager=None)  # fmt: skip
    [problem] = refused.value.problems
    assert problem.field == "key_worker"
    assert problem.reason == (
        f"Alex Morgan is not an active member of the {episode.programme.name} team"
    )
    assert Episode.objects.get(pk=episode.pk).key_worker is None


def test_an_inactive_member_is_refused(episode, users):
    clinician = users["clinician"]
    clinician.is_active = False
    clinician.save()
    with pytest.raises(InvalidInput, match="not an active member"):
        episode_assign(episode, acting_user=users["coordinator"], key_worker=clinician,
                       case_manager=None)  # fmt: skip


def test_the_wrong_role_is_refused_naming_the_roles_that_fit(episode, users):
    with pytest.raises(InvalidInput) as refused:
        episode_assign(episode, acting_user=users["coordinator"], key_worker=users["judge"],
                       case_manager=users["clinician"])  # fmt: skip
    problems = {p.field: p.reason for p in refused.value.problems}
    assert problems == {
        "key_worker": "Ruth Adeyemi's role (judge) is not one for a key worker: choose a "
        "clinician / key worker, case manager or probation officer / justice social worker",
        "case_manager": "Lena Peeters's role (clinician / key worker) is not one for a case "
        "manager: choose a case manager, probation officer / justice social worker or "
        "programme coordinator",
    }
    saved = Episode.objects.get(pk=episode.pk)
    assert (saved.key_worker, saved.case_manager, saved.version) == (None, None, 1)


def test_a_stale_version_is_a_conflict_and_changes_nothing(episode, users):
    coordinator = users["coordinator"]
    episode_assign(episode, acting_user=coordinator, key_worker=users["clinician"],
                   case_manager=None, expected_version=1)  # fmt: skip
    with pytest.raises(Conflict, match="changed since you opened it"):
        episode_assign(episode, acting_user=coordinator, key_worker=users["probation"],
                       case_manager=None, expected_version=1)  # fmt: skip
    assert Episode.objects.get(pk=episode.pk).key_worker == users["clinician"]


def test_an_ended_episode_is_not_assigned(episode, users):
    Episode.objects.filter(pk=episode.pk).update(ended_on=episode.started_on, exit_type="completed")
    with pytest.raises(InvalidInput, match="has ended"):
        episode_assign(episode, acting_user=users["coordinator"], key_worker=users["clinician"],
                       case_manager=None)  # fmt: skip
