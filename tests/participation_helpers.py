"""Recording the informed consent an episode needs before it starts (R12), for tests that walk
a referral into an episode."""

from turnpoint.journeys.models import Referral
from turnpoint.sharing.participation import participation_consent_record


def consent_to_take_part(referral, user):
    referral = Referral.objects.select_related("programme").get(
        pk=getattr(referral, "pk", referral)
    )
    weeks = referral.programme.max_duration_weeks
    return participation_consent_record(
        acting_user=user, referral=referral,
        alternatives_explained="Ordinary prosecution and sentence.", coercion="legal_pressure",
        agreed_max_weeks=weeks, custodial_weeks_replaced=weeks,
        non_completion_explained="The case returns to the court.",
        right_to_withdraw_explained=True, signed_by=referral.participant.display_name,
        signed_on=referral.referral_date,
    )  # fmt: skip
