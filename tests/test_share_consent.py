"""Consent to share (security.md SEC-06, SEC-07, SEC-08, SEC-10, SEC-11; R18)."""

from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from turnpoint.accounts.models import Agency, Role
from turnpoint.errors import InvalidInput
from turnpoint.sharing.categories import Category, Purpose
from turnpoint.sharing.consents import ShareConsent, share_consent_create, share_consent_revoke
from turnpoint.sharing.reach import decide_for


@pytest.fixture
def participant(make_referral):
    return make_referral().participant


def consent_values(participant, users, **overrides):
    values = dict(
        participant=participant,
        disclosing_agency=users["clinician"].agency,
        recipient_role=Role.JUDGE,
        recipient_agency=users["judge"].agency,
        categories=[Category.CLINICAL],
        purposes=[Purpose.COURT_REVIEW],
        starts_at=timezone.now() - timedelta(minutes=1),
        expires_at=timezone.now() + timedelta(days=90),
        revocation_statement="You can withdraw this consent at any time.",
        revocation_method="Tell your key worker or write to the programme team.",
        signature_method="written",
        signed_by="Robin Example",
        signed_on=date.today(),
    )
    values.update(overrides)
    if "signed_on" not in overrides:  # signed on the day it starts, or today if it starts later
        values["signed_on"] = min(timezone.localdate(), timezone.localdate(values["starts_at"]))
    return values


@pytest.mark.django_db
def test_sec_06_consent_without_required_elements_names_each_missing_field(users, participant):
    with pytest.raises(InvalidInput) as excinfo:
        share_consent_create(acting_user=users["clinician"], participant=participant,
                             categories=[], purposes=[])  # fmt: skip
    fields = {p.field for p in excinfo.value.problems}
    assert fields >= {"recipient_agency", "categories", "purposes", "expires_at",
                      "revocation_statement", "revocation_method", "signature_method",
                      "signed_by", "signed_on"}  # fmt: skip
    assert not ShareConsent.objects.exists()


@pytest.mark.django_db
def test_sec_11_counselling_notes_need_a_consent_of_their_own(users, participant):
    mixed = consent_values(participant, users,
                           categories=[Category.COUNSELLING_NOTES, Category.CLINICAL])  # fmt: skip
    with pytest.raises(InvalidInput, match="counselling notes need a consent of their own"):
        share_consent_create(acting_user=users["clinician"], **mixed)
    alone = consent_values(participant, users, categories=[Category.COUNSELLING_NOTES])
    share_consent_create(acting_user=users["clinician"], **alone)
    assert decide_for(users["judge"], Category.COUNSELLING_NOTES, participant).allowed
    assert not decide_for(users["judge"], Category.CLINICAL, participant).allowed


@pytest.mark.django_db
def test_consent_opens_clinical_information_to_the_named_court_role(users, participant):
    judge = users["judge"]
    assert not decide_for(judge, Category.CLINICAL, participant).allowed
    consent = share_consent_create(acting_user=users["clinician"],
                                   **consent_values(participant, users))  # fmt: skip
    decision = decide_for(judge, Category.CLINICAL, participant)
    assert decision.allowed and f"consent {consent.pk}" in decision.reason
    # The prosecutor is not named, and mental health is not covered.
    assert not decide_for(users["prosecutor"], Category.CLINICAL, participant).allowed
    assert not decide_for(judge, Category.MENTAL_HEALTH, participant).allowed


@pytest.mark.django_db
def test_sec_08_revocation_takes_effect_on_the_next_decision(users, participant):
    consent = share_consent_create(acting_user=users["clinician"],
                                   **consent_values(participant, users))  # fmt: skip
    assert decide_for(users["judge"], Category.CLINICAL, participant).allowed
    share_consent_revoke(consent, acting_user=users["coordinator"], how="said so at a session")
    assert not decide_for(users["judge"], Category.CLINICAL, participant).allowed
    stored = ShareConsent.objects.get(pk=consent.pk)
    assert stored.revoked_by == users["coordinator"] and stored.revocation_how
    with pytest.raises(InvalidInput, match="already revoked"):
        share_consent_revoke(stored, acting_user=users["coordinator"], how="again")


@pytest.mark.django_db
def test_sec_10_expired_consent_grants_nothing(users, participant):
    expires = timezone.now() + timedelta(days=30)
    share_consent_create(acting_user=users["clinician"],
                         **consent_values(participant, users, expires_at=expires))  # fmt: skip
    with time_machine.travel(expires - timedelta(seconds=1), tick=False):
        assert decide_for(users["judge"], Category.CLINICAL, participant).allowed
    with time_machine.travel(expires, tick=False):
        assert not decide_for(users["judge"], Category.CLINICAL, participant).allowed


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    category=st.sampled_from([Category.CLINICAL, Category.MENTAL_HEALTH]),
    consent_category=st.sampled_from([Category.CLINICAL, Category.MENTAL_HEALTH]),
    role=st.sampled_from([Role.JUDGE, Role.PROSECUTOR, "", Role.DEFENCE]),
    same_agency=st.booleans(),
    purpose=st.sampled_from([Purpose.COURT_REVIEW, Purpose.EVALUATION]),
    start_offset=st.integers(-5, 5),
    expiry_offset=st.integers(1, 10),
)
def test_sec_07_consent_must_match_all_four_axes(
    users,
    participant,
    category,
    consent_category,
    role,
    same_agency,
    purpose,
    start_offset,
    expiry_offset,
):
    ShareConsent.objects.all().delete()
    judge = users["judge"]
    other_agency, _ = Agency.objects.get_or_create(name="Elsewhere", defaults={"kind": "court"})
    now = timezone.now()
    starts = now + timedelta(days=start_offset)
    share_consent_create(
        acting_user=users["clinician"],
        **consent_values(
            participant, users, categories=[consent_category], purposes=[purpose],
            recipient_role=role, recipient_agency=judge.agency if same_agency else other_agency,
            starts_at=starts, expires_at=starts + timedelta(days=expiry_offset),
        ),
    )  # fmt: skip
    expected = (
        category == consent_category
        and role in (Role.JUDGE, "")
        and same_agency
        and purpose == Purpose.COURT_REVIEW  # the judge's purpose
        and starts <= now < starts + timedelta(days=expiry_offset)
    )
    assert decide_for(judge, category, participant).allowed == expected
