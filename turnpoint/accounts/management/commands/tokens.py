"""`turnpoint tokens create USERNAME` prints a new API token for that user."""

from django.core.management.base import BaseCommand
from django.db import transaction

from turnpoint.accounts.models import Role, User, api_token_create
from turnpoint.cli import emit, fail
from turnpoint.sharing.audit import audit_write


class Command(BaseCommand):
    help = "Create API tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token and print it (shown only once)")
        create.add_argument("username")
        create.add_argument("--label", default="")
        create.add_argument("--json", action="store_true")

    def handle(self, *args, action, username, label, json, **options):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            fail(self, [f"username: no active user called '{username}'"], as_json=json,
                 headline="No token was created.")  # fmt: skip
        if user.role == Role.PARTICIPANT:
            fail(self, [f"username: '{username}' is a participant's portal account; the API is "
                        "for staff and integrations"], as_json=json,
                 headline="No token was created.")  # fmt: skip
        with transaction.atomic():  # no token without its audit entry (SEC-19, SEC-20)
            raw = api_token_create(user=user, label=label)
            audit_write(acting_user=user, action="token_created", detail={"label": label})
        emit(self, {"username": username, "token": raw}, as_json=json, text=raw)
