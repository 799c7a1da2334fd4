"""`turnpoint unlock USERNAME --reason WHY` lifts a sign-in lockout at once (security.md SEC-26),
audited with the reason and the operator (SEC-41)."""

from django.core.management.base import BaseCommand

from turnpoint.accounts.access import command_line
from turnpoint.accounts.backends import account_unlock
from turnpoint.accounts.models import User
from turnpoint.cli import emit, fail
from turnpoint.text import text_problems


class Command(BaseCommand):
    help = "Unlock sign-in for a member of staff locked out after repeated failures."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--reason", default="", help="why (kept in the audit log; required)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, username, reason, json, **options):
        if not reason.strip():
            fail(self, ["--reason: say why (it is kept in the audit log)"], as_json=json,
                 headline="Nothing was unlocked.")  # fmt: skip
        if problems := text_problems("--reason", reason, max_length=200):
            fail(self, [str(p) for p in problems], as_json=json, headline="Nothing was unlocked.")
        if not User.objects.filter(username=username).exists():
            fail(self, [f"username: no user called '{username}'"], as_json=json,
                 headline="Nothing was unlocked.")  # fmt: skip
        was_locked = account_unlock(
            acting_user=None, username=username, via=command_line(), reason=reason
        )
        text = f"{username} can sign in again." if was_locked else f"{username} was not locked."
        emit(self, {"username": username, "was_locked": was_locked}, as_json=json, text=text)
