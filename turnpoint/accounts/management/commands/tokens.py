"""`turnpoint tokens create USERNAME --reason WHY` prints a new API token for that user;
`turnpoint tokens revoke TOKEN_ID --reason WHY` revokes one for good. Both are audited with the
reason and the operator (security.md SEC-20, SEC-41, SEC-43)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from turnpoint.accounts.access import access_changed_by, command_line
from turnpoint.accounts.models import ApiToken, Role, User, api_token_create
from turnpoint.accounts.revocation import api_token_revoke
from turnpoint.cli import emit, fail
from turnpoint.text import text_problems

REASON_MAX = 200  # kept in the audit log and on the revocation
LABEL_MAX = 100


class Command(BaseCommand):
    help = "Create and revoke API tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token and print it (shown only once)")
        create.add_argument("username")
        create.add_argument("--label", default="")
        create.add_argument("--reason", default="", help="why (kept in the audit log; required)")
        create.add_argument("--json", action="store_true")
        revoke = sub.add_parser("revoke", help="revoke a token: it never works again")
        revoke.add_argument("token_id", type=int)
        revoke.add_argument("--reason", default="", help="why (kept in the audit log; required)")
        revoke.add_argument("--json", action="store_true")

    def handle(self, *args, action, reason, json, **options):
        headline = "No token was created." if action == "create" else "No token was revoked."
        if not reason.strip():
            fail(self, ["--reason: say why (it is kept in the audit log)"], as_json=json,
                 headline=headline)  # fmt: skip
        problems = text_problems("--reason", reason, max_length=REASON_MAX)
        problems += text_problems("--label", options.get("label"), max_length=LABEL_MAX)
        if problems:
            fail(self, [str(p) for p in problems], as_json=json, headline=headline)
        if action == "create":
            self.create(options["username"], options["label"], reason, json, headline)
        else:
            self.revoke(options["token_id"], reason, json, headline)

    def create(self, username, label, reason, as_json, headline):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            fail(self, [f"username: no active user called '{username}'"], as_json=as_json,
                 headline=headline)  # fmt: skip
        if user.role == Role.PARTICIPANT:
            fail(self, [f"username: '{username}' is a participant's portal account; the API is "
                        "for staff and integrations"], as_json=as_json,
                 headline=headline)  # fmt: skip
        # No token without its audit entry (SEC-19, SEC-41): written by accounts.access.
        with transaction.atomic(), access_changed_by(None, reason=reason, via=command_line()):
            raw = api_token_create(user=user, label=label)
        emit(self, {"username": username, "token": raw}, as_json=as_json, text=raw)

    def revoke(self, token_id, reason, as_json, headline):
        token = ApiToken.objects.filter(pk=token_id).select_related("user").first()
        if token is None:
            fail(self, [f"token_id: no token {token_id}"], as_json=as_json, headline=headline)
        if not api_token_revoke(
            token=token, acting_user=None, reason=reason.strip(), via=command_line()
        ):
            fail(self, [f"token_id: token {token_id} was already revoked"], as_json=as_json,
                 headline=headline)  # fmt: skip
        name = token.user.username
        emit(self, {"token_id": token_id, "username": name, "revoked": True}, as_json=as_json,
             text=f"Token {token_id} of {name} is revoked.")  # fmt: skip
