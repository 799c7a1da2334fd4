"""SEC-39 only the holder opens its information: a consent to share is recorded by a user of the
agency that holds every category it opens for the participant (the treatment provider for
clinical and treatment categories and drug tests, the programme team for the rest), that agency
is the disclosing party, and a consent names the agency that receives (42 CFR 2.31(a);
Caldicott 1 and 7)."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from turnpoint.accounts.models import Agency, AgencyKind, Role, User
from turnpoint.errors import InvalidInput
from turnpoint.sharing.categories import Category, Purpose
from turnpoint.sharing.consents import ShareConsent, share_consent_create
from turnpoint.sharing.models import AuditEntry
from turnpoint.sharing.reach import decide_for
from turnpoint.sharing.rules import holding_kinds
from turnpoint.sharing.synth import Court, synth_openings

C = Category


def values(world, users, **overrides) -> dict:
    data = dict(
        participant=world["participant"],
        recipient_role=Role.JUDGE,
        recipient_agency=users["judge"].agency,
        categories=[C.DRUG_TESTS],
        purposes=[Purpose.COURT_REVIEW],
        starts_at=timezone.now() - timedelta(minutes=1),
        expires_at=timezone.now() + timedelta(days=90),
        revocation_statement="You can withdraw this consent at any time.",
        revocation_method="Tell your key worker.",
        signature_method="written",
        signed_by="Robinette Quarrington",
        signed_on=date.today(),
    )
    data.update(overrides)
    return data


def problems_of(excinfo) -> dict[str, str]:
    return {p.field: p.reason for p in excinfo.value.problems}


def refused(user, **data) -> dict[str, str]:
    """The problems of a consent `user` may not record; asserts nothing was stored or audited."""
    consents, entries = ShareConsent.objects.count(), AuditEntry.objects.count()
    with pytest.raises(InvalidInput) as excinfo:
        share_consent_create(acting_user=user, **data)
    assert ShareConsent.objects.count() == consents
    assert AuditEntry.objects.count() == entries
    return problems_of(excinfo)


@pytest.mark.django_db
def test_sec_39_only_the_holding_agency_records_a_consent_to_its_categories(world, users):
    judge = users["judge"]
    # The programme team does not hold drug test results: its coordinator cannot open them.
    problems = refused(users["coordinator"], **values(world, users))
    assert problems["categories"] == (
        "'Drug test results' is held by the treatment provider, not by Programme team: a user "
        "there records the consent to share it"
    )
    assert not decide_for(judge, C.DRUG_TESTS, world["participant"]).allowed
    # Nor can the treatment provider open what the programme team holds.
    problems = refused(users["clinician"], **values(world, users, categories=[C.ATTENDANCE]))
    assert problems["categories"].startswith(
        "'Attendance and contacts' is held by the programme team (coordination or probation)"
    )
    # One consent mixing both holders' categories is refused whoever records it.
    mixed = values(world, users, categories=[C.ATTENDANCE, C.DRUG_TESTS])
    assert "categories" in refused(users["clinician"], **mixed)
    assert "categories" in refused(users["coordinator"], **mixed)
    # Each holder records its own, and is the disclosing party.
    tests = share_consent_create(acting_user=users["clinician"], **values(world, users))
    attendance = share_consent_create(
        acting_user=users["probation"], **values(world, users, categories=[C.ATTENDANCE])
    )
    assert tests.disclosing_agency == users["clinician"].agency
    assert attendance.disclosing_agency == users["probation"].agency
    assert decide_for(judge, C.DRUG_TESTS, world["participant"]).allowed
    assert decide_for(judge, C.ATTENDANCE, world["participant"]).allowed


@pytest.mark.django_db
def test_sec_39_staff_cannot_name_another_agency_as_the_disclosing_party(world, users):
    clinician = users["clinician"]
    problems = refused(
        users["coordinator"],
        **values(world, users, disclosing_agency=clinician.agency, categories=[C.ATTENDANCE]),
    )
    assert problems == {
        "disclosing_agency": "must be your own agency, Programme team: staff cannot name another "
        "agency as the one that shares the information; a user of that agency records its "
        "consents"
    }
    # A user without an agency holds nothing, so records nothing.
    nowhere = User.objects.create(username="no-agency", role=Role.CLINICIAN)
    nowhere.programmes.add(world["programme"])
    assert "disclosing_agency" in refused(nowhere, **values(world, users))


@pytest.mark.django_db
def test_sec_39_the_holder_records_only_for_participants_it_holds_information_on(
    world, users, other_programme
):
    """A treatment provider that is not in the participant's programme holds nothing of theirs."""
    elsewhere = Agency.objects.create(name="Another drug service", kind=AgencyKind.TREATMENT)
    stranger = User.objects.create(username="other-clinician", role=Role.CLINICIAN,
                                   agency=elsewhere)  # fmt: skip
    stranger.programmes.add(other_programme)
    problems = refused(stranger, **values(world, users))
    assert problems["participant"].startswith("is not in a programme of your team")


@pytest.mark.django_db
def test_sec_39_a_consent_names_the_agency_that_receives(world, users):
    clinician, judge = users["clinician"], users["judge"]
    # A role alone would reach every judge of every court.
    problems = refused(clinician, **values(world, users, recipient_agency=None))
    assert problems["recipient_agency"].startswith(
        "is required: name the agency that receives the information"
    )
    assert "never opens to every court or every judge" in problems["recipient_agency"]
    # A named person must work at the named agency.
    problems = refused(clinician, **values(world, users, recipient_role="",
                                           recipient_user=users["prosecutor"]))  # fmt: skip
    assert problems == {"recipient_user": "must work at the recipient agency"}
    # A consent stored without an agency (before SEC-39) names no one and opens nothing.
    share = share_consent_create(acting_user=clinician, **values(world, users))
    assert decide_for(judge, C.DRUG_TESTS, world["participant"]).allowed
    ShareConsent.objects.filter(pk=share.pk).update(recipient_agency=None)
    assert not decide_for(judge, C.DRUG_TESTS, world["participant"]).allowed


@pytest.mark.django_db
def test_sec_39_the_form_asks_only_for_what_the_users_agency_holds(world, users, page_as):
    url = f"/participants/{world['participant'].pk}/sharing/new/"
    coordinator_form = page_as("coordinator").get(url).content.decode()
    assert 'value="attendance"' in coordinator_form
    assert 'value="drug_tests"' not in coordinator_form
    assert 'name="disclosing_agency"' not in coordinator_form
    assert "Your agency, Programme team." in coordinator_form
    clinician_form = page_as("clinician").get(url).content.decode()
    assert 'value="drug_tests"' in clinician_form and 'value="attendance"' not in clinician_form
    posted = {
        "recipient_agency": users["judge"].agency_id, "recipient_role": "judge",
        "categories": ["drug_tests"], "purposes": ["court_review"],
        "starts_at-day": date.today().day, "starts_at-month": date.today().month,
        "starts_at-year": date.today().year, "expires_at-day": date.today().day,
        "expires_at-month": date.today().month, "expires_at-year": date.today().year + 1,
        "revocation_statement": "You can withdraw it.", "revocation_method": "Tell us.",
        "signature_method": "written", "signed_by": "Robinette Quarrington",
        "signed_on-day": date.today().day, "signed_on-month": date.today().month,
        "signed_on-year": date.today().year,
        # Named on a forged form: ignored, the agency that shares is the user's own.
        "disclosing_agency": users["coordinator"].agency_id,
    }  # fmt: skip
    response = page_as("coordinator").post(url, posted)
    assert response.status_code == 400
    assert "your agency records consents only to share what it holds" in response.content.decode()
    assert not ShareConsent.objects.exists()
    no_agency = page_as("clinician").post(url, {**posted, "recipient_agency": ""})
    assert no_agency.status_code == 400 and "Select the recipient agency" in (
        no_agency.content.decode()
    )
    assert page_as("clinician").post(url, posted).status_code == 302
    consent = ShareConsent.objects.get()
    assert consent.disclosing_agency == users["clinician"].agency
    assert consent.created_by == users["clinician"]


@pytest.mark.django_db
def test_sec_39_the_demo_records_each_consent_by_its_holder(world, users):
    court = Court(programme_team=users["coordinator"], treatment_provider=users["clinician"],
                  recipient_agency=users["judge"].agency, recipient_role=Role.JUDGE,
                  name="Magistrates' court")  # fmt: skip
    made = synth_openings([world["participant"]], court, without_consent_every=2)
    assert made == {"consents": 1, "court_orders": 1}
    consents = list(ShareConsent.objects.select_related("created_by__agency", "disclosing_agency"))
    assert sorted(tuple(c.categories) for c in consents) == [
        ("attendance",),
        ("drug_tests", "treatment_progress"),
    ]
    for consent in consents:
        assert consent.disclosing_agency == consent.created_by.agency
        assert consent.recipient_agency == users["judge"].agency
        assert all(consent.disclosing_agency.kind in holding_kinds(c) for c in consent.categories)
    for category in (C.ATTENDANCE, C.DRUG_TESTS, C.TREATMENT_PROGRESS):
        assert decide_for(users["judge"], category, world["participant"]).allowed
    # Run again, it adds nothing.
    assert synth_openings([world["participant"]], court, without_consent_every=2) == {
        "consents": 0, "court_orders": 0
    }  # fmt: skip
