"""`turnpoint tokens create USERNAME` prints a new API token for that user;
`turnpoint tokens revoke TOKEN_ID` revokes one for good (security.md SEC-43)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from turnpoint.accounts.models import ApiToken, Role, User, api_token_create
from turnpoint.accounts.revocation import api_token_revoke
from turnpoint.cli import emit, fail
from turnpoint.sharing.audit import audit_write


class Command(BaseCommand):
    help = "Create and revoke API tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token and print it (shown only once)")
        create.add_argument("username")
        create.add_argument("--label", default="")
        create.add_argument("--json", action="store_true")
        revoke = sub.add_parser("revoke", help="revoke a token by its id; it never works again")
        revoke.add_argument("token_id", type=int)
        revoke.add_argument("--reason", default="")
        revoke.add_argument("--json", action="store_true")

    def handle(self, *args, action, json, **options):
        if action == "revoke":
            self.revoke(options["token_id"], options["reason"], as_json=json)
        else:
            self.create(options["username"], options["label"], as_json=json)

    def create(self, username: str, label: str, *, as_json: bool):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            fail(self, [f"username: no active user called '{username}'"], as_json=as_json,
                 headline="No token was created.")  # fmt: skip
        if user.role == Role.PARTICIPANT:
            fail(self, [f"username: '{username}' is a participant's portal account; the API is "
                        "for staff and integrations"], as_json=as_json,
                 headline="No token was created.")  # fmt: skip
        with transaction.atomic():  # no token without its audit entry (SEC-19, SEC-20)
            raw = api_token_create(user=user, label=label)
            audit_write(acting_user=user, action="token_created", detail={"label": label})
        emit(self, {"username": username, "token": raw}, as_json=as_json, text=raw)

    def revoke(self, token_id: int, reason: str, *, as_json: bool):
        token = ApiToken.objects.select_related("user").filter(pk=token_id).first()
        if token is None:
            fail(self, [f"token_id: no token with id {token_id}"], as_json=as_json,
                 headline="Nothing was revoked.")  # fmt: skip
        revoked = api_token_revoke(token=token, acting_user=None, reason=reason)
        text = (f"Token {token_id} of {token.user.username} is revoked." if revoked
                else f"Token {token_id} was already revoked.")  # fmt: skip
        emit(self, {"token_id": token_id, "revoked_now": revoked}, as_json=as_json, text=text)
