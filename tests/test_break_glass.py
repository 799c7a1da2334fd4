"""Safeguarding break-glass (R19; security.md SEC-17, SEC-18)."""

import pytest
import time_machine
from django.utils import timezone

from turnpoint.accounts.personas import Persona, persona_user
from turnpoint.errors import InvalidInput
from turnpoint.sharing.categories import TREATMENT, Category
from turnpoint.sharing.models import AuditEntry, BreakGlass, Disclosure, Notification
from turnpoint.sharing.reach import decide_for
from turnpoint.sharing.rules import PolicyDenied
from turnpoint.sharing.safeguarding import WINDOW, break_glass_open, break_glass_review

WHY = "The key worker heard the youngest child is left alone at night."


@pytest.fixture
def participant(make_referral):
    return make_referral().participant


@pytest.fixture
def second_lead(programme):
    persona = Persona(
        "safeguarding2", "Ewan", "Bell", "safeguarding_lead", "Community drug service", "treatment"
    )
    return persona_user(persona, programmes=[programme])


@pytest.mark.django_db
def test_sec_17_break_glass_opens_safeguarding_for_a_limited_window(
    users, participant, second_lead
):
    lead = users["safeguarding"]
    assert not decide_for(lead, Category.SAFEGUARDING, participant).allowed
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        glass = break_glass_open(acting_user=lead, participant=participant,
                                 reason_code="child_at_risk", justification=WHY)  # fmt: skip
        assert decide_for(lead, Category.SAFEGUARDING, participant).allowed
        assert decide_for(lead, Category.HOUSEHOLD, participant).allowed
        # It opens safeguarding, not the treatment file (SEC-18).
        for category in TREATMENT:
            assert not decide_for(lead, category, participant).allowed
    with time_machine.travel(start + WINDOW, tick=False):
        assert not decide_for(lead, Category.SAFEGUARDING, participant).allowed
    entry = AuditEntry.objects.get(action="break_glass")
    assert (
        entry.participant_ids == [participant.pk] and entry.detail["reason_code"] == "child_at_risk"
    )
    disclosure = Disclosure.objects.get(participant=participant)
    assert (disclosure.legal_basis, disclosure.basis_reference) == (
        "safeguarding",
        f"break-glass {glass.pk}",
    )
    note = Notification.objects.get(recipient=second_lead)
    assert participant.reference in note.message
    assert BreakGlass.objects.get(pk=glass.pk).reviewed_at is None  # on the review list


@pytest.mark.django_db
def test_sec_17_other_roles_and_superusers_are_refused(users, participant):
    for username in ("judge", "prosecutor", "administrator", "coordinator", "clinician"):
        with pytest.raises(PolicyDenied):
            break_glass_open(acting_user=users[username], participant=participant,
                             reason_code="child_at_risk", justification=WHY)  # fmt: skip
    lead = users["safeguarding"]
    lead.is_superuser = True
    with pytest.raises(PolicyDenied):
        break_glass_open(acting_user=lead, participant=participant, reason_code="child_at_risk",
                         justification=WHY)  # fmt: skip
    assert not BreakGlass.objects.exists()
    assert not AuditEntry.objects.filter(action="break_glass").exists()


@pytest.mark.django_db
def test_sec_17_needs_a_reason_code_and_a_written_justification(users, participant):
    with pytest.raises(InvalidInput) as excinfo:
        break_glass_open(acting_user=users["safeguarding"], participant=participant,
                         reason_code="curiosity", justification="worried")  # fmt: skip
    assert [p.field for p in excinfo.value.problems] == ["reason_code", "justification"]
    assert not BreakGlass.objects.exists()


@pytest.mark.django_db
def test_sec_17_lead_outside_the_team_cannot_reach_the_participant(participant, other_programme):
    from django.http import Http404

    persona = Persona("lead-elsewhere", "Ivy", "Ng", "safeguarding_lead", "Another area's team",
                      "treatment")  # fmt: skip
    outsider_lead = persona_user(persona, programmes=[other_programme])
    with pytest.raises(Http404):
        break_glass_open(acting_user=outsider_lead, participant=participant,
                         reason_code="child_at_risk", justification=WHY)  # fmt: skip


@pytest.mark.django_db
def test_sec_18_court_roles_stay_closed_after_break_glass(users, participant):
    break_glass_open(acting_user=users["safeguarding"], participant=participant,
                     reason_code="child_at_risk", justification=WHY)  # fmt: skip
    for username in ("judge", "prosecutor", "defence"):
        for category in [*TREATMENT, Category.SAFEGUARDING]:
            assert not decide_for(users[username], category, participant).allowed


@pytest.mark.django_db
def test_review_is_by_another_lead(users, participant, second_lead):
    glass = break_glass_open(acting_user=users["safeguarding"], participant=participant,
                             reason_code="child_at_risk", justification=WHY)  # fmt: skip
    with pytest.raises(PolicyDenied):
        break_glass_review(glass, acting_user=users["safeguarding"], note="fine")
    reviewed = break_glass_review(glass, acting_user=second_lead, note="Justified; referral made.")
    assert reviewed.reviewed_by == second_lead and reviewed.review_note
