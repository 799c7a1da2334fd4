"""The participant page's episode section: the assignees by name, and the "Assign" form for the
programme team's coordinator."""

import pytest

from turnpoint.journeys.models import Episode

from .helpers import text, walk


@pytest.fixture
def episode(make_referral, coordinator):
    referral = make_referral(given_name="Robin", family_name="Example")
    walk(referral, coordinator, "episode")
    return Episode.objects.get(referral=referral)


def url(episode):
    return f"/episodes/{episode.pk}/assignment/"


def test_the_coordinator_sees_the_form_with_the_team_members_who_fit(page_as, episode, users):
    html = text(page_as("coordinator").get(f"/participants/{episode.participant_id}/"))
    assert f'action="{url(episode)}"' in html
    assert f'<option value="{users["clinician"].pk}">Lena Peeters (Clinician / key worker)' in html
    assert f'<option value="{users["casemanager"].pk}">Sam Reid (Case manager)' in html
    assert "Ruth Adeyemi" not in html  # the judge is never assigned
    assert f'id="referral-{episode.referral_id}-key-worker">Not assigned</dd>' in html


def test_assigning_shows_the_names_on_the_page(page_as, episode, users):
    client = page_as("coordinator")
    response = client.post(url(episode), {
        "key_worker": users["clinician"].pk, "case_manager": users["probation"].pk,
        "expected_version": 1,
    })  # fmt: skip
    assert response.status_code == 302
    page = text(client.get(response["Location"]))
    assert "Assigned for Robin Example: key worker Lena Peeters, case manager Jamie Walsh." in page
    assert f'id="referral-{episode.referral_id}-key-worker">Lena Peeters</dd>' in page
    assert f'id="referral-{episode.referral_id}-case-manager">Jamie Walsh</dd>' in page
    # and the clinician now has Robin on their own caseload
    assert "Robin Example" in text(page_as("clinician").get("/"))


@pytest.mark.parametrize("username", ["casemanager", "clinician", "judge"])
def test_others_see_no_form_and_may_not_post(page_as, episode, users, username):
    client = page_as(username)
    html = text(client.get(f"/participants/{episode.participant_id}/"))
    assert url(episode) not in html
    response = client.post(url(episode), {"key_worker": users["clinician"].pk,
                                          "expected_version": 1})  # fmt: skip
    assert response.status_code == 403
    assert Episode.objects.get(pk=episode.pk).key_worker is None


def test_someone_not_offered_is_refused_with_the_field_named(page_as, episode, users):
    response = page_as("coordinator").post(url(episode), {
        "key_worker": users["judge"].pk, "expected_version": 1,
    })  # fmt: skip
    assert response.status_code == 400
    assert "Key worker: choose someone from the list" in text(response)
    assert Episode.objects.get(pk=episode.pk).version == 1


def test_a_stale_form_saves_nothing_and_says_why(page_as, episode, users):
    client = page_as("coordinator")
    client.post(url(episode), {"key_worker": users["clinician"].pk, "expected_version": 1})
    response = client.post(url(episode), {"key_worker": users["probation"].pk,
                                          "expected_version": 1})  # fmt: skip
    assert response.status_code == 409
    assert "Someone else changed this episode since you opened the page" in text(response)
    assert Episode.objects.get(pk=episode.pk).key_worker == users["clinician"]


def test_another_teams_episode_is_not_found(page_as, episode, users):
    response = page_as("outsider").post(url(episode), {"expected_version": 1})
    assert response.status_code == 404
