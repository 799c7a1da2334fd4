"""Participants on a running episode, for the supervision tests."""

from participation_helpers import consent_to_take_part

from turnpoint.journeys.services import referral_transition

TO_EPISODE = ("screening", "eligibility", "assessment", "recommendation", "decision", "episode")
EXTRA = {
    "decision": {"recommended_disposal": "programme"},
    "episode": {"imposed_disposal": "programme"},
}


def on_episode(referral, user):
    """Walk `referral` to a running episode; returns the referral, refreshed."""
    for state in TO_EPISODE:
        referral.refresh_from_db()
        if state == "episode":
            consent_to_take_part(referral, user)
        referral_transition(
            referral,
            acting_user=user,
            to_state=state,
            expected_version=referral.version,
            **EXTRA.get(state, {}),
        )
    referral.refresh_from_db()
    return referral
