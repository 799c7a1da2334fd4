"""Dates that make sense (issue 27): every date a person enters is checked against today, the
participant's birth, a plausible floor and the other dates, by the service, so pages, API and
CLI refuse alike, naming the field and the reason in plain words; nothing changes."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from turnpoint import dates
from turnpoint.errors import InvalidInput, Problem
from turnpoint.people.services import household_child_add, participant_update
from turnpoint.programmes.loader import validate_definition
from turnpoint.sharing.consents import FOLLOW_UP_WEEKS, ShareConsent, share_consent_create
from turnpoint.sharing.court_orders import CourtOrder, court_order_record
from turnpoint.sharing.models import AuditEntry
from turnpoint.sharing.participation import ParticipationConsent, participation_consent_record

TODAY = date(2026, 6, 15)
BORN = date(1990, 5, 17)  # the participant of `make_referral`


@pytest.fixture(autouse=True)
def frozen():
    # Noon in London, far from midnight on either side.
    with time_machine.travel(datetime(2026, 6, 15, 11, 0, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def referral(make_referral):
    return make_referral()


def refused(call, **values) -> dict[str, str]:
    """The problems of a refused call, by field; asserts nothing was audited."""
    before = AuditEntry.objects.count()
    with pytest.raises(InvalidInput) as excinfo:
        call(**values)
    assert AuditEntry.objects.count() == before
    return {p.field: p.reason for p in excinfo.value.problems}


# The pure checks ------------------------------------------------------------------------------


def test_the_checks_name_the_field_and_the_date_in_words():
    assert dates.not_future("x", TODAY + timedelta(days=1), today=TODAY) == [
        Problem("x", "is in the future")
    ]
    assert dates.not_future("x", TODAY, today=TODAY) == []
    assert dates.not_before_floor("x", date(1899, 12, 31)) == [
        Problem("x", "is before 1 January 1900: check the year")
    ]
    assert dates.not_before_birth("x", BORN - timedelta(days=1), BORN) == [
        Problem("x", "is before the participant's date of birth (17 May 1990)")
    ]
    assert dates.in_order("x", date(2026, 1, 1), date(2026, 1, 2), "the start") == [
        Problem("x", "is before the start (2 January 2026)")
    ]
    assert dates.in_order("x", date(2026, 1, 2), date(2026, 1, 2), "the start", strictly=True)
    assert dates.in_order("x", date(2026, 1, 2), date(2026, 1, 2), "the start") == []


def test_months_are_added_to_the_last_day_of_a_shorter_month():
    assert dates.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert dates.add_months(date(2027, 12, 15), 1) == date(2028, 1, 15)
    assert dates.add_months(date(2026, 6, 15), 36) == date(2029, 6, 15)


# Consents to share ----------------------------------------------------------------------------


def consent(referral, users, **overrides):
    now = timezone.now()
    values = dict(
        acting_user=users["clinician"], participant=referral.participant,
        disclosing_agency=users["clinician"].agency, recipient_role="judge",
        recipient_agency=users["judge"].agency, categories=["clinical"],
        purposes=["court_review"], starts_at=now, expires_at=now + timedelta(days=90),
        revocation_statement="You can withdraw it at any time.", revocation_method="Tell us.",
        signature_method="written", signed_by="Robin Example", signed_on=TODAY,
    )  # fmt: skip
    values.update(overrides)
    return values


def test_a_consent_signed_in_the_future_or_before_birth_is_refused(referral, users):
    future = refused(share_consent_create, **consent(referral, users, signed_on=TODAY
                                                     + timedelta(days=1)))  # fmt: skip
    assert future["signed_on"] == "is in the future"
    before = refused(share_consent_create, **consent(referral, users, signed_on=date(1980, 1, 1)))
    assert before["signed_on"] == "is before the participant's date of birth (17 May 1990)"
    assert not ShareConsent.objects.exists()


def test_a_consent_takes_effect_from_its_signing_never_before(referral, users):
    start = timezone.now() - timedelta(days=10)
    problems = refused(share_consent_create, **consent(referral, users, starts_at=start))
    assert problems["starts_at"] == (
        "is before the date it was signed (15 June 2026): a consent takes effect from its "
        "signing, never before"
    )
    # Starting on the day it is signed, or later, is fine.
    share_consent_create(**consent(referral, users, starts_at=start, signed_on=TODAY
                                   - timedelta(days=10)))  # fmt: skip
    share_consent_create(**consent(referral, users, starts_at=timezone.now() + timedelta(days=7)))
    assert ShareConsent.objects.count() == 2


def test_a_consent_ends_after_it_starts_and_within_the_programmes_longest(referral, users):
    now = timezone.now()
    assert refused(share_consent_create, **consent(referral, users, expires_at=now))[
        "expires_at"
    ] == "must be after the start"  # fmt: skip
    # Ghent sets no consent_max_months: its 35 weeks plus 104 weeks of follow-up.
    weeks = 35 + FOLLOW_UP_WEEKS
    latest = TODAY + timedelta(weeks=weeks)
    too_long = consent(referral, users, expires_at=now + timedelta(weeks=weeks, days=1))
    assert refused(share_consent_create, **too_long)["expires_at"] == (
        f"must be on or before {dates.spoken(latest)}: a consent in Ghent drug treatment court "
        f"(pre-conviction) lasts at most {weeks} weeks (the programme's longest duration of 35 "
        "weeks plus 104 weeks of follow-up after it)"
    )
    share_consent_create(**consent(referral, users, expires_at=now + timedelta(weeks=weeks)))
    assert ShareConsent.objects.count() == 1


def test_a_programme_file_may_set_the_longest_consent_in_months(referral, users):
    programme = referral.programme
    programme.definition["policy"]["consent_max_months"] = 12
    programme.save()
    problems = refused(share_consent_create, **consent(
        referral, users, expires_at=timezone.now() + timedelta(days=366)
    ))  # fmt: skip
    assert problems["expires_at"] == (
        "must be on or before 15 June 2027: a consent in Ghent drug treatment court "
        "(pre-conviction) lasts at most 12 months"
    )


def test_the_loader_accepts_consent_max_months_only_as_a_positive_whole_number(programmes):
    definition = programmes["ghent-dtc"].definition
    for bad, reason in ((0, "must be at least 1"), ("a year", "must be a whole number"),
                        (-3, "must not be negative")):  # fmt: skip
        policy = {**definition["policy"], "consent_max_months": bad}
        problems = validate_definition({**definition, "policy": policy}, "ghent.yaml")
        assert [(p.path, p.reason) for p in problems] == [("policy.consent_max_months", reason)]
    good = {**definition, "policy": {**definition["policy"], "consent_max_months": 24}}
    assert validate_definition(good, "ghent.yaml") == []


# Court orders --------------------------------------------------------------------------------


def order(referral, users, **overrides):
    values = dict(
        acting_user=users["clinician"], participant=referral.participant, kind="order",
        court="Ghent court of first instance", reference="ORD-1", made_on=TODAY,
        categories=["treatment_progress"], covers_from=date(2026, 1, 1),
        covers_to=date(2026, 6, 1), recipient_role="judge", purposes=["court_review"],
        expires_at=timezone.now() + timedelta(days=30),
    )  # fmt: skip
    values.update(overrides)
    return values


def test_a_court_order_made_before_birth_or_covering_before_the_floor_is_refused(referral, users):
    problems = refused(court_order_record, **order(
        referral, users, made_on=date(1985, 3, 1), covers_from=date(1850, 1, 1)
    ))  # fmt: skip
    assert problems["made_on"] == "is before the participant's date of birth (17 May 1990)"
    assert problems["covers_from"] == "is before 1 January 1900: check the year"
    assert not CourtOrder.objects.exists()


def test_a_court_order_ends_within_the_programmes_longest_duration(referral, users):
    made = date(2026, 6, 1)
    latest = made + timedelta(weeks=35)  # Ghent lasts at most 35 weeks: 1 February 2027
    too_late = timezone.make_aware(
        datetime.combine(latest + timedelta(days=1), datetime.min.time())
    )
    problems = refused(court_order_record, **order(
        referral, users, made_on=made, expires_at=too_late
    ))  # fmt: skip
    assert problems["expires_at"] == (
        "must be on or before 1 February 2027: an order lasts no "
        "longer than the longest a participant stays in Ghent drug treatment court "
        "(pre-conviction), 35 weeks from the day it was made"
    )
    court_order_record(**order(referral, users, made_on=made,
                               expires_at=timezone.make_aware(datetime(2027, 2, 1))))  # fmt: skip
    assert CourtOrder.objects.count() == 1


# Consent to take part, household, date of birth ------------------------------------------------


def participation(referral, coordinator, **overrides):
    values = dict(
        acting_user=coordinator, referral=referral, alternatives_explained="Prosecution.",
        coercion="legal_pressure", agreed_max_weeks=20, custodial_weeks_replaced=20,
        non_completion_explained="The case returns to court.", right_to_withdraw_explained=True,
        signed_by="Robin Example", signed_on=referral.referral_date,
    )  # fmt: skip
    values.update(overrides)
    return values


def test_consent_to_take_part_is_signed_after_the_referral_and_not_in_the_future(
    referral, coordinator
):
    early = referral.referral_date - timedelta(days=1)
    problems = refused(participation_consent_record,
                       **participation(referral, coordinator, signed_on=early))  # fmt: skip
    assert problems["signed_on"] == (
        f"is before the referral date ({dates.spoken(referral.referral_date)})"
    )
    problems = refused(participation_consent_record, **participation(
        referral, coordinator, signed_on=TODAY + timedelta(days=1)
    ))  # fmt: skip
    assert problems["signed_on"] == "is in the future"
    assert not ParticipationConsent.objects.exists()
    participation_consent_record(**participation(referral, coordinator))
    assert ParticipationConsent.objects.count() == 1


def test_a_date_of_birth_after_a_recorded_offence_is_refused(referral, coordinator):
    person = referral.participant
    later = referral.offence_date + timedelta(days=1)
    problems = refused(participant_update, participant=person, acting_user=coordinator,
                       expected_version=person.version, date_of_birth=later)  # fmt: skip
    assert problems["date_of_birth"] == (
        f"is after the date of an offence recorded for them ({dates.spoken(referral.offence_date)})"
    )
    person.refresh_from_db()
    assert person.date_of_birth == BORN
    # Moving the date of birth earlier is fine.
    participant_update(person, acting_user=coordinator, expected_version=person.version,
                       date_of_birth=date(1990, 1, 1))  # fmt: skip


def test_a_household_child_born_next_year_is_refused(referral, users):
    problems = refused(household_child_add, acting_user=users["casemanager"],
                       participant=referral.participant, first_name="Sam",
                       year_of_birth=TODAY.year + 1)  # fmt: skip
    assert problems == {"year_of_birth": "is in the future"}
