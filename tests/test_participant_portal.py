"""The participant portal (docs/portal.md): a participant sees who has seen their record
(SEC-14), downloads it, and withdraws a consent to share (SEC-08), through their own account,
reaching no one else's record and nothing of the staff service (SEC-02)."""

import json
import time
from datetime import timedelta
from io import BytesIO

import pytest
from django.conf import settings
from django.contrib.auth.hashers import identify_hasher
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader
from test_share_consent import consent_values

from turnpoint.accounts import totp
from turnpoint.accounts.models import Role, TotpDevice, api_token_create
from turnpoint.errors import InvalidInput
from turnpoint.portal.models import PortalAccount
from turnpoint.portal.services import (
    SETUP_REFUSED,
    portal_access_close,
    portal_set_up,
    portal_setup_code_issue,
)
from turnpoint.portal.views import WITHDRAWN_IN_PORTAL
from turnpoint.sharing.categories import Category
from turnpoint.sharing.consents import ShareConsent, share_consent_create
from turnpoint.sharing.documents import notice_for
from turnpoint.sharing.models import AuditEntry, Disclosure
from turnpoint.sharing.reach import decide_for

PASSWORD = "a long and memorable sentence"


def _form(reference, code, password=PASSWORD, again=PASSWORD) -> dict:
    return {"reference": reference, "code": code, "password": password, "password_again": again}


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)  # tests/conftest.py: also past the security code
    return client


def _judge_reads(users, participant):
    response = _signed_in(users["judge"]).get(f"/participants/{participant.pk}/")
    assert response.status_code == 200


@pytest.fixture
def robin(make_referral):
    return make_referral(given_name="Robin", family_name="Example").participant


@pytest.fixture
def robins_account(robin, users):
    """Robin's portal account with a password chosen through the set-up code."""
    account, code = portal_setup_code_issue(acting_user=users["coordinator"], participant=robin)
    portal_set_up(reference=robin.reference, code=code, password=PASSWORD, password_again=PASSWORD)
    account.refresh_from_db()
    return account


@pytest.fixture
def portal(robins_account):
    return _signed_in(robins_account.user)


# Opening an account and signing in -------------------------------------------------------------


def test_sec_14_a_participant_sets_up_a_password_with_the_code_staff_issue_and_signs_in_to_their_record(  # noqa: E501
    users, robin
):
    """Through the pages, as people do it: the case manager issues a code; the participant
    chooses a password with it; signing in with their reference (typed in lower case) asks for
    the second factor like any account; then the address of the service is their portal."""
    staff = _signed_in(users["casemanager"])
    response = staff.post(f"/participants/{robin.pk}/portal-access/", {"action": "issue"})
    assert response.status_code == 200
    code = response.context["code"]
    assert code in response.content.decode()
    assert "no-store" in response.headers["Cache-Control"]
    account = PortalAccount.objects.get(participant=robin)
    assert account.user.role == Role.PARTICIPANT and account.user.username == robin.reference
    assert code not in account.setup_code_hash  # kept only as a hash
    assert identify_hasher(account.setup_code_hash).algorithm == "argon2"

    visitor = Client()
    response = visitor.post(
        "/portal/set-up/",
        {"reference": robin.reference.lower(), "code": code.upper(), "password": PASSWORD,
         "password_again": PASSWORD},
    )  # fmt: skip
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in/"

    response = visitor.post("/sign-in/", {"username": "tp-" + robin.reference[3:],
                                          "password": PASSWORD})  # fmt: skip
    assert response.status_code == 302
    assert visitor.get("/portal/").headers["Location"].startswith("/security-code/set-up/")
    enrol = visitor.get("/security-code/set-up/")
    assert enrol.status_code == 200
    device = TotpDevice.objects.get(user=account.user)
    confirm = visitor.post(
        "/security-code/set-up/",
        {"code": totp.totp(totp.secret_bytes(device.secret), at=time.time())},
    )
    assert confirm.status_code == 200  # the recovery codes, once
    assert visitor.get("/").headers["Location"] == "/portal/"
    home = visitor.get("/portal/")
    assert home.status_code == 200
    assert "Robin Example" in home.content.decode() and robin.reference in home.content.decode()


def test_a_set_up_code_works_once_and_a_new_one_replaces_it(users, robin):
    coordinator = users["coordinator"]
    _, first = portal_setup_code_issue(acting_user=coordinator, participant=robin)
    _, second = portal_setup_code_issue(acting_user=coordinator, participant=robin)
    with pytest.raises(InvalidInput) as refused:
        portal_set_up(reference=robin.reference, code=first, password=PASSWORD,
                      password_again=PASSWORD)  # fmt: skip
    assert refused.value.problems[0].reason == SETUP_REFUSED
    portal_set_up(reference=robin.reference, code=second, password=PASSWORD,
                  password_again=PASSWORD)  # fmt: skip
    with pytest.raises(InvalidInput):
        portal_set_up(reference=robin.reference, code=second, password="another long sentence",
                      password_again="another long sentence")  # fmt: skip
    user = PortalAccount.objects.get(participant=robin).user
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_wrong_or_expired_code_is_refused_with_one_message_and_changes_nothing(users, robin):
    account, code = portal_setup_code_issue(acting_user=users["coordinator"], participant=robin)
    before = account.user.password
    client = Client()
    wrong = client.post("/portal/set-up/", _form(robin.reference, "abcd-efgh-jkmn"))
    unknown = client.post("/portal/set-up/", _form("TP-999999", code))
    assert wrong.status_code == unknown.status_code == 400
    assert SETUP_REFUSED in wrong.content.decode() and SETUP_REFUSED in unknown.content.decode()
    account.user.refresh_from_db()
    assert account.user.password == before and not account.user.has_usable_password()
    failed = AuditEntry.objects.filter(action="sign_in_failed", detail__via="portal set-up")
    assert failed.count() == 2

    account.setup_expires_at = timezone.now() - timedelta(seconds=1)
    account.save(update_fields=["setup_expires_at"])
    with pytest.raises(InvalidInput) as expired:
        portal_set_up(reference=robin.reference, code=code, password=PASSWORD,
                      password_again=PASSWORD)  # fmt: skip
    assert expired.value.problems[0].reason == SETUP_REFUSED
    account.user.refresh_from_db()
    assert not account.user.has_usable_password()


def test_wrong_codes_lock_the_reference_like_wrong_passwords(users, robin):
    """SEC-26: after the fifth wrong code the right one is refused too, within the window."""
    _, code = portal_setup_code_issue(acting_user=users["coordinator"], participant=robin)
    for _ in range(settings.SIGN_IN_MAX_FAILURES):
        with pytest.raises(InvalidInput):
            portal_set_up(reference=robin.reference, code="abcd-efgh-jkmn", password=PASSWORD,
                          password_again=PASSWORD)  # fmt: skip
    with pytest.raises(InvalidInput) as locked:
        portal_set_up(reference=robin.reference, code=code, password=PASSWORD,
                      password_again=PASSWORD)  # fmt: skip
    assert locked.value.problems[0].reason == SETUP_REFUSED
    assert not PortalAccount.objects.get(participant=robin).user.has_usable_password()


def test_a_weak_or_mismatched_password_names_its_field_and_keeps_the_code(users, robin):
    _, code = portal_setup_code_issue(acting_user=users["coordinator"], participant=robin)
    client = Client()
    short = client.post("/portal/set-up/", _form(robin.reference, code, "short", "short"))
    assert short.status_code == 400
    assert ("password", "This password is too short. It must contain at least 12 characters.") in (
        short.context["errors"]
    )
    mismatched = client.post("/portal/set-up/", _form(robin.reference, code, PASSWORD, "other"))
    assert mismatched.status_code == 400
    assert [f for f, _ in mismatched.context["errors"]] == ["password_again"]
    # The code still works.
    portal_set_up(reference=robin.reference, code=code, password=PASSWORD,
                  password_again=PASSWORD)  # fmt: skip


def test_closing_portal_access_signs_the_participant_out_at_once(users, robin, robins_account):
    portal = _signed_in(robins_account.user)
    assert portal.get("/portal/").status_code == 200
    staff = _signed_in(users["coordinator"])
    response = staff.post(f"/participants/{robin.pk}/portal-access/", {"action": "close"})
    assert response.status_code == 302
    assert portal.get("/portal/").headers["Location"].startswith("/sign-in/")
    assert not Client().login(username=robin.reference, password=PASSWORD)
    with pytest.raises(InvalidInput, match="not open"):
        portal_access_close(acting_user=users["coordinator"], participant=robin)
    actions = AuditEntry.objects.filter(object_type="portalaccount").values_list(
        "detail", flat=True
    )
    assert {"portal": "closed"} in list(actions)


# What the participant sees ----------------------------------------------------------------------


def test_sec_14_the_portal_lists_who_has_seen_this_participants_record_and_no_one_elses(
    users, robin, make_referral, portal, robins_account
):
    alex = make_referral(given_name="Alex", family_name="Other").participant
    _judge_reads(users, robin)
    _signed_in(users["defence"]).get(f"/participants/{alex.pk}/")
    response = portal.get("/portal/who-has-seen-my-record/")
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(r.recipient, r.agency) for r in rows] == [("Ruth Adeyemi", "Magistrates' court")]
    assert "Asha Patel" not in response.content.decode()  # Alex's reader
    audit = AuditEntry.objects.filter(action="read", detail__has_key="accounting_of_disclosures")
    entry = audit.order_by("-id").first()
    assert entry.user == robins_account.user and entry.role == Role.PARTICIPANT
    assert entry.participant_ids == [robin.pk] and entry.purpose == ""

    pdf = portal.get("/portal/who-has-seen-my-record/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = _pdf_text(pdf.content)
    assert "Ruth Adeyemi" in text and "Asha Patel" not in text
    assert " ".join(notice_for(make_referral_programme(robin)).split()) in text

    bad = portal.get("/portal/who-has-seen-my-record/", {"since": "last year"})
    assert bad.status_code == 400 and "The start date must be a date" in bad.content.decode()


def make_referral_programme(participant):
    return participant.referrals.get().programme


def test_sec_14_the_participants_own_download_is_audited_as_theirs_and_discloses_nothing(
    users, robin, portal, robins_account
):
    _judge_reads(users, robin)
    disclosures = Disclosure.objects.count()
    response = portal.get("/portal/my-record/json/")
    assert response.status_code == 200
    record = json.loads(response.content)
    assert record["notice"] == notice_for(make_referral_programme(robin))
    assert "Ruth Adeyemi" in json.dumps(record["sections"])
    assert Disclosure.objects.count() == disclosures  # their own record goes to no agency
    export = AuditEntry.objects.get(action="export")
    assert export.user == robins_account.user and export.detail["own_record"] is True
    pdf = portal.get("/portal/my-record/pdf/")
    assert pdf.status_code == 200 and "Your own record" in _pdf_text(pdf.content)
    assert portal.get("/portal/my-record/csv/").status_code == 404


def test_sec_08_a_consent_withdrawn_in_the_portal_stops_the_judges_next_read(
    users, robin, portal, robins_account
):
    consent = share_consent_create(acting_user=users["clinician"], **consent_values(robin, users))
    assert decide_for(users["judge"], Category.CLINICAL, robin).allowed
    listed = portal.get("/portal/sharing/")
    assert listed.status_code == 200 and f"/portal/sharing/{consent.pk}/withdraw/" in (
        listed.content.decode()
    )
    assert portal.get(f"/portal/sharing/{consent.pk}/withdraw/").status_code == 200
    copy = portal.get(f"/portal/sharing/{consent.pk}/pdf/")
    assert copy.status_code == 200 and copy["Content-Type"] == "application/pdf"
    text = _pdf_text(copy.content)
    assert "Robin Example" in text and "Tell your key worker" in text
    assert ShareConsent.objects.get(pk=consent.pk).revoked_at is None  # a GET changes nothing

    response = portal.post(f"/portal/sharing/{consent.pk}/withdraw/")
    assert response.status_code == 302
    assert not decide_for(users["judge"], Category.CLINICAL, robin).allowed
    stored = ShareConsent.objects.get(pk=consent.pk)
    assert stored.revoked_by == robins_account.user
    assert stored.revocation_how == WITHDRAWN_IN_PORTAL
    again = portal.post(f"/portal/sharing/{consent.pk}/withdraw/")
    assert again.status_code == 400 and "nothing to withdraw" in again.content.decode()


def test_sec_02_a_participant_reaches_only_their_own_record(
    users, robin, make_referral, portal, robins_account
):
    """No identifier in a portal address names a participant; a consent of someone else is not
    found; the staff pages, their own included, are refused; the API signs them in nowhere."""
    alex = make_referral(given_name="Alex", family_name="Other").participant
    theirs = share_consent_create(acting_user=users["clinician"], **consent_values(alex, users))
    assert portal.get(f"/portal/sharing/{theirs.pk}/withdraw/").status_code == 404
    assert portal.get(f"/portal/sharing/{theirs.pk}/pdf/").status_code == 404
    assert portal.post(f"/portal/sharing/{theirs.pk}/withdraw/").status_code == 404
    assert ShareConsent.objects.get(pk=theirs.pk).revoked_at is None
    for path in (f"/participants/{robin.pk}/", f"/participants/{alex.pk}/",
                 f"/participants/{robin.pk}/disclosures/", "/simulator/", "/audit/"):  # fmt: skip
        assert portal.get(path).status_code == 403, path
    with pytest.raises(ValueError, match="portal account"):
        api_token_create(user=robins_account.user)
    # Staff are refused the portal: it serves only the signed-in participant's own record.
    assert _signed_in(users["coordinator"]).get("/portal/").status_code == 403


def test_only_the_roles_that_record_identity_open_portal_access(users, robin):
    for username, status in (("casemanager", 200), ("probation", 200), ("clinician", 403),
                             ("judge", 403), ("analyst", 404)):  # fmt: skip
        response = _signed_in(users[username]).get(f"/participants/{robin.pk}/portal-access/")
        assert response.status_code == status, username
    assert not PortalAccount.objects.exists()
