"""The admin's participant list: read-only and reached through the sharing policy."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from turnpoint.journeys.synth import synth_caseload
from turnpoint.people.models import Participant


def admin_client(client, user):
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(user)
    return client


def test_admin_lists_only_the_participants_the_user_may_reach(client, make_referral, users):
    make_referral(given_name="Visible", family_name="Person")
    Participant.objects.create(
        given_name="Hidden", family_name="Person", date_of_birth="1990-01-01"
    )
    page = admin_client(client, users["coordinator"]).get("/admin/people/participant/")
    assert page.status_code == 200
    assert b"Visible" in page.content and b"Hidden" not in page.content


def test_outsider_cannot_open_another_teams_participant_in_admin(client, make_referral, outsider):
    referral = make_referral(given_name="Visible", family_name="Person")
    url = f"/admin/people/participant/{referral.participant_id}/change/"
    page = admin_client(client, outsider).get(url, follow=True)
    assert b"Visible" not in page.content
    assert b"doesn\xe2\x80\x99t exist" in page.content or b"doesn't exist" in page.content


def test_administrator_role_sees_no_participants_in_admin(client, make_referral, users):
    make_referral(given_name="Visible", family_name="Person")
    page = admin_client(client, users["administrator"]).get("/admin/people/participant/")
    assert page.status_code == 200
    assert b"Visible" not in page.content


def test_admin_cannot_add_change_or_delete_participants(client, make_referral, users):
    referral = make_referral(given_name="Robin", family_name="Example")
    c = admin_client(client, users["coordinator"])
    assert c.get("/admin/people/participant/add/").status_code == 403
    url = f"/admin/people/participant/{referral.participant_id}/change/"
    c.post(url, {"given_name": "Changed", "family_name": "Example"})
    assert Participant.objects.get(pk=referral.participant_id).given_name == "Robin"
    assert c.get(f"/admin/people/participant/{referral.participant_id}/delete/").status_code == 403


def test_admin_list_issues_the_same_queries_for_5_and_50_participants(client, users, programmes):
    coordinator = users["coordinator"]
    coordinator.programmes.set(programmes.values())
    c = admin_client(client, coordinator)
    counts = []
    for n in (5, 45):
        synth_caseload(participants=n, seed=n, acting_user=coordinator)
        c.get("/admin/people/participant/")
        with CaptureQueriesContext(connection) as ctx:
            assert c.get("/admin/people/participant/").status_code == 200
        counts.append(len(ctx))
    assert counts[0] == counts[1]
