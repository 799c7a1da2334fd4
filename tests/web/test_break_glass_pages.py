"""Safeguarding pages: the designated lead opens a participant's safeguarding record with a reason
and a justification, sees the household until the window ends, and another lead reviews it."""

import html as htmllib
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from turnpoint.accounts.personas import PERSONAS, persona_user
from turnpoint.people.services import household_child_add
from turnpoint.sharing.audit import AuditEntry
from turnpoint.sharing.models import BreakGlass, Notification

from .helpers import text

# Session, user, the ids of the lead's team programmes (the reach of the break-glasses shown),
# the unreviewed break-glasses with participant and opener, the notifications; the session save
# with its savepoint pair: 8 however many wait for review.
REVIEWS_QUERIES = 8
JUSTIFICATION = "The school reported bruising on the participant's daughter this morning."


@pytest.fixture
def referral(make_referral, coordinator):
    referral = make_referral(given_name="Robin", family_name="Example")
    household_child_add(acting_user=coordinator, participant=referral.participant,
                        first_name="Mia", year_of_birth=timezone.localdate().year - 6)  # fmt: skip
    return referral


@pytest.fixture
def second_lead(programme):
    lead = next(p for p in PERSONAS if p.username == "safeguarding")
    user = persona_user(lead, programmes=[programme])
    user.pk = None
    user.id = None
    user.username = "safeguarding2"
    user.first_name = "Iain"
    user.save()
    user.programmes.set([programme])
    return user


def summary(response) -> list[str]:
    body = text(response).split('class="govuk-error-summary"')[1].split("</ul>")[0]
    return [htmllib.unescape(m.strip()) for m in re.findall(r"<li>(?:<a [^>]+>)?([^<]+)", body)]


def open_glass(client, referral, **overrides):
    data = {"reason_code": "child_at_risk", "justification": JUSTIFICATION, **overrides}
    return client.post(f"/participants/{referral.participant_id}/safeguarding/", data)


def test_lead_opens_the_safeguarding_record_and_then_sees_the_household(
    page_as, referral, users, second_lead
):
    client = page_as("safeguarding")
    page = text(client.get(f"/participants/{referral.participant_id}/"))
    assert "Open safeguarding record" in page and "Mia, born" not in page
    form = text(client.get(f"/participants/{referral.participant_id}/safeguarding/"))
    assert "Opening it is recorded with your reason" in form
    response = open_glass(client, referral)
    assert response.status_code == 302
    glass = BreakGlass.objects.get()
    assert (glass.opened_by, glass.participant_id, glass.reason_code) == (
        users["safeguarding"],
        referral.participant_id,
        "child_at_risk",
    )
    assert glass.justification == JUSTIFICATION and glass.expires_at > timezone.now()
    assert Notification.objects.filter(recipient=second_lead).count() == 1
    page = text(client.get(f"/participants/{referral.participant_id}/"))
    assert "Mia, born" in page and "You opened this safeguarding record until" in page
    reads = AuditEntry.objects.filter(action="read", user=users["safeguarding"])
    assert any("household" in e.categories for e in reads)


def test_household_closes_again_when_the_window_ends(page_as, referral):
    client = page_as("safeguarding")
    open_glass(client, referral)
    BreakGlass.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    page = text(client.get(f"/participants/{referral.participant_id}/"))
    assert "Mia, born" not in page and "Open safeguarding record" in page
    household = f"/participants/{referral.participant_id}/household/"
    assert client.get(household).status_code == 403


def test_break_glass_without_reason_or_justification_names_each_field(page_as, referral):
    response = open_glass(page_as("safeguarding"), referral, reason_code="", justification="")
    assert response.status_code == 400
    assert summary(response) == [
        "Select the reason for opening the safeguarding record",
        "Enter why you need to open it now",
    ]
    response = open_glass(page_as("safeguarding"), referral, justification="Worried.")
    assert summary(response) == [
        "Why you need to open it now must explain why, in at least 20 characters"
    ]
    assert not BreakGlass.objects.exists()


@pytest.mark.parametrize("username", ["coordinator", "clinician", "judge", "probation"])
def test_other_roles_cannot_open_a_safeguarding_record(page_as, referral, username):
    client = page_as(username)
    assert client.get(f"/participants/{referral.participant_id}/safeguarding/").status_code == 403
    assert open_glass(client, referral).status_code == 403
    assert "Open safeguarding record" not in text(
        client.get(f"/participants/{referral.participant_id}/")
    )
    assert not BreakGlass.objects.exists()


def test_outsider_gets_not_found_for_safeguarding(page_as, referral):
    assert open_glass(page_as("outsider"), referral).status_code == 404
    assert not BreakGlass.objects.exists()


def test_another_lead_reviews_the_break_glass(page_as, client, referral, second_lead):
    open_glass(page_as("safeguarding"), referral)
    glass = BreakGlass.objects.get()
    own = text(page_as("safeguarding").get("/safeguarding/reviews/"))
    assert "No break-glass is waiting for your review." in own
    assert (
        page_as("safeguarding")
        .post(f"/safeguarding/reviews/{glass.pk}/", {"note": "Fine"})
        .status_code
        == 404
    )  # nobody reviews their own
    client.force_login(second_lead)
    page = text(client.get("/safeguarding/reviews/"))
    assert JUSTIFICATION.replace("'", "&#x27;") in page
    assert "opened the safeguarding record of" in page  # the notification
    refused = client.post(f"/safeguarding/reviews/{glass.pk}/", {"note": ""})
    assert refused.status_code == 400
    assert summary(refused) == ["Enter what the review found"]
    assert BreakGlass.objects.get().reviewed_at is None
    response = client.post(f"/safeguarding/reviews/{glass.pk}/", {"note": "Reason sound."})
    assert response.status_code == 302
    after = BreakGlass.objects.get()
    assert (after.reviewed_by, after.review_note) == (second_lead, "Reason sound.")
    assert "No break-glass is waiting" in text(client.get("/safeguarding/reviews/"))


@pytest.mark.parametrize("username", ["coordinator", "judge", "clinician"])
def test_other_roles_cannot_review_a_break_glass(page_as, referral, username):
    open_glass(page_as("safeguarding"), referral)
    glass = BreakGlass.objects.get()
    client = page_as(username)
    assert client.get("/safeguarding/reviews/").status_code == 403
    assert client.post(f"/safeguarding/reviews/{glass.pk}/", {"note": "x"}).status_code == 403
    assert BreakGlass.objects.get().reviewed_at is None


def test_reviews_page_query_count_does_not_grow_with_the_break_glasses(
    page_as, client, make_referral, second_lead, django_assert_num_queries
):
    lead = page_as("safeguarding")
    open_glass(lead, make_referral(given_name="Ana", family_name="One"))
    client.force_login(second_lead)
    client.get("/safeguarding/reviews/")
    with django_assert_num_queries(REVIEWS_QUERIES):
        client.get("/safeguarding/reviews/")
    lead = page_as("safeguarding")
    for name in ("Two", "Three"):
        open_glass(lead, make_referral(given_name="Ana", family_name=name))
    client.force_login(second_lead)
    client.get("/safeguarding/reviews/")
    with django_assert_num_queries(REVIEWS_QUERIES):
        html = text(client.get("/safeguarding/reviews/"))
    assert html.count('class="tp-review"') == 3


def test_a_notification_is_new_once_and_then_marked_read(page_as, client, referral, second_lead):
    open_glass(page_as("safeguarding"), referral)
    client.force_login(second_lead)
    first = text(client.get("/safeguarding/reviews/"))
    assert "New</strong>" in first and "opened the safeguarding record of" in first
    assert Notification.objects.get(recipient=second_lead).read_at is not None
    again = text(client.get("/safeguarding/reviews/"))
    assert "New</strong>" not in again and "opened the safeguarding record of" in again
