"""Small helpers for the staff page tests."""

from datetime import date, timedelta

from participation_helpers import consent_to_take_part

from turnpoint.journeys.services import referral_transition

TO_EPISODE = ["screening", "eligibility", "assessment", "recommendation", "decision", "episode"]


def date_fields(name: str, day: date) -> dict:
    """The three boxes of a GOV.UK date input."""
    return {f"{name}-day": day.day, f"{name}-month": day.month, f"{name}-year": day.year}


def walk(referral, user, until: str, *, start: date | None = None) -> None:
    """Move a referral through the service, one day per step, until it reaches `until`."""
    day = start or referral.referral_date
    for state in TO_EPISODE[: TO_EPISODE.index(until) + 1]:
        day += timedelta(days=1)
        extra = {"decision": {"recommended_disposal": "programme"},
                 "episode": {"imposed_disposal": "programme"}}.get(state, {})  # fmt: skip
        if state == "episode":
            consent_to_take_part(referral, user)
        referral_transition(referral, acting_user=user, to_state=state, occurred_on=day, **extra)
        referral.refresh_from_db()


def text(response) -> str:
    return response.content.decode()
