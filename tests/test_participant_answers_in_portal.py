"""The participant answers, in the portal, the questions a worker started for them to answer
themselves (docs/assessments.md, docs/portal.md): the staff form in their words, saved and
finished with the same checks, never anyone else's nor one a worker asks."""

from datetime import date

import pytest
from django.urls import reverse

from turnpoint.assessments.models import Administration
from turnpoint.assessments.services import administration_start
from turnpoint.portal.services import portal_set_up, portal_setup_code_issue
from turnpoint.sharing.models import AuditEntry

PASSWORD = "a long and memorable sentence"


@pytest.fixture
def robin(make_referral, coordinator):
    referral = make_referral()
    person = referral.participant
    _, code = portal_setup_code_issue(acting_user=coordinator, participant=person)
    user = portal_set_up(reference=person.reference, code=code, password=PASSWORD,
                         password_again=PASSWORD)  # fmt: skip
    return referral, user


def give(coordinator, referral, mode):
    return administration_start(acting_user=coordinator, participant=referral.participant,
                                referral=referral, instrument_id="tp-readiness",
                                setting="review", administered_on=date.today(),
                                mode=mode)  # fmt: skip


@pytest.mark.django_db
def test_the_participant_saves_then_finishes_their_questions(client, coordinator, robin):
    referral, user = robin
    theirs = give(coordinator, referral, "self")
    asked = give(coordinator, referral, "staff")
    client.force_login(user)
    home = client.get(reverse("portal:home")).content.decode()
    assert "1 waiting" in home
    listed = client.get(reverse("portal:questions")).content.decode()
    assert f'id="question-{theirs.pk}"' in listed and f'id="question-{asked.pk}"' not in listed
    url = reverse("portal:question", args=[theirs.pk])
    page = client.get(url).content.decode()
    assert "These questions are about you" in page and 'name="item-importance"' in page
    refused = client.post(url, {"expected_version": "1", "item-importance": "12", "save": "1"})
    assert (
        refused.status_code == 400
        and "Question 1: 12 is outside 0 to 10" in refused.content.decode()
    )
    assert client.post(url, {"expected_version": "1", "item-importance": "8",
                             "save": "1"}).status_code == 302  # fmt: skip
    done = client.post(url, {"expected_version": "2", "item-confidence": "6", "finish": "1"})
    assert done.status_code == 302
    theirs.refresh_from_db()
    assert theirs.status == "complete" and theirs.answers == {"importance": 8, "confidence": 6}
    entry = AuditEntry.objects.filter(object_type="administration", object_id=str(theirs.pk),
                                      action="update").last()  # fmt: skip
    assert entry.user == user and entry.detail["completed"] is True
    # One a worker asks is not theirs to open here.
    assert client.get(reverse("portal:question", args=[asked.pk])).status_code == 404
    assert Administration.objects.get(pk=asked.pk).answers == {}


@pytest.mark.django_db
def test_someone_elses_questions_are_not_found(client, coordinator, robin, make_referral):
    _, user = robin
    other = make_referral(given_name="Kim", family_name="Laurent")
    theirs = give(coordinator, other, "self")
    client.force_login(user)
    assert client.get(reverse("portal:question", args=[theirs.pk])).status_code == 404
