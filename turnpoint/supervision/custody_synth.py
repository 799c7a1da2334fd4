"""Custody and release for a synthetic caseload (the demo): a few participants of the
prison-to-community programme in custody with a release plan, one of them in the 14 days after
release, recorded through the services staff use (each audited). Who gets which is fixed by
position (the first participants of the programme, in id order): no random draw, so the
caseload `turnpoint synth` made stays as it was."""

from datetime import date, timedelta

from django.utils import timezone

from turnpoint.journeys.models import Referral

from .custody import custody_record, release_plan_start, release_record, release_task_set

PROGRAMME = "england-prison-to-community"


def synth_custody(*, programme_team, treatment_provider, today: date | None = None,
                  slug: str = PROGRAMME) -> dict:  # fmt: skip
    """Give the first three synthetic participants referred to `slug` a custody episode: one
    released 4 days ago with two tasks of their plan done (in the 14-day window), one due for
    release in 10 days with the plan under way, one due in 20 weeks with no plan yet. Returns
    the counts."""
    today = today or timezone.localdate()
    referrals = list(
        Referral.objects.filter(participant__synthetic=True, programme__slug=slug)
        .select_related("participant", "programme")
        .order_by("participant_id", "id")
    )
    first: dict = {}
    for referral in referrals:
        first.setdefault(referral.participant_id, referral)
    chosen = list(first.values())[:3]
    team, clinic = programme_team, treatment_provider
    episodes = plans = in_window = 0
    for n, referral in enumerate(chosen):
        started = today - timedelta(days=60 + 10 * n)
        expected = today + timedelta(days=(-4, 10, 140)[n])
        episode = custody_record(
            acting_user=team, participant=referral.participant, referral=referral,
            kind=("sentence", "remand", "sentence")[n], establishment="HMP Liverpool",
            started_on=started, expected_release_on=expected,
        )  # fmt: skip
        episodes += 1
        if n == 2:
            continue  # 20 weeks away: its plan starts 12 weeks before
        plan = release_plan_start(episode, acting_user=team)
        plans += 1
        release_task_set(plan, "ost_continued", acting_user=clinic, status="done",
                         appointment_on=expected + timedelta(days=1),
                         note="Community prescriber at the recovery hub.")  # fmt: skip
        if n == 0:
            release_task_set(
                plan,
                "first_appointment",
                acting_user=team,
                status="done",
                appointment_on=expected,
                note="Probation office, the same day.",
            )
            release_record(episode, acting_user=team, released_on=expected)
            in_window += 1
    return {"custody_episodes": episodes, "release_plans": plans, "in_release_window": in_window}
