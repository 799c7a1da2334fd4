"""`turnpoint demo`: the court persona finds what a treatment court's judge would, the progress
of the participants who consented to share it with the court team, and the odd court order,
all recorded through the services staff use (turnpoint/sharing/synth.py)."""

import io
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.test import Client

from turnpoint.accounts.models import User
from turnpoint.people.models import Participant
from turnpoint.sharing.consents import ShareConsent
from turnpoint.sharing.court_orders import CourtOrder
from turnpoint.sharing.models import AuditEntry
from turnpoint.sharing.reach import decide_for
from turnpoint.sharing.rules import decide
from turnpoint.sharing.synth import PROGRESS, TREATMENT_PROGRESS


def test_the_demo_court_sees_the_progress_of_those_who_consented_and_no_one_elses(db):
    out = io.StringIO()
    call_command("demo", "--participants", "8", "--password", "a long demo sentence", stdout=out)
    judge, clinician = User.objects.get(username="judge"), User.objects.get(username="clinician")
    coordinator = User.objects.get(username="coordinator")
    people = list(Participant.objects.filter(synthetic=True).order_by("pk"))
    # Each agency records the consent to share what it holds (SEC-39): two a participant.
    consented = {c.participant_id: c for c in ShareConsent.objects.filter(created_by=clinician)}
    team = {c.participant_id: c for c in ShareConsent.objects.filter(created_by=coordinator)}
    assert sorted(team) == sorted(consented)
    assert ShareConsent.objects.count() == 2 * len(consented)
    # Every fourth participant did not consent; the first has a court order.
    assert sorted(consented) == [p.pk for i, p in enumerate(people) if i % 4 != 3]
    assert list(CourtOrder.objects.values_list("participant_id", flat=True)) == [people[0].pk]
    text = " ".join(out.getvalue().split())
    assert f"{len(consented)} of them consented to the court (Magistrates' court)" in text
    assert "1 have a court order" in text
    consent = consented[people[0].pk]
    assert (consent.disclosing_agency, consent.recipient_agency, consent.recipient_role) == (
        clinician.agency,
        judge.agency,
        judge.role,
    )
    assert sorted(consent.categories) == sorted(TREATMENT_PROGRESS)
    theirs = team[people[0].pk]
    assert (theirs.disclosing_agency, theirs.recipient_agency) == (coordinator.agency, judge.agency)
    assert sorted(theirs.categories + consent.categories) == sorted(PROGRESS)
    # Recorded as staff record them: each audited as a creation by the clinician.
    created = AuditEntry.objects.filter(action="create", user=clinician)
    assert created.count() == len(consented) + 1

    # What the judge may read follows: a progress category the court's role does not read in
    # the participant's programme opens for a participant who consented, not for one who did
    # not.
    for person, opened in ((people[1], True), (people[3], False)):
        programme = person.referrals.select_related("programme").first().programme
        closed = [c for c in PROGRESS if not decide(judge, c, programme=programme).allowed]
        assert closed, f"the court reads all of {PROGRESS} in {programme} by its role"
        assert {decide_for(judge, c, person, programme=programme).allowed
                for c in closed} == {opened}  # fmt: skip
    # And the judge reaches that participant's page.
    client = Client()
    client.force_login(judge)
    page = client.get(f"/participants/{people[1].pk}/")
    assert page.status_code == 200

    # The first participant signs in to the portal with the demo's password (docs/portal.md).
    assert f"{people[0].reference} participant (the portal, their own record)" in text
    portal = Client()
    assert portal.login(username=people[0].reference, password="a long demo sentence")
    assert User.objects.get(username=people[0].reference).portal_account.participant == people[0]


def test_the_demo_sets_up_a_new_sqlite_database_from_nothing_and_again_over_itself(tmp_path):
    """`make demo` on a fresh checkout: `turnpoint demo --reset` where no database file exists
    yet (there was nothing to empty, so emptying it first failed), then again over the one it
    made."""
    env = {
        "DJANGO_SETTINGS_MODULE": "turnpoint.settings",
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
    }
    command = [sys.executable, "-m", "turnpoint", "demo", "--reset", "--participants", "4",
               "--password", "a long demo sentence"]  # fmt: skip
    for _ in range(2):
        done = subprocess.run(
            command, env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert "Synthetic demo caseload: 4 participants" in done.stdout
        assert "3 of them consented to the court" in done.stdout


def test_the_demo_gives_running_episodes_a_key_worker_and_a_case_manager(db):
    from turnpoint.journeys.models import Episode
    from turnpoint.journeys.synth import synth_assign

    out = io.StringIO()
    call_command("demo", "--participants", "30", "--password", "a long demo sentence", stdout=out)
    running = Episode.objects.filter(participant__synthetic=True, ended_on__isnull=True)
    assert running.exists(), "the demo's caseload has people on a programme"
    workers = {e.key_worker.username for e in running.select_related("key_worker")}
    assert workers <= {"clinician", "probation"} and "clinician" in workers
    assert set(running.values_list("case_manager__username", flat=True)) == {"casemanager"}
    ended = Episode.objects.filter(participant__synthetic=True, ended_on__isnull=False)
    assert not ended.filter(key_worker__isnull=False).exists()
    # Assigned through the service, each audited as the coordinator's change.
    assigned = AuditEntry.objects.filter(action="update", detail__has_key="assignment")
    assert assigned.count() == running.count()
    text = " ".join(out.getvalue().split())
    assert f"{running.count()} people on a programme have a key worker" in text
    # Every third running episode has a recovery plan, reviewed once: two versions each.
    from turnpoint.plans.models import RecoveryPlan

    plans = RecoveryPlan.objects.filter(participant__synthetic=True)
    assert plans.count() == len(range(0, running.count(), 3)) > 0
    assert {p.current_version for p in plans} == {2}
    assert f"{plans.count()} of them have a recovery plan with two versions" in text
    # Run again on the same episodes: the same result, through the same checks.
    coordinator = User.objects.get(username="coordinator")
    clinician = User.objects.get(username="clinician")
    again = synth_assign(acting_user=coordinator, key_workers=[clinician], case_manager=None)
    assert again == running.count()
    assert set(running.values_list("key_worker__username", flat=True)) == {"clinician"}


def test_the_demo_gives_running_episodes_assessments_for_their_profiles(db):
    from turnpoint.assessments.models import Administration, ExternalAssessment
    from turnpoint.assessments.synth import synth_assessments
    from turnpoint.journeys.models import Episode

    call_command("demo", "--participants", "30", "--password", "a long demo sentence",
                 stdout=io.StringIO())  # fmt: skip
    running = Episode.objects.filter(participant__synthetic=True, ended_on__isnull=True)
    assert running.exists()
    people = set(running.values_list("participant_id", flat=True))
    barc = Administration.objects.filter(instrument_id="barc-10")
    assert set(barc.values_list("participant_id", flat=True)) == people
    assert all(a.status == "complete" and a.scores["scales"] for a in barc)
    assert set(ExternalAssessment.objects.values_list("participant_id", flat=True)) == people
    assert AuditEntry.objects.filter(object_type="administration").count() == (
        Administration.objects.count()
    )
    # Run again: those who have assessments get no more.
    coordinator = User.objects.get(username="coordinator")
    again = synth_assessments(acting_user=coordinator, probation_officer=coordinator, seed=1)
    assert again == {"administrations": 0, "external_assessments": 0}
    # The same seed on the same episodes gives the same answers.
    fields = ("participant_id", "instrument_id", "administered_on", "answers")
    first = sorted(Administration.objects.values_list(*fields))
    Administration.objects.all().delete()
    ExternalAssessment.objects.all().delete()
    synth_assessments(acting_user=coordinator, probation_officer=coordinator, seed=2026)
    assert sorted(Administration.objects.values_list(*fields)) == first
