"""SEC-41: changes to access are audited like reads.

Every change to who can see what (role, agency, programme teams, superuser flag, a token issued
or revoked, a security-code reset, an unlock) is an entry in the hash-chained audit log with who
made it and why; the superuser flag grants configuration only; nobody gives themselves a
case-work role."""

import io
import json

import pytest
from audit_helpers import verify
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client

from turnpoint.accounts.access import CASE_WORK_ROLES, access_changed_by
from turnpoint.accounts.models import (
    Agency,
    ApiToken,
    ApiTokenRevocation,
    Role,
    User,
    api_token_create,
)
from turnpoint.sharing.categories import Category
from turnpoint.sharing.models import AuditEntry
from turnpoint.sharing.rules import decide

REASON = "moved to the treatment team"


def access_entries(before: int, action: str = "access_changed") -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(pk__gt=before, action=action).order_by("pk"))


def newest_id() -> int:
    return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


@pytest.fixture
def administrator(users):
    """The administrator persona, with the superuser flag, signed in to the admin."""
    admin = users["administrator"]
    admin.is_staff = admin.is_superuser = True
    admin.save(update_fields=["is_staff", "is_superuser"])
    client = Client()
    client.force_login(admin)
    return admin, client


def change_form(user: User, **changes) -> dict:
    """What the admin's change page for `user` posts, with `changes`."""
    data = {
        "username": user.username, "first_name": user.first_name, "last_name": user.last_name,
        "email": user.email, "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"), "last_login_0": "",
        "last_login_1": "", "role": user.role, "agency": user.agency_id or "",
        "programmes": list(user.programmes.values_list("pk", flat=True)),
        "groups": [], "user_permissions": [], "is_active": "on",
    }  # fmt: skip
    for flag in ("is_staff", "is_superuser"):
        if getattr(user, flag):
            data[flag] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def post_change(client, user, **changes):
    return client.post(f"/admin/accounts/user/{user.pk}/change/", change_form(user, **changes))


def test_sec_41_a_role_agency_and_team_change_in_the_admin_is_audited_with_who_and_why(
    administrator, users, other_programme
):
    admin, client = administrator
    analyst = users["analyst"]
    treatment = Agency.objects.create(name="Ghent treatment service", kind="treatment")
    agency_before = analyst.agency_id
    before = newest_id()
    response = post_change(
        client, analyst, role=Role.CLINICIAN, agency=treatment.pk,
        programmes=[*analyst.programmes.values_list("pk", flat=True), other_programme.pk],
        change_reason=REASON,
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[-2000:]
    analyst.refresh_from_db()
    assert (analyst.role, analyst.agency_id) == (Role.CLINICIAN, treatment.pk)
    role_entry, team_entry = access_entries(before)
    for entry in (role_entry, team_entry):
        assert entry.username == admin.username and entry.user_id == admin.pk  # who
        assert entry.detail["reason"] == REASON and entry.detail["via"] == "admin"  # why
        assert (entry.object_type, entry.object_id) == ("user", str(analyst.pk))
    assert role_entry.detail["changes"] == {
        "role": [Role.ANALYST, Role.CLINICIAN],
        "agency_id": [agency_before, treatment.pk],
    }
    assert team_entry.detail["changes"] == {"programmes": {"added": [other_programme.pk]}}
    assert "chain intact" in verify()


def test_sec_41_a_change_to_access_without_a_reason_is_refused_and_changes_nothing(
    administrator, users
):
    _, client = administrator
    analyst = users["analyst"]
    before = newest_id()
    response = post_change(client, analyst, role=Role.CASE_MANAGER, change_reason="")
    assert response.status_code == 200
    assert "Say why this change to access is made" in response.content.decode()
    analyst.refresh_from_db()
    assert analyst.role == Role.ANALYST
    assert access_entries(before) == []


def test_sec_41_the_superuser_flag_is_audited(administrator, users):
    admin, client = administrator
    analyst = users["analyst"]
    before = newest_id()
    assert post_change(client, analyst, is_superuser="on", change_reason="runs the set-up")
    [entry] = access_entries(before)
    assert entry.detail["changes"] == {"is_superuser": [False, True]}
    assert entry.username == admin.username and entry.detail["reason"] == "runs the set-up"


def test_sec_41_nobody_gives_themselves_a_case_work_role_in_the_admin(administrator, programme):
    admin, client = administrator
    before = newest_id()
    response = post_change(client, admin, role=Role.JUDGE, change_reason="covering the court")
    assert response.status_code == 200
    assert "you cannot give yourself a case-work role" in response.content.decode()
    admin.refresh_from_db()
    assert admin.role == Role.ADMINISTRATOR
    assert access_entries(before) == []
    assert Role.ADMINISTRATOR not in CASE_WORK_ROLES and Role.JUDGE in CASE_WORK_ROLES


def test_sec_41_nobody_gives_themselves_a_case_work_role_or_a_team_anywhere(users, other_programme):
    """The same rule in code (a command, a shell): the change is refused, naming the field."""
    admin = users["administrator"]
    before = newest_id()
    refused = pytest.raises(ValidationError, match="you cannot add yourself to a programme team")
    with access_changed_by(admin, reason="covering", via="shell"):
        admin.role = Role.PROSECUTOR
        with pytest.raises(ValidationError, match="you cannot give yourself a case-work role"):
            admin.save()
        with refused, transaction.atomic():
            admin.programmes.add(other_programme)
        with refused, transaction.atomic():
            other_programme.members.add(admin)
    admin.refresh_from_db()
    assert admin.role == Role.ADMINISTRATOR
    assert not admin.programmes.filter(pk=other_programme.pk).exists()
    assert access_entries(before) == []
    # Another administrator may: recorded with their name.
    colleague = User.objects.create(username="second-admin", role=Role.ADMINISTRATOR)
    with access_changed_by(colleague, reason="covering the court", via="shell"):
        other_programme.members.add(admin)
    [*_, entry] = access_entries(before)
    assert entry.username == "second-admin" and entry.object_id == str(admin.pk)
    assert entry.detail["changes"] == {"programmes": {"added": [other_programme.pk]}}


def test_sec_41_a_change_made_around_the_admin_and_commands_is_still_recorded(users, programme):
    judge = users["judge"]
    before = newest_id()
    judge.programmes.clear()
    judge.is_active = False
    judge.save()
    removed, deactivated = access_entries(before)
    assert removed.detail["changes"] == {"programmes": {"removed": [programme.pk]}}
    assert deactivated.detail["changes"] == {"is_active": [True, False]}
    assert deactivated.detail["via"] == "unrecorded" and deactivated.user_id is None


def test_sec_41_tokens_issued_and_revoked_are_audited_with_who_and_why(administrator, users):
    admin, client = administrator
    before = newest_id()
    out = io.StringIO()
    call_command("tokens", "create", "judge", "--reason", "court laptop", "--json", stdout=out)
    token = ApiToken.objects.get(user=users["judge"])
    [created] = access_entries(before, "token_created")
    assert created.detail["reason"] == "court laptop"
    assert created.detail["via"].startswith("command line")
    assert created.detail["user"] == "judge" and created.detail["token"] == token.pk

    with pytest.raises(CommandError, match="--reason: say why"):
        call_command("tokens", "revoke", str(token.pk), stdout=io.StringIO())
    url = "/admin/accounts/apitoken/"
    action = {"action": "revoke", "_selected_action": [token.pk]}
    refused = client.post(url, action, follow=True).content.decode()
    assert "Say why" in refused and not ApiTokenRevocation.objects.exists()
    assert client.post(url, {**action, "reason": "laptop lost"}).status_code == 302
    [revoked] = access_entries(before, "token_revoked")
    assert revoked.username == admin.username and revoked.detail["reason"] == "laptop lost"
    # The token's page offers nothing to edit: no post can take the revocation back.
    client.post(f"/admin/accounts/apitoken/{token.pk}/change/", {"change_reason": "found it"})
    assert ApiTokenRevocation.objects.filter(digest=token.digest).exists()


def test_sec_41_token_revocation_from_the_command_line(users):
    api_token_create(user=users["judge"], label="laptop")
    token = ApiToken.objects.get(user=users["judge"])
    before = newest_id()
    out = io.StringIO()
    call_command("tokens", "revoke", str(token.pk), "--reason", "left", "--json", stdout=out)
    assert json.loads(out.getvalue())["revoked"] is True
    [entry] = access_entries(before, "token_revoked")
    assert entry.detail["reason"] == "left" and entry.detail["user"] == "judge"
    with pytest.raises(CommandError, match="already revoked"):
        call_command("tokens", "revoke", str(token.pk), "--reason", "again")


def test_sec_41_a_security_code_reset_and_an_unlock_need_a_reason(users):
    for command in (["mfa", "reset", "judge"], ["unlock", "judge"]):
        before = newest_id()
        with pytest.raises(CommandError, match="--reason: say why"):
            call_command(*command, stdout=io.StringIO())
        assert newest_id() == before
        call_command(*command, "--reason", "lost phone", stdout=io.StringIO())
        [entry] = AuditEntry.objects.filter(pk__gt=before)
        assert entry.detail["reason"] == "lost phone"
        assert entry.detail["via"].startswith("command line")


@pytest.mark.parametrize("role", ["", Role.ADMINISTRATOR])
def test_sec_41_the_superuser_flag_grants_no_read_of_participant_data(users, programme, role):
    user = users["administrator"]
    user.role, user.is_superuser, user.is_staff = role, True, True
    user.save()
    for category in Category:
        assert not decide(user, category, programme=programme).allowed, category
