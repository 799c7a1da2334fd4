"""Recovery plan pages (docs/plans.md): the section on the participant page, making and
changing a plan without JavaScript, the language check's warning and "keep my wording", the
history, one version, and two versions side by side."""

import html as htmllib
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse

from turnpoint.plans.models import PlanVersion, RecoveryPlan
from turnpoint.plans.services import GoalIn, ServiceIn, plan_create, plan_revise
from turnpoint.sharing.models import AuditEntry

from .helpers import date_fields, text

TODAY = date.today()


@pytest.fixture
def referral(make_referral):
    return make_referral(given_name="Robin", family_name="Example")


def summary(response) -> list[str]:
    body = text(response).split('class="govuk-error-summary"')[1].split("</ul>")[0]
    return [htmllib.unescape(m.strip()) for m in re.findall(r"<li>(?:<a [^>]+>)?([^<]+)", body)]


def form_data(**overrides):
    data = {
        "goal_rows": "3",
        "service_rows": "2",
        **date_fields("agreed_on", TODAY),
        **date_fields("review_on", TODAY + timedelta(days=90)),
        "agreed_with_participant": "on",
        "summary": "My own place, and my daughter at weekends.",
        "staff_note": "Agreed at key work.",
        "goal-0-domain": "housing",
        "goal-0-in_their_words": "A flat of my own",
        "goal-0-who_helps": "Key worker",
        "goal-0-status": "open",
        "goal-1-domain": "substance_use",
        "goal-1-in_their_words": "Never use alone",
        "goal-1-harm_reduction": "on",
        "goal-1-status": "open",
        "goal-2-status": "open",  # a blank row: left out
        "service-0-modality": "peer_mentoring",
        "service-0-provider": "Recovery café",
        "service-0-intensity_hours_per_week": "2",
        **date_fields("service-0-starts_on", TODAY),
    }
    data.update(overrides)
    return data


def edit_url(referral):
    return reverse("web:plan_edit", args=[referral.participant_id])


def make(referral, user, **overrides):
    values = dict(
        acting_user=user,
        referral=referral,
        agreed_on=TODAY - timedelta(days=30),
        review_on=TODAY + timedelta(days=60),
        agreed_with_participant=True,
        goals=[
            GoalIn("housing", "A flat of my own"),
            GoalIn("substance_use", "Never use alone", harm_reduction=True),
        ],
        services=[ServiceIn("peer_mentoring", "Recovery café", "2", TODAY - timedelta(days=30))],
    )
    values.update(overrides)
    return plan_create(**values)


def test_make_a_plan_on_the_page_and_see_it_on_the_participant_page(page_as, referral):
    client = page_as("coordinator")
    page = text(client.get(edit_url(referral)))
    assert "Make a plan" in page and 'name="goal-2-in_their_words"' in page
    response = client.post(edit_url(referral), form_data())
    assert response.status_code == 302, summary(response)
    version = PlanVersion.objects.get()
    assert [g.in_their_words for g in version.goals.all()] == [
        "A flat of my own",
        "Never use alone",
    ]
    assert version.goals.all()[1].harm_reduction and version.agreed_with_participant
    assert version.services.get().provider == "Recovery café"
    participant = text(client.get(reverse("web:participant", args=[referral.participant_id])))
    assert 'id="recovery-plan"' in participant and "&ldquo;A flat of my own&rdquo;" in participant
    assert "Harm reduction" in participant and "Change the plan" in participant


def test_refused_dates_are_named_and_nothing_is_saved(page_as, referral):
    response = page_as("coordinator").post(
        edit_url(referral),
        form_data(
            **{
                **date_fields("review_on", TODAY - timedelta(days=1)),
                **date_fields("goal-0-by_when", TODAY - timedelta(days=3)),
                "service-0-intensity_hours_per_week": "61",
            }
        ),
    )
    assert response.status_code == 400
    messages = summary(response)
    assert any(m.startswith("Next review must be after the date it was agreed") for m in messages)
    assert any(
        m.startswith("Goal 1: By when is before the date the plan was agreed") for m in messages
    )
    assert any(m.startswith("Service 1: Hours a week must be more than 0") for m in messages)
    assert not RecoveryPlan.objects.exists()


def test_the_language_check_warns_until_the_author_keeps_their_wording(page_as, referral):
    client = page_as("coordinator")
    data = form_data(
        staff_note="He is a recovering addict.", **{"goal-0-who_helps": "Ex-offender mentor"}
    )
    response = client.post(edit_url(referral), data)
    assert response.status_code == 400
    page = htmllib.unescape(text(response))
    assert 'id="language-check"' in page
    assert "Staff note: \u2018recovering addict\u2019" in page
    assert "Consider \u2018person in recovery\u2019" in page
    assert "Goal 1, who helps: \u2018Ex-offender\u2019" in page
    assert 'name="keep_wording"' in page
    assert not RecoveryPlan.objects.exists()
    # The participant's own words are never flagged.
    assert "Never use alone" in page
    response = client.post(edit_url(referral), {**data, "keep_wording": "on"})
    assert response.status_code == 302
    assert PlanVersion.objects.get().wording_kept


def test_change_the_plan_makes_a_new_version_and_history_compares_them(
    page_as, referral, coordinator
):
    plan = make(referral, coordinator)
    client = page_as("coordinator")
    page = text(client.get(edit_url(referral)))
    assert 'value="A flat of my own"' in page or "A flat of my own</textarea>" in page
    data = form_data(
        goal_rows="5",
        service_rows="3",
        expected_version="1",
        **{
            "goal-0-key": "1",
            "goal-0-status": "achieved",
            "goal-1-key": "2",
            "goal-1-domain": "",
            "goal-1-in_their_words": "",
            "goal-2-domain": "employment_education",
            "goal-2-in_their_words": "Start a course",
            "service-0-key": "1",
            **date_fields("service-0-starts_on", TODAY - timedelta(days=30)),
        },
    )
    response = client.post(edit_url(referral), data)
    assert response.status_code == 302, summary(response)
    plan.refresh_from_db()
    assert plan.current_version == 2
    history = text(client.get(reverse("web:plan_history", args=[referral.participant_id])))
    assert 'id="version-1"' in history and 'id="version-2"' in history
    compare = htmllib.unescape(
        text(
            client.get(
                reverse("web:plan_compare", args=[referral.participant_id]) + "?older=1&newer=2"
            )
        )
    )
    assert "Changed: who helps, status" in compare and "Removed" in compare and "Added" in compare
    assert "Not in this version" in compare
    one = text(client.get(reverse("web:plan_version", args=[referral.participant_id, 1])))
    assert "Working on it" in one and "Achieved" not in one
    # Every one of these reads was audited.
    assert AuditEntry.objects.filter(action="read", categories=["plan"]).count() >= 4


def test_an_unchanged_or_stale_form_saves_nothing(page_as, referral, coordinator):
    plan = make(referral, coordinator)
    version = plan.versions.get()
    plan_revise(
        plan,
        acting_user=coordinator,
        expected_version=1,
        agreed_on=version.agreed_on,
        review_on=version.review_on,
        agreed_with_participant=True,
        goals=[GoalIn("housing", "A flat of my own", key=1)],
        staff_note="Reviewed.",
    )
    client = page_as("coordinator")
    stale = client.post(edit_url(referral), form_data(expected_version="1", **{"goal-0-key": "1"}))
    assert stale.status_code == 400
    assert any("changed since you opened it" in m for m in summary(stale))
    assert PlanVersion.objects.filter(plan=plan).count() == 2


def test_the_judge_without_consent_sees_no_plan_and_is_refused_its_pages(
    page_as, referral, coordinator
):
    make(referral, coordinator)
    client = page_as("judge")
    page = text(client.get(reverse("web:participant", args=[referral.participant_id])))
    assert 'id="recovery-plan"' not in page and "A flat of my own" not in page
    assert (
        client.get(reverse("web:plan_history", args=[referral.participant_id])).status_code == 403
    )
    assert client.get(edit_url(referral)).status_code == 403


def test_the_judge_with_the_participants_consent_sees_the_plan(page_as, referral, users):
    from django.utils import timezone

    from turnpoint.accounts.models import Role
    from turnpoint.sharing.categories import Category, Purpose
    from turnpoint.sharing.consents import share_consent_create

    coordinator, judge = users["coordinator"], users["judge"]
    make(referral, coordinator)
    share_consent_create(
        acting_user=coordinator, participant=referral.participant,
        disclosing_agency=coordinator.agency, recipient_role=Role.JUDGE,
        recipient_agency=judge.agency, categories=[Category.PLAN],
        purposes=[Purpose.COURT_REVIEW], starts_at=timezone.now() - timedelta(minutes=1),
        expires_at=timezone.now() + timedelta(days=90),
        revocation_statement="You can withdraw this consent at any time.",
        revocation_method="Tell your key worker.", signature_method="written",
        signed_by="Robin Example", signed_on=TODAY,
    )  # fmt: skip
    client = page_as("judge")
    page = text(client.get(reverse("web:participant", args=[referral.participant_id])))
    assert 'id="recovery-plan"' in page and "A flat of my own" in page
    assert "Change the plan" not in page  # the court reads it, never changes it
    history = client.get(reverse("web:plan_history", args=[referral.participant_id]))
    assert history.status_code == 200 and 'id="version-1"' in text(history)
    reads = AuditEntry.objects.filter(user=judge, action="read", categories=["plan"])
    assert reads.count() == 2
