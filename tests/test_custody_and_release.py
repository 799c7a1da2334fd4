"""Custody episodes, release plans and the 14 days after release (docs/supervision.md,
"Custody and release"): the services refuse bad input naming the field and write nothing, lock
optimistically, set tasks idempotently; the window and open-task functions; the selectors show
each part only to the roles that may read it."""

from datetime import date, timedelta

import pytest

from turnpoint.errors import Conflict, InvalidInput
from turnpoint.sharing.models import AuditEntry
from turnpoint.sharing.reads import custody_read, release_list_read
from turnpoint.sharing.rules import PolicyDenied
from turnpoint.supervision.custody import (
    ITEMS,
    PLAN_WEEKS_BEFORE_RELEASE,
    custody_record,
    open_release_tasks,
    release_plan_start,
    release_plans_start_due,
    release_record,
    release_task_set,
    release_window,
)
from turnpoint.supervision.models import CustodyEpisode, ReleasePlan, ReleasePlanItem

TODAY = date.today()


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


@pytest.fixture
def referral(make_referral):
    return make_referral()


def record(coordinator, on, **overrides):
    values = dict(referral=on, kind="sentence", establishment="HMP Leeds", started_on=days(-30),
                  expected_release_on=days(10))  # fmt: skip
    values.update(overrides)
    return custody_record(acting_user=coordinator, participant=on.participant, **values)


def fields(exc) -> dict[str, str]:
    return {p.field: p.reason for p in exc.value.problems}


# The window and the open tasks -----------------------------------------------------------------


def test_the_window_runs_from_the_day_of_release_to_day_14():
    released = date(2027, 3, 1)
    assert release_window(released, released).day == 0
    assert release_window(released, released + timedelta(days=1)).days_left == 13
    last = release_window(released, released + timedelta(days=14))
    assert (last.day, last.ends_on, last.days_left) == (14, date(2027, 3, 15), 0)
    assert release_window(released, released + timedelta(days=15)) is None
    assert release_window(released, released - timedelta(days=1)) is None
    assert release_window(None, released) is None


def test_open_tasks_are_the_open_items_in_checklist_order_and_of_the_categories_given(
    coordinator, users, referral
):
    plan = release_plan_start(record(coordinator, referral), acting_user=coordinator)
    assert [i.item for i in open_release_tasks(plan)] == [i.code for i in ITEMS]
    release_task_set(plan, "housing", acting_user=coordinator, status="done",
                     note="Supported housing in Leeds.")  # fmt: skip
    release_task_set(plan, "naloxone_supplied", acting_user=users["clinician"], status="done")
    assert [i.item for i in open_release_tasks(plan)] == [
        "ost_continued", "first_appointment", "benefits_id", "gp_registration"
    ]  # fmt: skip
    assert [i.item for i in open_release_tasks(plan, categories={"pathway"})] == [
        "first_appointment", "benefits_id", "gp_registration"
    ]  # fmt: skip
    assert open_release_tasks(None) == []


# Recording custody -----------------------------------------------------------------------------


def test_custody_is_recorded_as_a_legal_fact_and_audited(coordinator, referral):
    episode = record(coordinator, referral)
    assert (episode.kind, episode.version, episode.recorded_by) == ("sentence", 1, coordinator)
    entry = AuditEntry.objects.filter(object_type="custodyepisode").get()
    assert entry.action == "create" and entry.categories == ["legal"]
    assert entry.participant_ids == [referral.participant_id]


@pytest.mark.parametrize(
    "overrides, field, reason",
    [
        ({"expected_release_on": days(-30)}, "expected_release_on", "must be after the start"),
        ({"released_on": days(-31)}, "released_on", "is before the start of custody"),
        ({"started_on": days(1), "expected_release_on": days(20)}, "started_on",
         "is in the future"),
        ({"released_on": days(1)}, "released_on", "is in the future"),
        ({"started_on": None}, "started_on", "is required"),
        ({"kind": "holiday"}, "kind", "must be remand"),
        ({"establishment": "  "}, "establishment", "is required"),
        ({"establishment": "HMP\u202eLeeds"}, "establishment", "U+202E"),
    ],
)  # fmt: skip
def test_custody_with_bad_facts_is_refused_naming_the_field_and_nothing_is_written(
    coordinator, referral, overrides, field, reason
):
    before = AuditEntry.objects.count()
    with pytest.raises(InvalidInput) as exc:
        record(coordinator, referral, **overrides)
    assert reason in fields(exc)[field]
    assert not CustodyEpisode.objects.exists()
    assert AuditEntry.objects.count() == before


def test_a_second_custody_while_one_is_open_is_refused(coordinator, referral):
    record(coordinator, referral)
    with pytest.raises(InvalidInput) as exc:
        record(coordinator, referral, started_on=days(-2))
    assert "already in custody since" in fields(exc)["started_on"]
    # One that ended before is fine.
    record(coordinator, referral, started_on=days(-200), expected_release_on=days(-150),
           released_on=days(-150))  # fmt: skip
    assert CustodyEpisode.objects.count() == 2


def test_a_referral_of_someone_else_is_refused(coordinator, referral, make_referral):
    other = make_referral(given_name="Sam", family_name="Other")
    with pytest.raises(InvalidInput) as exc:
        record(coordinator, referral, referral=other)
    assert "referral" in fields(exc)


@pytest.mark.parametrize("username", ["clinician", "judge", "safeguarding"])
def test_only_the_roles_that_write_legal_facts_record_custody(users, referral, username):
    with pytest.raises(PolicyDenied):
        record(users[username], referral)
    assert not CustodyEpisode.objects.exists()


# Recording release -----------------------------------------------------------------------------


def test_release_is_recorded_once_with_its_version(coordinator, referral):
    episode = record(coordinator, referral)
    release_record(episode, acting_user=coordinator, released_on=days(-1), expected_version=1)
    assert (episode.released_on, episode.version) == (days(-1), 2)
    with pytest.raises(InvalidInput) as exc:
        release_record(episode, acting_user=coordinator, released_on=TODAY, expected_version=2)
    assert "is already recorded" in fields(exc)["released_on"]
    episode.refresh_from_db()
    assert (episode.released_on, episode.version) == (days(-1), 2)


def test_a_stale_version_or_a_bad_day_changes_nothing(coordinator, referral):
    episode = record(coordinator, referral)
    with pytest.raises(Conflict):
        release_record(episode, acting_user=coordinator, released_on=TODAY, expected_version=7)
    with pytest.raises(InvalidInput) as exc:
        release_record(episode, acting_user=coordinator, released_on=days(-31))
    assert "is before the start of custody" in fields(exc)["released_on"]
    with pytest.raises(InvalidInput) as exc:
        release_record(episode, acting_user=coordinator, released_on=days(1))
    assert fields(exc)["released_on"] == "is in the future"
    episode.refresh_from_db()
    assert (episode.released_on, episode.version) == (None, 1)
    assert not AuditEntry.objects.filter(object_type="custodyepisode", action="update").exists()


# Starting the release plan ---------------------------------------------------------------------


def test_a_plan_starts_with_every_task_open_and_starting_again_returns_it(coordinator, referral):
    episode = record(coordinator, referral)
    plan = release_plan_start(episode, acting_user=coordinator)
    assert sorted(plan.items.values_list("item", "category", "status")) == sorted(
        (i.code, i.category, "open") for i in ITEMS
    )
    assert release_plan_start(episode, acting_user=coordinator).pk == plan.pk
    assert ReleasePlanItem.objects.count() == len(ITEMS)


def test_the_treatment_provider_does_not_start_plans_and_an_ended_custody_has_none(
    users, coordinator, referral
):
    episode = record(coordinator, referral)
    with pytest.raises(PolicyDenied):
        release_plan_start(episode, acting_user=users["clinician"])
    release_record(episode, acting_user=coordinator, released_on=TODAY)
    with pytest.raises(InvalidInput) as exc:
        release_plan_start(episode, acting_user=coordinator)
    assert "has ended" in fields(exc)["custody_episode"]
    assert not ReleasePlan.objects.exists()


def test_plans_start_automatically_weeks_before_the_expected_release(
    coordinator, referral, make_referral
):
    weeks = PLAN_WEEKS_BEFORE_RELEASE
    due = record(coordinator, referral, expected_release_on=days(weeks * 7))
    later_referral = make_referral(given_name="Sam", family_name="Later")
    later = record(coordinator, later_referral, expected_release_on=days(weeks * 7 + 1))
    started = release_plans_start_due(today=TODAY)
    assert [p.custody_episode_id for p in started] == [due.pk]
    assert started[0].started_by is None
    assert release_plans_start_due(today=TODAY) == []
    assert [p.custody_episode_id for p in release_plans_start_due(today=days(1))] == [later.pk]


# Setting tasks ---------------------------------------------------------------------------------


@pytest.fixture
def plan(coordinator, referral):
    return release_plan_start(record(coordinator, referral), acting_user=coordinator)


def test_a_task_is_set_with_who_and_when_and_setting_it_again_changes_nothing(coordinator, plan):
    row = release_task_set(plan, "first_appointment", acting_user=coordinator, status="done",
                           appointment_on=days(11), note="Key worker, community hub.",
                           expected_version=1)  # fmt: skip
    assert (row.status, row.appointment_on, row.changed_by) == ("done", days(11), coordinator)
    assert plan.version == 2
    audits = AuditEntry.objects.filter(object_type="releaseplan", action="update").count()
    again = release_task_set(plan, "first_appointment", acting_user=coordinator, status="done",
                             appointment_on=days(11), note="Key worker, community hub.",
                             expected_version=1)  # fmt: skip
    assert again.changed_at == row.changed_at
    plan.refresh_from_db()
    assert plan.version == 2
    assert AuditEntry.objects.filter(object_type="releaseplan", action="update").count() == audits
    # Opened again: the appointment goes with it.
    reopened = release_task_set(plan, "first_appointment", acting_user=coordinator,
                                status="open", expected_version=2)  # fmt: skip
    assert (reopened.status, reopened.appointment_on, plan.version) == ("open", None, 3)


def test_a_stale_version_is_refused_and_changes_nothing(coordinator, plan):
    release_task_set(plan, "housing", acting_user=coordinator, status="done", expected_version=1)
    with pytest.raises(Conflict):
        release_task_set(plan, "benefits_id", acting_user=coordinator, status="done",
                         expected_version=1)  # fmt: skip
    assert plan.items.get(item="benefits_id").status == "open"


@pytest.mark.parametrize(
    "item, values, field, reason",
    [
        ("first_appointment", {"status": "done"}, "appointment_on", "is required"),
        ("first_appointment", {"status": "done", "appointment_on": days(13)}, "appointment_on",
         "within 2 days of the expected release"),
        ("first_appointment", {"status": "done", "appointment_on": days(9)}, "appointment_on",
         "is before the expected release"),
        ("housing", {"status": "not_needed"}, "note", "say why"),
        ("housing", {"status": "done", "appointment_on": days(10)}, "appointment_on",
         "has no appointment"),
        ("housing", {"status": "finished"}, "status", "must be open, done or not needed"),
        ("gp", {"status": "done"}, "item", "must be one of"),
    ],
)  # fmt: skip
def test_bad_task_values_are_refused_naming_the_field(coordinator, plan, item, values, field,
                                                      reason):  # fmt: skip
    with pytest.raises(InvalidInput) as exc:
        release_task_set(plan, item, acting_user=coordinator, **values)
    assert reason in fields(exc)[field]
    plan.refresh_from_db()
    assert plan.version == 1 and not plan.items.exclude(status="open").exists()


def test_treatment_tasks_are_set_by_the_treatment_provider_only(users, coordinator, plan):
    with pytest.raises(PolicyDenied):
        release_task_set(plan, "ost_continued", acting_user=coordinator, status="done",
                         appointment_on=days(10))  # fmt: skip
    with pytest.raises(PolicyDenied):
        release_task_set(plan, "housing", acting_user=users["clinician"], status="done")
    row = release_task_set(
        plan,
        "ost_continued",
        acting_user=users["clinician"],
        status="done",
        appointment_on=days(10),
        note="Dr Patel, Leeds community clinic.",
    )
    assert row.changed_by == users["clinician"]
    entry = AuditEntry.objects.filter(object_type="releaseplan", action="update").get()
    assert entry.categories == ["clinical"]


# The selectors ---------------------------------------------------------------------------------


def test_each_role_sees_only_its_part_of_custody_and_the_plan(users, coordinator, plan):
    participant = plan.custody_episode.participant
    (row,) = custody_read(coordinator, participant)
    assert row.legal and {i.item for i in row.items} == {
        "first_appointment", "housing", "benefits_id", "gp_registration"
    }  # fmt: skip
    assert row.hidden_items == 2
    (row,) = custody_read(users["clinician"], participant)
    assert not row.legal and len(row.items) == len(ITEMS) and row.hidden_items == 0
    (row,) = custody_read(users["judge"], participant)
    assert row.legal and {i.category for i in row.items} == {"pathway"}
    assert custody_read(users["safeguarding"], participant) == []
    reads = AuditEntry.objects.filter(action="read", detail__page="custody and release")
    # Audited as the sensitive categories shown: legal facts, and the clinical tasks.
    assert {tuple(e.categories) for e in reads} == {("legal",), ("clinical",)}


def test_the_release_list_holds_the_window_and_the_next_four_weeks_with_tasks_open(
    users, coordinator, make_referral, outsider, other_programme
):
    def person(name, **facts):
        return record(coordinator, make_referral(given_name=name, family_name="Example"),
                      **facts)  # fmt: skip

    out = person("Out", started_on=days(-60), expected_release_on=days(-3))
    release_plan_start(out, acting_user=coordinator)
    release_record(out, acting_user=coordinator, released_on=days(-3))
    soon = person("Soon", expected_release_on=days(14))
    person("Later", expected_release_on=days(40))
    long_out = person("Long", started_on=days(-90), expected_release_on=days(-20),
                      released_on=days(-20))  # fmt: skip
    done = person("Done", expected_release_on=days(7))
    done_plan = release_plan_start(done, acting_user=coordinator)
    for spec in ITEMS:
        user = users["clinician"] if spec.category == "clinical" else coordinator
        release_task_set(done_plan, spec.code, acting_user=user, status="not_needed",
                         note="Arranged by the prison.")  # fmt: skip
    # The programme team's tasks all done, the treatment provider's open: listed for the
    # treatment provider only, and the programme team cannot tell that any is open.
    theirs = person("Theirs", expected_release_on=days(20))
    theirs_plan = release_plan_start(theirs, acting_user=coordinator)
    for spec in ITEMS:
        if spec.category == "pathway":
            release_task_set(
                theirs_plan,
                spec.code,
                acting_user=coordinator,
                status="done",
                appointment_on=days(20) if spec.appointment else None,
            )
    rows = release_list_read(coordinator)
    assert [r.episode.pk for r in rows] == [out.pk, soon.pk]
    clinician_rows = release_list_read(users["clinician"])
    assert [r.episode.pk for r in clinician_rows] == [out.pk, soon.pk, theirs.pk]
    first, second = rows
    assert first.window.day == 3 and first.plan_started and first.hidden
    assert [i.item for i in first.open_items] == [
        "first_appointment", "housing", "benefits_id", "gp_registration"
    ]  # fmt: skip
    assert second.window is None and not second.plan_started
    assert long_out.pk not in {r.episode.pk for r in rows}
    clinician_first = clinician_rows[0]
    assert [i.item for i in clinician_first.open_items][:2] == [
        "ost_continued",
        "naloxone_supplied",
    ]
    assert not clinician_first.legal and not clinician_first.hidden
    assert release_list_read(outsider) == []
    assert release_list_read(users["safeguarding"]) == []


# What needs attention --------------------------------------------------------------------------


def test_the_14_days_after_release_come_first_in_what_needs_attention():
    from turnpoint.journeys.attention import OVERDUE, RELEASE_WINDOW, Facts, attention

    facts = dict(state="referral", referral_date=days(-60), offence_date=days(-90))
    targets = {"referral_to_assessment_days": 21}
    overdue = attention(Facts(**facts), targets=targets, phase_days={}, today=TODAY)
    assert overdue.rank == OVERDUE
    released = attention(Facts(**facts, release_tasks_open=2), targets=targets, phase_days={},
                         today=TODAY)  # fmt: skip
    assert released.rank == RELEASE_WINDOW < OVERDUE
    assert released.text == "In the 14 days after release with 2 tasks open: high overdose risk"
    one = attention(Facts(**facts, release_tasks_open=1), targets={}, phase_days={}, today=TODAY)
    assert one.text.startswith("In the 14 days after release with 1 task open")
    none = attention(Facts(**facts, release_tasks_open=0), targets={}, phase_days={}, today=TODAY)
    assert none.text.startswith("In the 14 days after release with no tasks open")


def test_the_command_starts_the_release_plans_due(coordinator, referral):
    import json
    from io import StringIO

    from django.core.management import call_command

    due = record(coordinator, referral, expected_release_on=days(20))
    out = StringIO()
    call_command("supervision", "start-release-plans", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"started": 1, "custody_episode_ids": [due.pk]}
    out = StringIO()
    call_command("supervision", "start-release-plans", stdout=out)
    assert out.getvalue().strip() == "Release plans started: 0"


def test_the_demo_gives_three_prison_to_community_participants_custody(
    users, coordinator, make_referral, programmes
):
    from turnpoint.supervision.custody_synth import synth_custody

    programme = programmes["england-prison-to-community"]
    for user in users.values():
        user.programmes.add(programme)
    for name in ("Ana", "Ben", "Cai", "Dee"):
        person = make_referral(given_name=name, programme=programme).participant
        person.synthetic = True
        person.save(update_fields=["synthetic"])
    counts = synth_custody(programme_team=coordinator, treatment_provider=users["clinician"])
    assert counts == {"custody_episodes": 3, "release_plans": 2, "in_release_window": 1}
    rows = release_list_read(users["clinician"])
    assert [(r.participant.given_name, r.window.day if r.window else None) for r in rows] == [
        ("Ana", 4), ("Ben", None)
    ]  # fmt: skip
    assert [i.item for i in rows[0].open_items] == [
        "naloxone_supplied", "housing", "benefits_id", "gp_registration"
    ]  # fmt: skip
