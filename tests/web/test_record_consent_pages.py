"""Consent pages: recording consent to take part before the episode, its PDF and withdrawal;
consents to share (list, record, revoke, PDF); and the children in the household."""

import html as htmllib
import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from turnpoint.people.models import HouseholdChild
from turnpoint.sharing.audit import AuditEntry
from turnpoint.sharing.consents import ShareConsent, share_consent_create
from turnpoint.sharing.participation import ParticipationConsent

from .helpers import date_fields, text, walk

# Session, user, the ids of the user's team programmes and the participant in reach of them, the
# consents with their agencies and users; the session save with its savepoint pair: 8 however
# many consents.
SHARING_QUERIES = 8


@pytest.fixture
def referral(make_referral):
    return make_referral(given_name="Robin", family_name="Example")


def summary(response) -> list[str]:
    body = text(response).split('class="govuk-error-summary"')[1].split("</ul>")[0]
    return [htmllib.unescape(m.strip()) for m in re.findall(r"<li>(?:<a [^>]+>)?([^<]+)", body)]


def consent_data(**overrides):
    data = {
        "alternatives_explained": "A community sentence with unpaid work.",
        "coercion": "legal_pressure",
        "agreed_max_weeks": "26",
        "custodial_weeks_replaced": "30",
        "non_completion_explained": "The court sentences again for the original offence.",
        "right_to_withdraw_explained": "on",
        "signed_by": "Robin Example",
        **date_fields("signed_on", date.today()),
    }
    data.update(overrides)
    return data


def record(client, referral, **overrides):
    return client.post(f"/referrals/{referral.pk}/consent/", consent_data(**overrides))


# Consent to take part ---------------------------------------------------------------------------


def test_coordinator_records_consent_to_take_part(page_as, referral, coordinator):
    client = page_as("coordinator")
    response = record(client, referral)
    assert response.status_code == 302
    consent = ParticipationConsent.objects.get(referral=referral)
    assert (consent.coercion, consent.agreed_max_weeks, consent.custodial_weeks_replaced) == (
        "legal_pressure",
        26,
        30,
    )
    assert consent.right_to_withdraw_explained is True
    assert consent.recorded_by == coordinator and consent.signed_on == date.today()
    html = text(client.get(f"/participants/{referral.participant_id}/"))
    assert "Chosen under legal pressure" in html
    assert "Download the consent form (PDF)" in html


def test_consent_form_offers_the_coercion_labels(page_as, referral):
    html = text(page_as("coordinator").get(f"/referrals/{referral.pk}/consent/"))
    assert "Mandatory: treatment is a condition of the order" in html
    assert "Chosen under informal pressure (family, work)" in html


def test_consent_longer_than_the_custody_it_replaces_is_refused(page_as, referral):
    response = record(page_as("coordinator"), referral, agreed_max_weeks="30",
                      custodial_weeks_replaced="20")  # fmt: skip
    assert response.status_code == 400
    assert summary(response) == [
        "Longest the programme can last, in weeks is longer than the 20 weeks of custody it "
        "replaces"
    ]
    assert not ParticipationConsent.objects.exists()


def test_consent_with_missing_fields_names_each_field(page_as, referral):
    response = record(
        page_as("coordinator"), referral, alternatives_explained="", coercion="",
        right_to_withdraw_explained="", signed_by="",
    )  # fmt: skip
    assert response.status_code == 400
    assert summary(response) == [
        "Enter the other options explained to the participant",
        "Select how much choice the participant has",
        "Enter who signed the consent",
    ]
    response = record(page_as("coordinator"), referral, right_to_withdraw_explained="")
    assert summary(response) == [
        "Confirm that the participant was told they can withdraw their consent"
    ]
    assert not ParticipationConsent.objects.exists()


@pytest.mark.parametrize("username", ["judge", "clinician", "safeguarding", "defence"])
def test_roles_that_may_not_write_legal_cannot_record_consent(page_as, referral, username):
    assert record(page_as(username), referral).status_code == 403
    assert not ParticipationConsent.objects.exists()


def test_outsider_cannot_reach_the_consent_pages(page_as, referral, coordinator):
    assert record(page_as("outsider"), referral).status_code == 404
    assert not ParticipationConsent.objects.exists()
    record(page_as("coordinator"), referral)
    consent = ParticipationConsent.objects.get()
    base = f"/participants/{referral.participant_id}/participation-consents/{consent.pk}"
    client = page_as("outsider")
    assert client.get(f"{base}/pdf/").status_code == 404
    assert client.post(f"{base}/withdraw/", {"how": "Said so"}).status_code == 404
    assert ParticipationConsent.objects.get().withdrawn_at is None


def test_consent_to_take_part_downloads_as_a_pdf(page_as, referral):
    client = page_as("coordinator")
    record(client, referral)
    consent = ParticipationConsent.objects.get()
    url = f"/participants/{referral.participant_id}/participation-consents/{consent.pk}/pdf/"
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content.startswith(b"%PDF")
    assert any("legal" in e.categories for e in AuditEntry.objects.filter(action="read"))
    assert page_as("clinician").get(url).status_code == 403


def test_coordinator_withdraws_consent_to_take_part(page_as, referral):
    client = page_as("coordinator")
    record(client, referral)
    consent = ParticipationConsent.objects.get()
    url = f"/participants/{referral.participant_id}/participation-consents/{consent.pk}/withdraw/"
    refused = client.post(url, {"how": ""})
    assert refused.status_code == 400
    assert summary(refused) == ["Enter how the participant withdrew"]
    assert page_as("judge").post(url, {"how": "Told the court"}).status_code == 403
    assert ParticipationConsent.objects.get().withdrawn_at is None
    client = page_as("coordinator")
    assert client.post(url, {"how": "Told her key worker"}).status_code == 302
    after = ParticipationConsent.objects.get()
    assert after.withdrawn_at is not None and after.withdrawn_how == "Told her key worker"
    html = text(client.get(f"/participants/{referral.participant_id}/"))
    assert "Record consent to take part" in html


# Consents to share ------------------------------------------------------------------------------


def share_data(users, **overrides):
    """A consent the treatment provider records: what it holds (SEC-39)."""
    data = {
        "recipient_role": "judge",
        "recipient_agency": users["judge"].agency_id,
        "categories": ["drug_tests", "treatment_progress"],
        "purposes": ["court_review"],
        **date_fields("starts_at", date.today()),
        **date_fields("expires_at", date.today() + timedelta(days=180)),
        "revocation_statement": "You can withdraw this consent at any time.",
        "revocation_method": "Tell your key worker.",
        "signature_method": "written",
        "signed_by": "Robin Example",
        "representative_authority": "",
        **date_fields("signed_on", date.today()),
    }
    data.update(overrides)
    return data


def test_clinician_records_a_consent_to_share(page_as, referral, users):
    client = page_as("clinician")
    url = f"/participants/{referral.participant_id}/sharing/new/"
    form = text(client.get(url))
    assert "You can change your mind." in form  # the plain-language default
    response = client.post(url, share_data(users))
    assert response.status_code == 302
    consent = ShareConsent.objects.get()
    assert consent.participant_id == referral.participant_id
    assert sorted(consent.categories) == ["drug_tests", "treatment_progress"]
    assert consent.purposes == ["court_review"]
    assert (consent.recipient_role, consent.recipient_agency) == ("judge", users["judge"].agency)
    assert consent.disclosing_agency == users["clinician"].agency
    assert timezone.localtime(consent.expires_at).date() == date.today() + timedelta(days=180)
    listing = text(client.get(f"/participants/{referral.participant_id}/sharing/"))
    assert "Active" in listing and "Drug test results" in listing


def test_consent_to_share_without_recipient_or_categories_names_each_field(
    page_as, referral, users
):
    response = page_as("clinician").post(
        f"/participants/{referral.participant_id}/sharing/new/",
        share_data(users, recipient_role="", recipient_agency="", categories=[], signed_by=""),
    )
    assert response.status_code == 400
    assert summary(response) == [
        "Select the recipient agency",
        "Select the information that may be shared",
        "Enter who signed the consent",
    ]
    assert not ShareConsent.objects.exists()


def test_counselling_notes_need_a_consent_of_their_own(page_as, referral, users):
    response = page_as("clinician").post(
        f"/participants/{referral.participant_id}/sharing/new/",
        share_data(users, categories=["counselling_notes", "clinical"]),
    )
    assert response.status_code == 400
    assert summary(response) == [
        "Information that may be shared counselling notes need a consent of their own"
    ]
    assert not ShareConsent.objects.exists()


@pytest.mark.parametrize("username", ["judge", "prosecutor", "safeguarding", "analyst"])
def test_other_roles_cannot_see_or_record_consents_to_share(page_as, referral, users, username):
    client = page_as(username)
    base = f"/participants/{referral.participant_id}/sharing/"
    # The analyst reaches no participant at all, so gets "not found".
    assert client.get(base).status_code in (403, 404)
    assert client.post(f"{base}new/", share_data(users)).status_code in (403, 404)
    assert not ShareConsent.objects.exists()


def test_outsider_gets_not_found_for_sharing(page_as, referral, users):
    client = page_as("outsider")
    base = f"/participants/{referral.participant_id}/sharing/"
    assert client.get(base).status_code == 404
    assert client.post(f"{base}new/", share_data(users)).status_code == 404
    assert not ShareConsent.objects.exists()


def test_revoking_a_consent_to_share_stops_it_and_lists_it_as_revoked(page_as, referral, users):
    client = page_as("clinician")
    client.post(f"/participants/{referral.participant_id}/sharing/new/", share_data(users))
    consent = ShareConsent.objects.get()
    url = f"/participants/{referral.participant_id}/sharing/{consent.pk}/revoke/"
    refused = client.post(url, {"how": ""})
    assert summary(refused) == ["Enter how the participant revoked the consent"]
    assert page_as("judge").post(url, {"how": "x"}).status_code == 403
    assert page_as("outsider").post(url, {"how": "x"}).status_code == 404
    assert ShareConsent.objects.get().revoked_at is None
    client = page_as("coordinator")
    assert client.post(url, {"how": "Wrote to the team"}).status_code == 302
    after = ShareConsent.objects.get()
    assert after.revoked_at is not None and after.revocation_how == "Wrote to the team"
    listing = text(client.get(f"/participants/{referral.participant_id}/sharing/"))
    assert "Revoked" in listing


def test_expired_consent_is_listed_as_expired(page_as, referral, users, coordinator):
    now = timezone.now()
    share_consent_create(
        acting_user=users["clinician"], participant=referral.participant,
        disclosing_agency=users["clinician"].agency, recipient_role="judge",
        recipient_agency=users["judge"].agency, categories=["drug_tests"],
        purposes=["court_review"], starts_at=now - timedelta(days=30),
        expires_at=now - timedelta(days=1), revocation_statement="s", revocation_method="m",
        signature_method="written", signed_by="Robin",
        signed_on=timezone.localdate(now - timedelta(days=30)),
    )  # fmt: skip
    listing = text(page_as("coordinator").get(f"/participants/{referral.participant_id}/sharing/"))
    assert "Expired" in listing


def test_consent_to_share_downloads_as_a_pdf(page_as, referral, users):
    client = page_as("clinician")
    client.post(f"/participants/{referral.participant_id}/sharing/new/", share_data(users))
    consent = ShareConsent.objects.get()
    url = f"/participants/{referral.participant_id}/sharing/{consent.pk}/pdf/"
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content.startswith(b"%PDF")
    assert page_as("outsider").get(url).status_code == 404
    assert page_as("judge").get(url).status_code == 403


# Household --------------------------------------------------------------------------------------


def test_coordinator_adds_a_child_to_the_household(page_as, referral):
    client = page_as("coordinator")
    url = f"/participants/{referral.participant_id}/household/"
    year = date.today().year - 6
    data = {"first_name": "Mia", "year_of_birth": str(year)}
    response = client.post(
        url, {**data, "lives_with_participant": "on", "relationship": "daughter"}
    )
    assert response.status_code == 302
    child = HouseholdChild.objects.get()
    assert (child.participant_id, child.first_name, child.year_of_birth) == (
        referral.participant_id,
        "Mia",
        year,
    )
    assert child.lives_with_participant is True and child.relationship == "daughter"
    assert any("household" in e.categories for e in AuditEntry.objects.filter(action="create"))
    assert "Mia, born" in text(client.get(url))


def test_child_with_bad_details_names_each_field(page_as, referral):
    url = f"/participants/{referral.participant_id}/household/"
    response = page_as("coordinator").post(url, {"first_name": "", "year_of_birth": "soon"})
    assert response.status_code == 400
    assert summary(response) == [
        "Enter the child's first name",
        "Year of birth must be a year, like 2016",
    ]
    future = str(date.today().year + 1)
    response = page_as("coordinator").post(url, {"first_name": "Mia", "year_of_birth": future})
    assert summary(response) == ["Year of birth is in the future"]
    assert not HouseholdChild.objects.exists()


def test_household_list_is_shown_only_to_roles_that_may_read_it(page_as, referral):
    url = f"/participants/{referral.participant_id}/household/"
    page_as("coordinator").post(url, {"first_name": "Mia", "year_of_birth": "2019"})
    assert "Mia, born 2019" in text(page_as("clinician").get(url))
    assert page_as("clinician").post(url, {"first_name": "Leo", "year_of_birth": "2020"}
                                     ).status_code == 403  # fmt: skip
    for username in ("judge", "prosecutor", "safeguarding"):
        assert page_as(username).get(url).status_code == 403
    assert page_as("outsider").get(url).status_code == 404
    assert list(HouseholdChild.objects.values_list("first_name", flat=True)) == ["Mia"]


def test_consent_to_take_part_is_not_offered_once_the_episode_has_started(
    page_as, referral, coordinator
):
    walk(referral, coordinator, "episode")
    before = ParticipationConsent.objects.count()
    client = page_as("coordinator")
    response = record(client, referral)
    assert response.status_code == 409
    assert "recorded before the episode starts" in htmllib.unescape(text(response))
    assert ParticipationConsent.objects.count() == before
    page = text(client.get(f"/participants/{referral.participant_id}/"))
    assert f'href="/referrals/{referral.pk}/consent/"' not in page


def test_sharing_page_query_count_does_not_grow_with_the_consents(
    page_as, referral, users, django_assert_num_queries
):
    client = page_as("clinician")
    url = f"/participants/{referral.participant_id}/sharing/"
    client.post(f"{url}new/", share_data(users))
    client.get(url)  # warm the session
    with django_assert_num_queries(SHARING_QUERIES):
        client.get(url)
    for _ in range(4):
        client.post(f"{url}new/", share_data(users))
    with django_assert_num_queries(SHARING_QUERIES):
        html = text(client.get(url))
    assert html.count('id="share-consent-') == 5


def test_sec_13_the_household_shown_to_the_treatment_provider_is_a_disclosure(
    page_as, referral, users
):
    from turnpoint.sharing.models import Disclosure

    url = f"/participants/{referral.participant_id}/household/"
    page_as("coordinator").post(url, {"first_name": "Mia", "year_of_birth": "2019"})
    page_as("coordinator").get(url)
    assert not Disclosure.objects.exists()  # the programme team holds the household record
    assert "Mia, born 2019" in text(page_as("clinician").get(url))
    [disclosure] = Disclosure.objects.all()
    assert disclosure.recipient_user == users["clinician"]
    assert (disclosure.participant_id, disclosure.categories) == (
        referral.participant_id,
        ["household"],
    )
