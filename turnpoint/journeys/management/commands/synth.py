"""`turnpoint synth --participants N --seed S [--json] [--acting-user USERNAME]`.

Without --acting-user the rows are written by the system user `synth` (a coordinator in every
programme team who cannot sign in), so the audit log says plainly who made them.
"""

from django.core.management.base import BaseCommand
from django.db import connection

from turnpoint.accounts.access import access_changed_by, command_line
from turnpoint.accounts.models import Agency, AgencyKind, Role, User
from turnpoint.cli import emit, fail
from turnpoint.errors import InvalidInput
from turnpoint.journeys.synth import synth_caseload
from turnpoint.programmes.models import Programme
from turnpoint.sharing.rules import PolicyDenied

SYSTEM_USERNAME = "synth"


def synth_system_user() -> User:
    """The user synthetic rows are written by when nobody is named: it cannot sign in."""
    agency, _ = Agency.objects.get_or_create(
        name="Synthetic data", defaults={"kind": AgencyKind.COORDINATION}
    )
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"first_name": "Synthetic", "last_name": "data", "role": Role.COORDINATOR,
                  "agency": agency},
    )  # fmt: skip
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    with access_changed_by(None, reason="writes synthetic data", via=command_line()):
        user.programmes.add(*Programme.objects.all())
    return user


class Command(BaseCommand):
    help = "Generate a synthetic caseload (marked synthetic) across the loaded programmes."

    def add_arguments(self, parser):
        parser.add_argument("--participants", type=int, required=True, help="how many (>= 1)")
        parser.add_argument("--seed", type=int, default=0, help="same seed, same data (default 0)")
        parser.add_argument(
            "--acting-user", help="username the rows are written by (default: synth)"
        )
        parser.add_argument(
            "--programme",
            action="append",
            metavar="SLUG",
            help="only this programme (repeat for more; default: all loaded)",
        )
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, participants, seed, acting_user, programme, batch_size, **options):
        as_json = options["json"]
        headline = "Nothing was generated."
        if participants < 1:
            fail(self, ["--participants must be at least 1"], as_json=as_json, headline=headline)
        if not Programme.objects.exists():
            fail(self, ["no programmes are loaded: run `turnpoint programmes load --shipped` "
                        "first"], as_json=as_json, headline=headline)  # fmt: skip
        programmes = None
        if programme:
            programmes = list(Programme.objects.filter(slug__in=programme))
            unknown = sorted(set(programme) - {p.slug for p in programmes})
            if unknown:
                fail(self, [f"no programme with slug '{s}'" for s in unknown], as_json=as_json,
                     headline=headline)  # fmt: skip
        if acting_user:
            user = User.objects.filter(username=acting_user, is_active=True).first()
            if user is None:
                fail(self, [f"no active user named '{acting_user}'"], as_json=as_json,
                     headline=headline)  # fmt: skip
        else:
            user = synth_system_user()
        try:
            summary = synth_caseload(
                participants=participants,
                seed=seed,
                acting_user=user,
                programmes=programmes,
                batch_size=batch_size,
                progress=None if as_json or options["verbosity"] < 1 else self._progress,
            )
        except InvalidInput as exc:
            fail(self, [f"{p.field}: {p.reason}" for p in exc.problems], as_json=as_json,
                 headline=headline)  # fmt: skip
        except PolicyDenied as exc:
            fail(self, [f"{user.username} may not write these referrals: {exc}"],
                 as_json=as_json, headline=headline)  # fmt: skip
        # Fresh planner statistics: without them PostgreSQL guessed 133 referrals per programme
        # where there were 20,000 and the caseload page took 15 times longer (docs/synth.md).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        text = (
            f"Generated {summary['participants']} synthetic participants "
            f"(seed {summary['seed']}, written by {user.username}):\n"
            f"  referrals    {summary['referrals']}\n"
            f"  transitions  {summary['transitions']}\n"
            f"  episodes     {summary['episodes']} ({summary['active_episodes']} active)\n"
            f"  completions  {summary['completions']}\n"
            f"  audit rows   {summary['audit_entries']}\n"
            f"  elapsed      {summary['elapsed_seconds']} s"
        )
        emit(self, {"ok": True, "acting_user": user.username, **summary}, as_json=as_json,
             text=text)  # fmt: skip

    def _progress(self, done: int, total: int) -> None:
        self.stderr.write(f"  {done:,} / {total:,} participants written", ending="\r")
        if done == total:
            self.stderr.write("")
