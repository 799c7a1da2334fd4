"""Refusals speak plainly (issue 27): what a user reads when input is refused carries no
internal codes or requirement numbers ("R12", "SEC-11"), only the field and the reason."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from turnpoint.errors import InvalidInput
from turnpoint.journeys.services import referral_create, referral_transition
from turnpoint.people.services import household_child_add, participant_create
from turnpoint.sharing.consents import share_consent_create
from turnpoint.sharing.court_orders import court_order_record
from turnpoint.sharing.participation import participation_consent_record
from turnpoint.sharing.safeguarding import break_glass_open

INTERNAL = re.compile(r"\bR\d+\b|\bSEC-\d+\b|\bSTYLE\.md\b|\bsecurity\.md\b")


def reasons(call, **values) -> list[str]:
    with pytest.raises(InvalidInput) as excinfo:
        call(**values)
    return [p.reason for p in excinfo.value.problems]


def test_the_main_refusals_carry_no_internal_codes(make_referral, users, programme):
    coordinator = users["coordinator"]
    referral = make_referral()
    person = referral.participant
    today = timezone.localdate()
    now = timezone.now()
    programme.definition["policy"]["max_duration_not_longer_than_custody"] = True
    programme.save()
    for state in ("screening", "eligibility", "assessment", "recommendation"):
        referral_transition(referral, acting_user=coordinator, to_state=state)
    referral_transition(referral, acting_user=coordinator, to_state="decision",
                        recommended_disposal="programme")  # fmt: skip
    found = []
    found += reasons(participant_create, acting_user=coordinator, given_name="\u202e",
                     family_name="", date_of_birth=today + timedelta(days=1), sex="x")  # fmt: skip
    found += reasons(referral_create, acting_user=coordinator, participant=person,
                     programme=programme, source="x", offence_category="x",
                     drug_related_type="x", offence_date=date(1980, 1, 1),
                     referral_date=today + timedelta(days=1),
                     offence_summary="x" * 4001)  # fmt: skip
    found += reasons(referral_transition, referral=referral, acting_user=coordinator,
                     to_state="episode", occurred_on=today + timedelta(days=1))  # fmt: skip
    found += reasons(referral_transition, referral=referral, acting_user=coordinator,
                     to_state="closed")  # fmt: skip
    found += reasons(participation_consent_record, acting_user=coordinator, referral=referral,
                     agreed_max_weeks=30, custodial_weeks_replaced=20,
                     signed_on=today + timedelta(days=1))  # fmt: skip
    found += reasons(share_consent_create, acting_user=users["clinician"], participant=person,
                     categories=["counselling_notes", "clinical", "everything"],
                     purposes=["gossip"], starts_at=now - timedelta(days=1), expires_at=now,
                     signed_on=today, revocable_from=today)  # fmt: skip
    found += reasons(share_consent_create, acting_user=users["clinician"])
    found += reasons(court_order_record, acting_user=users["clinician"], participant=person,
                     kind="order", made_on=today + timedelta(days=1), categories=["x"],
                     covers_from=today, covers_to=today - timedelta(days=1),
                     recipient_role="x", purposes=["x"], expires_at=now)  # fmt: skip
    found += reasons(household_child_add, acting_user=coordinator, participant=person,
                     first_name="", year_of_birth=1900)  # fmt: skip
    found += reasons(break_glass_open, acting_user=users["safeguarding"], participant=person,
                     reason_code="x", justification="short\u200b")  # fmt: skip
    # Every kind of refusal above was reached (the previous codes among them).
    assert any("informed consent to take part" in r for r in found)
    assert any("custody it replaces" in r for r in found)
    assert any("counselling notes need a consent of their own" in r for r in found)
    assert len(found) >= 30
    assert [r for r in found if INTERNAL.search(r)] == []
