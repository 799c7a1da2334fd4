"""Recording and revoking consents to share on the staff pages in a US criminal-justice-referral
programme (security.md SEC-09; 42 CFR 2.35), and the UK pages unchanged."""

import html as htmllib
import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from turnpoint.journeys.services import referral_transition
from turnpoint.sharing.consents import ShareConsent

from .helpers import date_fields, text, walk


@pytest.fixture
def us_referral(make_referral, programmes, users):
    us = programmes["us-adult-drug-court"]
    for user in users.values():
        user.programmes.add(us)
    return make_referral(programme=us)


def summary(response) -> list[str]:
    body = text(response).split('class="govuk-error-summary"')[1].split("</ul>")[0]
    return [htmllib.unescape(m.strip()) for m in re.findall(r"<li>(?:<a [^>]+>)?([^<]+)", body)]


def share_data(users, **overrides):
    data = {
        "recipient_role": "judge",
        "recipient_agency": users["judge"].agency_id,
        "categories": ["attendance"],  # the programme team's, which the coordinator records
        "purposes": ["court_review"],
        **date_fields("starts_at", date.today()),
        **date_fields("expires_at", date.today() + timedelta(days=180)),
        "revocable_after_event": "episode_exit",
        "revocation_statement": "You can withdraw this consent once the episode ends.",
        "revocation_method": "Tell your key worker.",
        "signature_method": "written",
        "signed_by": "Robin Example",
        "representative_authority": "",
        **date_fields("signed_on", date.today()),
    }
    data.update(overrides)
    return data


def test_sec_09_form_asks_when_a_criminal_justice_consent_becomes_revocable(
    page_as, us_referral, make_referral
):
    client = page_as("coordinator")
    form = text(client.get(f"/participants/{us_referral.participant_id}/sharing/new/"))
    assert "Date it becomes revocable" in form and 'name="revocable_after_event"' in form
    assert "only a role with a duty to monitor the participant" in htmllib.unescape(form)
    uk = make_referral(given_name="Sam")
    uk_form = text(client.get(f"/participants/{uk.participant_id}/sharing/new/"))
    assert "Date it becomes revocable" not in uk_form
    assert "You can withdraw this consent at any time" in uk_form


def test_sec_09_recipient_without_monitoring_duty_is_refused_on_the_form(
    page_as, us_referral, users
):
    response = page_as("coordinator").post(
        f"/participants/{us_referral.participant_id}/sharing/new/",
        share_data(users, recipient_role="defence"),
    )
    assert response.status_code == 400
    [message] = summary(response)
    assert message.startswith(
        "Recipient role must be a role with a duty to monitor the participant's progress in "
        "Adult drug court, post-plea (United States): Judge, Prosecutor"
    )
    assert message.endswith("(42 CFR 2.35(a))")
    assert not ShareConsent.objects.exists()


def test_sec_09_revocable_from_later_than_final_disposition_is_refused_on_the_form(
    page_as, us_referral, users
):
    latest = timezone.localdate() + timedelta(weeks=104)
    response = page_as("coordinator").post(
        f"/participants/{us_referral.participant_id}/sharing/new/",
        share_data(users, **date_fields("revocable_from", latest + timedelta(days=1))),
    )
    assert response.status_code == 400
    [message] = summary(response)
    assert message.startswith(
        f"Date it becomes revocable must be on or before {latest.day} {latest:%B %Y}, the "
        "expected final disposition"
    )
    assert not ShareConsent.objects.exists()


def test_sec_09_revocation_before_the_event_is_refused_on_the_page(page_as, us_referral, users):
    coordinator = users["coordinator"]
    walk(us_referral, coordinator, "episode")
    client = page_as("coordinator")
    base = f"/participants/{us_referral.participant_id}/sharing/"
    assert client.post(f"{base}new/", share_data(users)).status_code == 302
    consent = ShareConsent.objects.get()
    assert consent.revocable_after_event == "episode_exit" and consent.referral == us_referral
    listing = text(client.get(base))
    assert "Cannot be revoked until the episode ends (42 CFR 2.35(c))" in listing
    url = f"{base}{consent.pk}/revoke/"
    page = text(client.get(url))
    assert 'id="not-yet-revocable"' in page and "Revoke consent to share</button>" not in page
    assert "This consent cannot be revoked until the episode ends (42 CFR 2.35(c))" in page
    refused = client.post(url, {"how": "Asked at a session"})
    assert refused.status_code == 400
    signed = f"{date.today().day} {date.today():%B %Y}"
    assert summary(refused) == [
        "Consent cannot be revoked until the episode ends (42 CFR 2.35(c)); it became "
        f"irrevocable when it was signed on {signed}. Nothing was changed."
    ]
    assert ShareConsent.objects.get().revoked_at is None
    # After the event, revoking works as for any consent.
    referral_transition(
        us_referral, acting_user=coordinator, to_state="exit", occurred_on=date.today(),
        exit_type="terminated", reason="Sentenced on the plea.",
    )  # fmt: skip
    assert "Revoke consent to share</button>" in text(client.get(url))
    assert client.post(url, {"how": "Wrote to the team"}).status_code == 302
    assert ShareConsent.objects.get().revocation_how == "Wrote to the team"


def test_sec_09_uk_consents_stay_revocable_at_any_time_on_the_page(page_as, make_referral, users):
    referral = make_referral()  # Ghent
    client = page_as("coordinator")
    base = f"/participants/{referral.participant_id}/sharing/"
    # The fields are not on the UK form: anything posted for them is ignored.
    later = date_fields("revocable_from", date.today() + timedelta(days=30))
    data = share_data(users, recipient_role="defence", **later)
    assert client.post(f"{base}new/", data).status_code == 302
    consent = ShareConsent.objects.get()
    assert (consent.revocable_from, consent.revocable_after_event) == (None, "")
    assert (
        client.post(f"{base}{consent.pk}/revoke/", {"how": "Told her key worker"}).status_code
        == 302
    )
    assert ShareConsent.objects.get().revoked_at is not None
