"""Walking a referral to the end of its episode, for the outcome tests."""

from datetime import timedelta

from participation_helpers import consent_to_take_part

from turnpoint.journeys.services import referral_transition

TO_EPISODE = ("screening", "eligibility", "assessment", "recommendation", "decision", "episode")
EXTRA = {"decision": {"recommended_disposal": "programme"},
         "episode": {"imposed_disposal": "programme"}}  # fmt: skip


def walk_to_episode(referral, user) -> None:
    """One day per step from the referral date, into the episode."""
    day = referral.referral_date
    for state in TO_EPISODE:
        day += timedelta(days=1)
        if state == "episode":
            consent_to_take_part(referral, user)
        referral_transition(referral, acting_user=user, to_state=state, occurred_on=day,
                            **EXTRA.get(state, {}))  # fmt: skip
        referral.refresh_from_db()


def exit_episode(referral, user, *, on=None):
    """End the episode (completed, early with a reason) on `on` (the day after it started)."""
    on = on or referral.episode.started_on + timedelta(days=1)
    step = referral_transition(
        referral, acting_user=user, to_state="exit", occurred_on=on, exit_type="completed",
        reason="Completed every phase.", override_reason="Completed early with the court's "
        "agreement",
    )  # fmt: skip
    referral.refresh_from_db()
    return step


def left_programme(referral, user, *, days_ago: int = 100):
    """Walk a referral made at least `days_ago` + 8 days ago into its episode and end it
    `days_ago` days ago: its 3-month follow-up is then overdue, the 6-month one due later."""
    from datetime import date

    walk_to_episode(referral, user)
    return exit_episode(referral, user, on=date.today() - timedelta(days=days_ago))
