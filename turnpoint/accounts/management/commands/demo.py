"""`turnpoint demo [--reset]`: an SQLite database with the shipped programmes, one user per role
and a synthetic caseload, ready for `turnpoint runserver`."""

import secrets

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from turnpoint.accounts.access import access_changed_by, command_line
from turnpoint.accounts.mfa import demo_device_create
from turnpoint.accounts.personas import PERSONAS, persona_user
from turnpoint.assessments.synth import synth_assessments
from turnpoint.journeys.synth import synth_assign, synth_caseload
from turnpoint.plans.synth import synth_plans
from turnpoint.portal.services import portal_set_up, portal_setup_code_issue
from turnpoint.programmes.models import Programme
from turnpoint.sharing.synth import Court, synth_openings, synthetic_participants
from turnpoint.supervision.custody_synth import synth_custody
from turnpoint.supervision.synth import synth_reviews, synth_supervision


class Command(BaseCommand):
    help = "Set up a demo: programmes, one user per role and a synthetic caseload."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="start from an empty database")
        parser.add_argument("--participants", type=int, default=300)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--password", help="password for every demo user (default: random)")

    def handle(self, *args, reset, participants, seed, password, **options):
        if settings.PRODUCTION:
            raise CommandError("the demo refuses to run with TURNPOINT_ENV=production")
        if reset and connection.vendor != "sqlite":
            raise CommandError("--reset only empties the embedded SQLite database")
        # Migrated before it is emptied: a new database has no tables for `flush` to empty, and
        # `flush` puts back the rows that migrations seed (the referrals' version).
        call_command("migrate", verbosity=0)
        if reset:
            call_command("flush", interactive=False, verbosity=0)
        call_command("programmes", "load", "--shipped", stdout=self.stdout)
        programmes = list(Programme.objects.all())
        password = password or f"demo-{secrets.token_urlsafe(9)}"
        # The demo's staff and their access, audited as any change to access is (SEC-41).
        with access_changed_by(None, reason="demo set-up", via=command_line()):
            users = [persona_user(p, programmes=programmes, password=password) for p in PERSONAS]
            admin = users[-1]
            admin.is_superuser = True
            admin.save(update_fields=["is_superuser"])
        for user in users:  # sign-in asks for a security code (SEC-25): see below
            demo_device_create(user=user)
        coordinator = users[0]
        summary = synth_caseload(participants=participants, seed=seed, acting_user=coordinator)
        # The court sees what a treatment court's would: the progress of those who consented
        # to share it with the court team, and the odd court order (turnpoint/sharing/synth.py).
        by_name = {user.username: user for user in users}
        # Running episodes get a key worker and a case manager, so "My caseload" holds people.
        assigned = synth_assign(
            acting_user=coordinator,
            key_workers=[by_name["clinician"], by_name["probation"]],
            case_manager=by_name["casemanager"],
        )
        # Some people on a programme have a recovery plan, reviewed once (turnpoint/plans/synth.py).
        plans = synth_plans(acting_user=coordinator)
        # Their profiles: BARC-10 and readiness at intake and review, the needs checklist, an
        # LS/CMI level (turnpoint/assessments/synth.py).
        assessed = synth_assessments(acting_user=coordinator,
                                     probation_officer=by_name["probation"], seed=seed)  # fmt: skip
        # Sessions, their attendance, a test with results and the random test schedule for some
        # running episodes (turnpoint/supervision/synth.py).
        supervised = synth_supervision(coordinator=coordinator, probation=by_name["probation"],
                                       seed=seed or 0)  # fmt: skip
        judge = by_name["judge"]
        # Last week's docket before the judge, held, and today's with progress reports.
        reviewed = synth_reviews(coordinator=coordinator, judge=judge, seed=seed or 0)
        court = Court(programme_team=coordinator, treatment_provider=by_name["clinician"],
                      recipient_agency=judge.agency, recipient_role=judge.role,
                      name=str(judge.agency))  # fmt: skip
        synthetic = synthetic_participants()
        openings = synth_openings(synthetic, court)
        # A few in custody with a release plan, one in the 14 days after release.
        custody = synth_custody(programme_team=coordinator,
                                treatment_provider=by_name["clinician"])  # fmt: skip
        # One participant signs in to the portal with the same password (docs/portal.md).
        portal_user = None
        if synthetic:
            _, code = portal_setup_code_issue(acting_user=coordinator, participant=synthetic[0])
            portal_user = portal_set_up(reference=synthetic[0].reference, code=code,
                                        password=password, password_again=password)  # fmt: skip
            demo_device_create(user=portal_user)
        self.stdout.write(
            f"\nSynthetic demo caseload: {summary['participants']} participants "
            f"(marked SYNTHETIC everywhere they show). {openings['consents']} of them consented "
            f"to the court ({judge.agency}) seeing their attendance, drug tests and treatment "
            f"progress; {openings['court_orders']} have a court order opening their treatment "
            "progress to the judge.\n"
            f"{assigned} people on a programme have a key worker (clinician or probation) and a "
            "case manager (casemanager): their own caseloads show them first. They have "
            f"{assessed['administrations']} instruments given and "
            f"{assessed['external_assessments']} LS/CMI levels recorded, for their profiles; "
            f"{plans} of them have a recovery plan with two versions.\n"
            f"{supervised['appointments']} appointments, {supervised['tests']} drug tests and "
            f"{supervised['scheduled']} random test days: see Calendar and Call-in list.\n"
            f"{custody['custody_episodes']} people on the prison-to-community programme have a "
            f"custody episode, {custody['release_plans']} a release plan; "
            f"{custody['in_release_window']} in the 14 days after release (see Releases).\n"
            f"{reviewed['hearings']} review hearings on two dockets before {judge.username}, "
            f"{reviewed['reports']} with a progress report: see Dockets.\n"
        )
        self.stdout.write("Demo sign-ins (every user has the same password):")
        for persona in PERSONAS:
            self.stdout.write(f"  {persona.username:<14} {persona.role}")
        if portal_user:
            self.stdout.write(
                f"  {portal_user.username:<14} participant (the portal, their own record)"
            )
        self.stdout.write(f"  password: {password}\n")
        self.stdout.write(
            "After the password, sign-in asks for a 6-digit security code from an authenticator\n"
            "app. In this demo, print a user's current code in another terminal with\n"
            "  DEBUG=1 .venv/bin/turnpoint mfa code coordinator\n"
            "(a code changes every 30 seconds and works once).\n"
        )
        self.stdout.write("Open http://127.0.0.1:8000 and sign in.")
