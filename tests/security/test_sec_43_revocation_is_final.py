"""SEC-43 Revocation is final: a revoked API token never works again, whatever is later edited;
deactivating a user revokes their tokens and ends their sessions; both are audited."""

import io

import pytest
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.test import Client

from turnpoint.accounts.models import ApiToken, ApiTokenRevocation, RevocationIsFinal
from turnpoint.accounts.revocation import user_deactivate
from turnpoint.sharing.models import AuditEntry


def new_entries(before: int):
    return list(AuditEntry.objects.order_by("pk")[before:])


def works(as_, token: str) -> bool:
    status = as_.api(token=token).get("/api/programmes").status_code
    assert status in (200, 401)
    return status == 200


def user_change_form(user) -> dict:
    """The Django admin's change form for `user`, filled with what is stored now."""
    joined = user.date_joined
    return {
        "username": user.username, "first_name": user.first_name, "last_name": user.last_name,
        "email": user.email, "is_active": "on", "date_joined_0": f"{joined:%Y-%m-%d}",
        "date_joined_1": f"{joined:%H:%M:%S}", "initial-date_joined_0": f"{joined:%Y-%m-%d}",
        "initial-date_joined_1": f"{joined:%H:%M:%S}", "role": user.role,
        "agency": user.agency_id or "", "programmes": [p.pk for p in user.programmes.all()],
    }  # fmt: skip


def test_sec_43_a_revoked_token_never_works_again_whatever_is_edited(users, as_):
    judge = users["judge"]
    raw = as_.token(judge)
    token = ApiToken.objects.get(user=judge)
    assert works(as_, raw)
    before = AuditEntry.objects.count()
    out = io.StringIO()
    call_command("tokens", "revoke", str(token.pk), "--reason", "laptop lost", stdout=out)
    assert out.getvalue() == f"Token {token.pk} of judge is revoked.\n"
    [entry] = new_entries(before)
    assert (entry.action, entry.object_id, entry.detail) == (
        "token_revoked", str(token.pk),
        {"token": token.pk, "label": "security suite", "user": "judge", "reason": "laptop lost",
         "via": entry.detail["via"]},
    )  # fmt: skip
    assert not works(as_, raw)

    # Editing the token row, re-saving its user, deactivating and reactivating them: still dead.
    token.label = "found again"
    token.save()
    judge.is_active = False
    judge.save()
    judge.is_active = True
    judge.save()
    assert not works(as_, raw)
    # Deleting the row and writing it back with the same digest does not revive it either.
    digest, label = token.digest, token.label
    token.delete()
    ApiToken.objects.create(user=judge, digest=digest, label=label)
    assert not works(as_, raw)
    # The revocation itself cannot be changed or removed.
    revocation = ApiTokenRevocation.objects.get(digest=digest)
    with pytest.raises(RevocationIsFinal):
        revocation.save()
    with pytest.raises(RevocationIsFinal):
        revocation.delete()
    assert ApiTokenRevocation.objects.filter(digest=digest).exists()


def test_sec_43_revoking_twice_or_an_unknown_token_says_so_and_writes_nothing(users, as_):
    as_.token(users["judge"])
    token = ApiToken.objects.get(user=users["judge"])
    call_command("tokens", "revoke", str(token.pk), "--reason", "left", stdout=io.StringIO())
    before = AuditEntry.objects.count()
    with pytest.raises(CommandError, match=f"token_id: token {token.pk} was already revoked"):
        call_command("tokens", "revoke", str(token.pk), "--reason", "again")
    with pytest.raises(CommandError, match="token_id: no token 999999"):
        call_command("tokens", "revoke", "999999", "--reason", "typo")
    assert AuditEntry.objects.count() == before


def test_sec_43_the_admin_shows_a_token_read_only_and_its_revoke_action_is_final(
    users, as_, admin_client
):
    raw = as_.token(users["judge"])
    token = ApiToken.objects.get(user=users["judge"])
    response = admin_client.post(
        "/admin/accounts/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk], "reason": "laptop lost"},
        follow=True,
    )
    assert "Revoked 1 token(s)." in response.content.decode()
    entry = AuditEntry.objects.get(action="token_revoked")
    assert (entry.username, entry.detail["reason"]) == ("admin", "laptop lost")
    # The change page has no field to edit; posting one changes nothing and revives nothing.
    page = admin_client.get(f"/admin/accounts/apitoken/{token.pk}/change/").content.decode()
    assert 'name="label"' not in page and "Revoked at" in page
    admin_client.post(f"/admin/accounts/apitoken/{token.pk}/change/", {"label": "new"})
    token.refresh_from_db()
    assert token.label == "security suite"
    assert admin_client.get(f"/admin/accounts/apitoken/{token.pk}/delete/").status_code == 403
    assert not works(as_, raw)


def test_sec_43_deactivating_in_the_admin_revokes_tokens_ends_sessions_and_is_audited(
    users, as_, admin_client
):
    judge = users["judge"]
    raw = as_.token(judge)
    laptop, phone = Client(), Client()
    laptop.force_login(judge)
    phone.force_login(judge)
    before = AuditEntry.objects.count()
    form = {**user_change_form(judge), "change_reason": "left the court"}
    del form["is_active"]  # the box unticked
    response = admin_client.post(f"/admin/accounts/user/{judge.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    entries = new_entries(before)
    assert [(e.action, e.username) for e in entries] == [
        ("token_revoked", "admin"),
        ("access_changed", "admin"),
        ("user_deactivated", "admin"),
    ]
    assert entries[1].detail["changes"] == {"is_active": [True, False]}
    assert entries[2].detail == {"username": "judge", "tokens_revoked": 1, "sessions_ended": 2,
                                 "reason": "left the court"}  # fmt: skip
    assert not [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(
        judge.pk)]  # fmt: skip
    assert laptop.get("/")["Location"].startswith("/sign-in/")

    # Ticking the box again gives back neither the token nor the sessions.
    response = admin_client.post(f"/admin/accounts/user/{judge.pk}/change/",
                                 {**user_change_form(judge), "change_reason": "back"})  # fmt: skip
    assert response.status_code == 302
    judge.refresh_from_db()
    assert judge.is_active
    assert not works(as_, raw)
    assert phone.get("/")["Location"].startswith("/sign-in/")


def test_sec_43_deactivating_with_nothing_held_is_still_audited(users):
    before = AuditEntry.objects.count()
    user_deactivate(user=users["analyst"], acting_user=users["coordinator"], reason="left")
    changed, entry = new_entries(before)
    assert (changed.action, changed.username, changed.detail["reason"]) == (
        "access_changed",
        "coordinator",
        "left",
    )
    assert (entry.action, entry.username, entry.detail) == (
        "user_deactivated", "coordinator",
        {"username": "analyst", "tokens_revoked": 0, "sessions_ended": 0, "reason": "left"},
    )  # fmt: skip


def test_sec_43_a_user_saved_inactive_any_other_way_keeps_no_token_when_reactivated(users, as_):
    judge = users["judge"]
    raw = as_.token(judge)
    judge.is_active = False
    judge.save(update_fields=["is_active"])
    entry = AuditEntry.objects.get(action="user_deactivated")
    assert (entry.username, entry.detail["tokens_revoked"]) == ("", 1)
    judge.is_active = True
    judge.save(update_fields=["is_active"])
    assert not works(as_, raw)
