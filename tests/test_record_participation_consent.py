"""Informed consent to take part (R12) and the printable forms (security.md SEC-06, SEC-12)."""

import io
from datetime import date, timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from turnpoint.accounts.models import Role
from turnpoint.errors import Conflict, InvalidInput
from turnpoint.sharing.consents import share_consent_create
from turnpoint.sharing.documents import participation_consent_pdf, share_consent_pdf
from turnpoint.sharing.models import AuditEntry
from turnpoint.sharing.participation import (
    ParticipationConsent,
    participation_consent_current,
    participation_consent_record,
    participation_consent_withdraw,
)


def pdf_text(data: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())


def values(**overrides):
    base = dict(
        alternatives_explained="A short custodial sentence, or a fine with no treatment.",
        coercion="legal_pressure",
        agreed_max_weeks=30,
        custodial_weeks_replaced=36,
        non_completion_explained="The case goes back to the court, which decides as usual.",
        right_to_withdraw_explained=True,
        signed_by="Robin Example",
        signed_on=date.today(),
    )
    base.update(overrides)
    return base


@pytest.mark.django_db
def test_consent_longer_than_the_custody_it_replaces_is_refused(make_referral, coordinator):
    referral = make_referral()  # Ghent: may not outlast the custody it replaces
    with pytest.raises(InvalidInput) as excinfo:
        participation_consent_record(
            acting_user=coordinator, referral=referral,
            **values(agreed_max_weeks=30, custodial_weeks_replaced=26),
        )  # fmt: skip
    assert [(p.field, p.reason) for p in excinfo.value.problems] == [
        ("agreed_max_weeks", "is longer than the 26 weeks of custody it replaces")
    ]
    assert not ParticipationConsent.objects.exists()


@pytest.mark.django_db
def test_missing_elements_are_each_named(make_referral, coordinator):
    referral = make_referral()
    with pytest.raises(InvalidInput) as excinfo:
        participation_consent_record(
            acting_user=coordinator, referral=referral,
            **values(alternatives_explained=" ", coercion="forced", agreed_max_weeks=99,
                     custodial_weeks_replaced=None, right_to_withdraw_explained=False,
                     signed_on=date.today() + timedelta(days=2)),
        )  # fmt: skip
    fields = [p.field for p in excinfo.value.problems]
    assert fields == [
        "alternatives_explained", "coercion", "right_to_withdraw_explained", "signed_on",
        "agreed_max_weeks", "custodial_weeks_replaced",
    ]  # fmt: skip


@pytest.mark.django_db
def test_recorded_consent_is_audited_and_can_be_withdrawn(make_referral, coordinator):
    referral = make_referral()
    consent = participation_consent_record(acting_user=coordinator, referral=referral, **values())
    assert participation_consent_current(referral) == consent
    assert AuditEntry.objects.latest("id").object_type == "participationconsent"
    participation_consent_withdraw(consent, acting_user=coordinator, how="told the key worker")
    assert participation_consent_current(referral) is None
    assert ParticipationConsent.objects.get(pk=consent.pk).withdrawn_how == "told the key worker"


@pytest.mark.django_db
def test_sec_12_participation_form_carries_every_element_and_the_notice(make_referral, coordinator):
    consent = participation_consent_record(
        acting_user=coordinator, referral=make_referral(), **values()
    )
    text = pdf_text(participation_consent_pdf(consent))
    for expected in [
        "Consent to take part",
        "Robin Example",
        "Ghent drug treatment court",
        "at most 30 weeks",
        "36 weeks",
        "A short custodial sentence, or a fine with no treatment.",
        "Chosen under legal pressure",
        "The case goes back to the court",
        "You can withdraw your consent at any time",
        "What this document discloses",
        "Do not pass it on to anyone else",
    ]:
        assert expected in text, expected


@pytest.mark.django_db
def test_sec_06_share_consent_form_shows_every_required_element(make_referral, users, programmes):
    us_court = programmes["us-adult-drug-court"]
    users["coordinator"].programmes.add(us_court)
    users["clinician"].programmes.add(us_court)
    referral = make_referral(programme=us_court)
    consent = share_consent_create(
        acting_user=users["clinician"], participant=referral.participant,
        disclosing_agency=users["clinician"].agency, recipient_role=Role.JUDGE,
        recipient_agency=users["judge"].agency, categories=["drug_tests", "clinical"],
        purposes=["court_review"], expires_at=timezone.now() + timedelta(days=180),
        revocation_statement="You may revoke this consent at any time except as 2.35 allows.",
        revocation_method="In writing to the programme coordinator.",
        signature_method="written", signed_by="Robin Example",
        representative_authority="", signed_on=date.today(),
        revocable_after_event="episode_exit",  # 42 CFR 2.35(c), SEC-09
    )  # fmt: skip
    text = pdf_text(share_consent_pdf(consent))
    for expected in [
        "You cannot withdraw this consent until your time in the programme ends",
        "Robin Example",  # participant and signer
        "Community drug service",  # who may disclose
        "people in the role judge",
        "Magistrates' court",
        "Drug test results; Clinical treatment",  # how much and what kind
        "Court review",  # purpose
        "until",  # expiry
        "You may revoke this consent at any time",
        "In writing to the programme coordinator",
        "(Signed on paper)",
        "42 CFR part 2 prohibits unauthorized use or disclosure of these records.",
    ]:
        assert expected in text, expected


@pytest.mark.django_db
def test_the_service_refuses_a_second_current_consent_and_one_after_the_start(
    make_referral, coordinator
):
    # The rule lives in the service, so the page, the API and any other caller share it.
    referral = make_referral()
    participation_consent_record(acting_user=coordinator, referral=referral, **values())
    with pytest.raises(Conflict, match="already has a consent to take part"):
        participation_consent_record(acting_user=coordinator, referral=referral, **values())
    assert ParticipationConsent.objects.filter(referral=referral).count() == 1

    started = make_referral()
    started.state = "episode"
    started.save(update_fields=["state"])
    with pytest.raises(Conflict, match="recorded before the episode starts"):
        participation_consent_record(acting_user=coordinator, referral=started, **values())
    assert not ParticipationConsent.objects.filter(referral=started).exists()
