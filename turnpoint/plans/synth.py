"""Recovery plans for the demo's synthetic caseload, made through the services staff use
(`plan_create`, `plan_revise`, each checked and audited), so the plan pages have something to
show: every `every`-th running synthetic episode (by position, no random draw) gets a plan with
two versions, the second a review a few weeks later that marks a goal achieved and adds one.
The goals are illustrative, in the first person as a participant would say them."""

from dataclasses import replace
from datetime import timedelta

from django.utils import timezone

from turnpoint.journeys.models import Episode

from .models import RecoveryPlan
from .services import GoalIn, ServiceIn, plan_create, plan_revise, version_described

GOALS = (
    ("housing", "Somewhere of my own, near my sister", False),
    ("substance_use", "Use on fewer days and never on my own", True),
    ("family_children", "See my kids every weekend", False),
    ("employment_education", "Finish the forklift course", False),
    ("physical_health", "Get my teeth sorted", False),
    ("social_network", "Go to the recovery café on Thursdays", False),
)
SERVICES = (
    ("medication_assisted_treatment", "Community drug service", "1.5"),
    ("psychosocial_counselling", "Community drug service", "1"),
    ("peer_mentoring", "Recovery café", "2"),
    ("housing_support", "Housing support team", "1"),
)


def synth_plans(*, acting_user, every: int = 3) -> int:
    """Give every `every`-th running synthetic episode without a plan a plan of two versions;
    returns how many plans were made."""
    today = timezone.localdate()
    running = Episode.objects.filter(participant__synthetic=True, ended_on__isnull=True)
    made = 0
    for i, episode in enumerate(running.select_related("referral__programme").order_by("pk")):
        if i % every or RecoveryPlan.objects.filter(referral=episode.referral_id).exists():
            continue
        first = min(episode.started_on + timedelta(days=7), today)
        second = min(first + timedelta(days=42), today)
        goals = [GoalIn(d, words, harm) for d, words, harm in
                 (GOALS[i % len(GOALS)], GOALS[(i + 1) % len(GOALS)])]  # fmt: skip
        modality, provider, hours = SERVICES[i % len(SERVICES)]
        plan = plan_create(
            acting_user=acting_user, referral=episode.referral, agreed_on=first,
            review_on=first + timedelta(days=42), agreed_with_participant=True,
            goals=goals, services=[ServiceIn(modality, provider, hours, first)],
        )  # fmt: skip
        version = plan.versions.prefetch_related("goals", "services").get()
        was = version_described(version)
        kept = [replace(g, status="achieved") if n == 0 else g for n, g in enumerate(was["goals"])]
        domain, words, harm = GOALS[(i + 2) % len(GOALS)]
        plan_revise(
            plan, acting_user=acting_user, expected_version=plan.version, agreed_on=second,
            review_on=second + timedelta(days=90), agreed_with_participant=True,
            goals=[*kept, GoalIn(domain, words, harm)], services=was["services"],
            staff_note="Reviewed together; the first goal is done.",
        )  # fmt: skip
        made += 1
    return made
