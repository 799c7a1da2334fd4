"""`turnpoint mfa reset USERNAME`: remove a user's authenticator app and recovery codes and end
their sessions, so they set up a new app at their next sign-in (audited, security.md SEC-20).

`turnpoint mfa code USERNAME` prints the code the user's app would show now. It is for the demo
only and refuses to run unless DEBUG is on (never in production)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from turnpoint.accounts.access import command_line
from turnpoint.accounts.mfa import mfa_current_code, mfa_reset
from turnpoint.accounts.models import User
from turnpoint.cli import emit, fail
from turnpoint.text import text_problems


class Command(BaseCommand):
    help = "Reset a user's authenticator app; in the demo, show a user's current code."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        reset = sub.add_parser(
            "reset", help="remove the user's authenticator app; they set up a new one"
        )
        reset.add_argument("username")
        reset.add_argument("--reason", default="", help="why (kept in the audit log; required)")
        reset.add_argument("--json", action="store_true")
        code = sub.add_parser("code", help="print the user's current code (demo, DEBUG only)")
        code.add_argument("username")
        code.add_argument("--json", action="store_true")

    def handle(self, *args, action, username, json, **options):
        user = User.objects.filter(username=username).first()
        if action == "code":
            self._code(user, username, as_json=json)
            return
        if user is None:
            fail(self, [f"username: no user called '{username}'"], as_json=json,
                 headline="Nothing was reset.")  # fmt: skip
        if not options["reason"].strip():
            fail(self, ["--reason: say why (it is kept in the audit log)"], as_json=json,
                 headline="Nothing was reset.")  # fmt: skip
        if problems := text_problems("--reason", options["reason"], max_length=200):
            fail(self, [str(p) for p in problems], as_json=json, headline="Nothing was reset.")
        ended = mfa_reset(user=user, reason=options["reason"], via=command_line())
        emit(
            self,
            {"username": username, "sessions_ended": ended},
            as_json=json,
            text=f"{username} will set up a new authenticator app at their next sign-in "
            f"({ended} session(s) ended).",
        )

    def _code(self, user, username, *, as_json):
        headline = "No code was shown."
        if not settings.DEBUG or settings.PRODUCTION:
            fail(self, ["DEBUG: current codes are shown only in the demo, with DEBUG on; run "
                        f"`DEBUG=1 turnpoint mfa code {username}`"],
                 as_json=as_json, headline=headline)  # fmt: skip
        if user is None:
            fail(self, [f"username: no user called '{username}'"], as_json=as_json,
                 headline=headline)  # fmt: skip
        try:
            code = mfa_current_code(user=user)
        except LookupError:
            fail(self, [f"username: {username} has not started setting up an authenticator "
                        "app; sign in as them first"], as_json=as_json,
                 headline=headline)  # fmt: skip
        emit(self, {"username": username, "code": code}, as_json=as_json, text=code)
