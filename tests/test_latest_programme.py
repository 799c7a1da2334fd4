"""The programme of each participant's latest referral, kept on the participant's row by triggers
(statement triggers on PostgreSQL, row triggers on SQLite; turnpoint/journeys/latest_programme.py,
decision 0011), and the lists that reach participants by it: whatever the referrals say, the
lists say the same."""

import threading
import time
from datetime import date, timedelta

import pytest
from django.db import connection, transaction

from turnpoint.journeys.latest_programme import COLUMN
from turnpoint.journeys.models import Referral
from turnpoint.sharing.categories import Category as C

POSTGRESQL_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's row versions and row locks"
)

TODAY = date.today()


def kept(participant) -> int | None:
    with connection.cursor() as cursor:
        sql = f"SELECT {COLUMN} FROM people_participant WHERE id = %s"  # noqa: S608
        cursor.execute(sql, [participant.pk])
        return cursor.fetchone()[0]


def participant_rows_written(change) -> int:
    """How many times `change()` wrote a participant's row, triggers included: PostgreSQL's
    row version (xmin) moves whenever the row is written; SQLite counts every row a statement
    or its triggers wrote (`total_changes()`), less the referrals' own and the version's."""
    from turnpoint.journeys.models import ReferralsVersion

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT array_agg(xmin::text ORDER BY id) FROM people_participant")
            before = cursor.fetchone()[0]
            change()
            cursor.execute("SELECT array_agg(xmin::text ORDER BY id) FROM people_participant")
            return sum(a != b for a, b in zip(before, cursor.fetchone()[0], strict=True))
        version = ReferralsVersion.objects.get().version
        cursor.execute("SELECT total_changes()")
        before = cursor.fetchone()[0]
        referrals = change()
        cursor.execute("SELECT total_changes()")
        version_raised = ReferralsVersion.objects.get().version - version
        return cursor.fetchone()[0] - before - referrals - version_raised


def unsaved_referral(participant, programme, on: date) -> Referral:
    """A referral to write straight to the table, as a bulk load or another team would add it
    (the personas are not members of `other_programme`), its other facts from any referral."""
    template = Referral.objects.filter(participant__isnull=False).first()
    return Referral(
        participant=participant, programme=programme, source=template.source,
        offence_category=template.offence_category, drug_related_type=template.drug_related_type,
        offence_date=on - timedelta(days=30), referral_date=on, created_by=template.created_by,
    )  # fmt: skip


def refer(participant, programme, on: date) -> Referral:
    referral = unsaved_referral(participant, programme, on)
    referral.save()
    return referral


def latest_by_referrals(participant) -> int | None:
    return (
        Referral.objects.filter(participant=participant)
        .order_by("-referral_date", "-id")
        .values_list("programme_id", flat=True)
        .first()
    )


def test_the_kept_programme_follows_every_change_to_the_referrals(
    make_referral, programme, other_programme
):
    first = make_referral(on=TODAY - timedelta(days=60))
    person = first.participant
    assert kept(person) == programme.pk
    # A later referral elsewhere becomes the latest; an older one changes nothing.
    later = refer(person, other_programme, TODAY)
    assert kept(person) == other_programme.pk
    refer(person, programme, TODAY - timedelta(days=400))
    assert kept(person) == other_programme.pk
    # Changed by SQL, not by a service: a date, a programme, a participant.
    Referral.objects.filter(pk=first.pk).update(referral_date=TODAY + timedelta(days=1))
    assert kept(person) == programme.pk
    Referral.objects.filter(pk=first.pk).update(programme=other_programme)
    assert kept(person) == other_programme.pk
    someone = make_referral(given_name="Someone").participant
    Referral.objects.filter(pk=first.pk).update(participant=someone)
    assert kept(someone) == other_programme.pk == latest_by_referrals(someone)
    assert kept(person) == other_programme.pk == latest_by_referrals(person)  # `later`
    later.delete()
    assert kept(person) == programme.pk == latest_by_referrals(person)
    Referral.objects.filter(participant=person).delete()
    assert kept(person) is None


def test_a_referrals_other_changes_leave_the_participants_row_alone(make_referral, other_programme):
    referral = make_referral()
    changes = Referral.objects.filter(pk=referral.pk)
    unrelated = participant_rows_written(
        lambda: changes.update(state="screening", offence_summary="changed")
    )
    assert unrelated == 0
    # The same count sees a change that moves the latest programme.
    assert participant_rows_written(lambda: changes.update(programme=other_programme)) == 1


def test_referrals_added_many_at_a_time_are_kept_for_each_participant(
    make_referral, programme, other_programme
):
    people = [make_referral(given_name=f"P{i}", on=TODAY - timedelta(days=90)).participant
              for i in range(6)]  # fmt: skip
    added = [unsaved_referral(p, other_programme, TODAY) for i, p in enumerate(people) if i % 2]
    Referral.objects.bulk_create(added)
    assert [kept(p) for p in people] == [programme.pk, other_programme.pk] * 3
    assert [kept(p) for p in people] == [latest_by_referrals(p) for p in people]


def _listed(user) -> dict[int, int]:
    """Participant id -> programme shown, as the cross-agency list reads them (the kept column
    first, the referrals where it does not answer)."""
    from turnpoint.sharing.disclosures import PROGRAMME_SHOWN, with_programme_shown
    from turnpoint.sharing.policy import participants_visible_to

    rows = with_programme_shown(user, participants_visible_to(user), [C.IDENTITY])
    return {p.pk: getattr(p, PROGRAMME_SHOWN) for p in rows}


def _looked_up(user, ids) -> dict[int, int]:
    """The same from the referrals alone (`_programme_keys`, which never reads the column)."""
    from turnpoint.sharing.disclosures import _programme_keys

    return _programme_keys(user, ids)[0]


def test_sec_02_a_cross_agency_list_reaches_whom_the_referrals_say(
    users, make_referral, programme, other_programme
):
    """Reached by the kept programme where it is one of the reader's, by the referrals
    otherwise: a participant whose latest referral is to another team's programme is listed
    under their older referral to the reader's; one referred only elsewhere is not listed; one
    whose row was never filled in (NULL, as before the triggers) is listed as the referrals
    say."""
    judge = users["judge"]  # a court: identity crosses agencies
    assert not judge.programmes.filter(pk=other_programme.pk).exists()
    ours = make_referral(given_name="Ours").participant
    moved_away = make_referral(given_name="Moved", on=TODAY - timedelta(days=90)).participant
    refer(moved_away, other_programme, TODAY)
    elsewhere = make_referral(given_name="Elsewhere").participant
    Referral.objects.filter(participant=elsewhere).update(programme=other_programme)
    unfilled = make_referral(given_name="Unfilled").participant
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE people_participant SET {COLUMN} = NULL WHERE id = %s",  # noqa: S608
                       [unfilled.pk])  # fmt: skip
    assert kept(moved_away) == other_programme.pk and kept(unfilled) is None

    listed = _listed(judge)
    assert listed == {ours.pk: programme.pk, moved_away.pk: programme.pk,
                      unfilled.pk: programme.pk}  # fmt: skip
    assert elsewhere.pk not in listed
    assert listed == _looked_up(judge, list(listed))


@POSTGRESQL_ONLY
@pytest.mark.django_db(transaction=True)
def test_a_referral_added_while_another_transaction_adds_one_keeps_the_latest_of_both(
    make_referral, programmes, other_programme
):
    """Two transactions add a referral for the same participant at once. The one holding the
    participant's row adds the later referral and commits while the other waits in its trigger;
    the waiting one then reads the referrals again and keeps the later programme, not its own
    (read before it waited, its own would have been written last).

    The second's referral is to a third programme, so what it would write differs from both
    the row as committed before and the right answer."""
    third = programmes["scotland-dtto"]
    person = make_referral(on=TODAY - timedelta(days=200)).participant
    holding, release = threading.Event(), threading.Event()
    errors = []

    def first():  # the later referral, committed while the second waits
        try:
            with transaction.atomic():
                refer(person, other_programme, TODAY)
                holding.set()
                release.wait(30)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    def second():  # an earlier referral, started while the first holds the row
        try:
            with transaction.atomic():
                refer(person, third, TODAY - timedelta(days=10))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    # The referrals' version trigger (journeys/versions.py) also makes such transactions wait
    # for each other, on the version's row; off here, so the wait is for the participant's row.
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE journeys_referral DISABLE TRIGGER journeys_referral_changed_0")
    try:
        waited = _race(first, second, holding, release)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "ALTER TABLE journeys_referral ENABLE TRIGGER journeys_referral_changed_0"
            )
    assert not errors, errors
    assert waited
    assert kept(person) == other_programme.pk == latest_by_referrals(person)


def _race(first, second, holding, release) -> bool:
    """Start `first`; once it holds the row, `second`; release `first` once `second` waits for a
    lock. Whether it waited."""
    a = threading.Thread(target=first)
    a.start()
    assert holding.wait(30)
    b = threading.Thread(target=second)
    b.start()
    waited = False
    for _ in range(300):  # until the second waits for the participant's row lock
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                           "AND datname = current_database()")  # fmt: skip
            if cursor.fetchone()[0]:
                waited = True
                break
        time.sleep(0.05)
    release.set()
    a.join(30)
    b.join(30)
    return waited


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's tables are rebuilt to alter")
def test_installing_again_on_sqlite_puts_back_what_a_rebuild_dropped(
    make_referral, other_programme
):
    """Django rebuilds an SQLite table to alter it, dropping the triggers (and, for the
    participants, the column). `install_sqlite`, run again as such a migration must run it,
    puts back what is missing, leaves what is there and fills the column in."""
    from turnpoint.journeys import latest_programme

    class Editor:  # what a migration's schema editor gives `install_sqlite`
        def __init__(self):
            self.connection = connection

        def execute(self, sql):
            with connection.cursor() as cursor:
                cursor.execute(sql)

    person = make_referral(on=TODAY - timedelta(days=30)).participant
    with connection.cursor() as cursor:
        for suffix in ("insert", "update"):
            cursor.execute(f"DROP TRIGGER journeys_referral_latest_programme_{suffix}")
        cursor.execute(f"UPDATE people_participant SET {COLUMN} = NULL")  # noqa: S608
    latest_programme.install_sqlite(None, Editor())
    assert kept(person) == latest_by_referrals(person) is not None
    later = refer(person, other_programme, TODAY)
    assert kept(person) == other_programme.pk
    later.delete()
    assert kept(person) == latest_by_referrals(person) != other_programme.pk
