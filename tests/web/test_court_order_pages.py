"""Court-order pages (security.md SEC-16): record an order or a subpoena, list them, end one;
and the record export refusing a period beyond an order's range."""

import html as htmllib
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from turnpoint.sharing.audit import AuditEntry
from turnpoint.sharing.court_orders import CourtOrder, court_order_record

from .helpers import date_fields, text


@pytest.fixture
def referral(make_referral):
    return make_referral(given_name="Robin", family_name="Example")


def summary(response) -> list[str]:
    body = text(response).split('class="govuk-error-summary"')[1].split("</ul>")[0]
    return [htmllib.unescape(m.strip()) for m in re.findall(r"<li>(?:<a [^>]+>)?([^<]+)", body)]


def order_data(users, **overrides):
    data = {
        "kind": "order",
        "court": "Ghent court of first instance",
        "reference": "ORD-2026-17",
        **date_fields("made_on", date.today()),
        "categories": ["clinical"],
        **date_fields("covers_from", date(2025, 1, 1)),
        **date_fields("covers_to", date(2025, 12, 31)),
        "recipient_role": "judge",
        "recipient_agency": str(users["judge"].agency_id),
        "purposes": ["court_review"],
        **date_fields("expires_at", date.today() + timedelta(days=30)),
    }
    data.update(overrides)
    return data


def new_url(referral):
    return reverse("web:court_order_new", args=[referral.participant_id])


def test_sec_16_coordinator_records_an_order_and_sees_it_listed(page_as, referral, users):
    client = page_as("coordinator")
    response = client.post(new_url(referral), order_data(users))
    assert response.status_code == 302
    order = CourtOrder.objects.get()
    assert (order.kind, order.court, order.reference) == (
        "order", "Ghent court of first instance", "ORD-2026-17"
    )  # fmt: skip
    assert order.categories == ["clinical"] and order.purposes == ["court_review"]
    assert (order.covers_from, order.covers_to) == (date(2025, 1, 1), date(2025, 12, 31))
    assert order.recipient_role == "judge" and order.recipient_agency == users["judge"].agency
    assert order.created_by == users["coordinator"]
    listing = text(client.get(reverse("web:court_orders", args=[referral.participant_id])))
    assert "In force" in listing and "ORD-2026-17" in listing
    assert "Clinical treatment; dated 1 Jan 2025 to 31 Dec 2025" in listing
    assert "Recorded by Cara Okafor" in listing


def test_sec_16_order_form_names_each_missing_field(page_as, referral):
    response = page_as("coordinator").post(new_url(referral), {"kind": "order"})
    assert response.status_code == 400
    assert summary(response) == [
        "Issuing court is required: name the court that made it",
        "Court reference is required: the court's case or order number",
        "Date made is required",
        "Information it covers is required: list each category of information, never 'all'",
        "Information dated from is required: an order covers information of a date range",
        "Information dated up to is required: an order covers information of a date range",
        "Recipients are required: select a recipient role, a recipient agency, or both",
        "What it may be used for is required: say what the information may be used for",
        "Date its authority ends is required: an order's authority must end",
    ]
    assert not CourtOrder.objects.exists()


def test_sec_16_a_subpoena_is_recorded_and_shown_as_opening_nothing(page_as, referral):
    client = page_as("casemanager")
    data = {"kind": "subpoena", "court": "District court", "reference": "SUB-9",
            **date_fields("made_on", date.today())}  # fmt: skip
    assert client.post(new_url(referral), data).status_code == 302
    assert CourtOrder.objects.get().kind == "subpoena"
    listing = text(client.get(reverse("web:court_orders", args=[referral.participant_id])))
    assert "Subpoena: opens nothing" in listing


def test_sec_16_coordinator_ends_an_order(page_as, referral, users):
    client = page_as("coordinator")
    client.post(new_url(referral), order_data(users))
    order = CourtOrder.objects.get()
    url = reverse("web:court_order_end", args=[referral.participant_id, order.pk])
    blank = client.post(url, {"reason": ""})
    assert blank.status_code == 400 and summary(blank) == ["Enter why it ends"]
    assert client.post(url, {"reason": "Discharged on appeal"}).status_code == 302
    order.refresh_from_db()
    assert order.ended_at is not None and order.end_reason == "Discharged on appeal"
    again = client.post(url, {"reason": "Again"})
    assert again.status_code == 400 and "already ended" in text(again)


def test_sec_16_court_roles_and_clinicians_cannot_record_orders(page_as, referral, users):
    for username in ("judge", "prosecutor", "defence", "clinician", "safeguarding"):
        response = page_as(username).post(new_url(referral), order_data(users))
        assert response.status_code == 403, username
    assert not CourtOrder.objects.exists()


def test_sec_16_participant_page_links_to_court_orders_for_the_programme_team(page_as, referral):
    url = reverse("web:participant", args=[referral.participant_id])
    link = reverse("web:court_orders", args=[referral.participant_id])
    assert link in text(page_as("coordinator").get(url))
    assert link not in text(page_as("judge").get(url))


def test_sec_16_export_beyond_an_orders_range_is_refused_naming_the_order(
    page_as, make_referral, users
):
    referral = make_referral(offence_date=date(2024, 3, 4), referral_date=date(2024, 4, 1),
                             offence_summary="Took tools from a shed.")  # fmt: skip
    order = court_order_record(
        acting_user=users["coordinator"], participant=referral.participant, kind="order",
        court="Family court", reference="FC-3", made_on=date.today(),
        categories=["legal", "pathway"], covers_from=date(2024, 1, 1),
        covers_to=date(2024, 12, 31), recipient_role="safeguarding_lead",
        purposes=["safeguarding"],
        expires_at=timezone.now() + timedelta(days=30),
    )  # fmt: skip
    url = reverse("web:participant_export", args=[referral.participant_id, "json"])
    client = page_as("safeguarding")
    refused = client.get(url, {"since": "2023-01-01"})
    assert refused.status_code == 403
    message = htmllib.unescape(refused.content.decode())
    assert "nothing was exported" in message
    assert f"court order {order.pk} (Family court, FC-3)" in message
    assert "01 January 2024 to 31 December 2024" in message
    denied = AuditEntry.objects.get(action="denied")
    assert f"court order {order.pk}" in denied.detail["reason"]
    assert not AuditEntry.objects.filter(action="export").exists()
    within = client.get(url, {"since": "2024-01-01", "until": "2024-06-30"})
    assert within.status_code == 200
    assert "Summary: Took tools from a shed." in str(within.json()["sections"])
    assert f"Under court order {order.pk}" in within.json()["scope"]
