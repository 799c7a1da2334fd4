"""The synthetic caseload's outcomes (turnpoint/outcomes/synth.py): three follow-ups per ended
episode, reoffending after exit for some, from a generator of their own."""

from datetime import date, timedelta

from turnpoint.dates import add_months
from turnpoint.journeys.models import Episode
from turnpoint.journeys.synth import synth_caseload
from turnpoint.outcomes.models import FollowUp, OutcomeEvent
from turnpoint.people.models import Participant
from turnpoint.sharing.models import AuditEntry

TODAY = date(2026, 6, 1)


def test_every_ended_episode_has_its_three_follow_ups_and_reoffending_follows_exit(synth_user):
    summary = synth_caseload(participants=300, seed=11, acting_user=synth_user, today=TODAY,
                             batch_size=70)  # fmt: skip
    ended = Episode.objects.filter(ended_on__isnull=False)
    assert ended.exists()
    assert summary["follow_ups"] == FollowUp.objects.count() == 3 * ended.count()
    for episode in ended.prefetch_related("follow_ups"):
        rows = sorted(episode.follow_ups.all(), key=lambda f: f.months)
        assert [(f.months, f.due_on) for f in rows] == [
            (m, add_months(episode.ended_on, m)) for m in (3, 6, 12)
        ]
        for f in rows:  # past its due date and a month's grace: answered or missed
            assert (f.status == "due") == (f.due_on + timedelta(days=30) >= TODAY), f
    events = list(OutcomeEvent.objects.select_related("referral__episode"))
    assert summary["outcome_events"] == len(events) > 0
    for event in events:
        assert event.category == "legal" and event.kind in ("arrest", "conviction")
        assert event.referral.episode.ended_on < event.offence_date <= event.outcome_date <= TODAY
    convictions = [e for e in events if e.kind == "conviction"]
    assert convictions and all(e.outcome == "convicted" for e in convictions)
    assert AuditEntry.objects.filter(object_type="outcomeevent").count() == len(events)
    assert AuditEntry.objects.filter(object_type="followup").count() == (
        FollowUp.objects.exclude(status="due").count()
    )


def test_the_same_seed_gives_the_same_outcomes(synth_user):
    def run() -> tuple[list, list]:
        before = set(Participant.objects.values_list("pk", flat=True))
        synth_caseload(participants=80, seed=5, acting_user=synth_user, today=TODAY,
                       batch_size=30)  # fmt: skip
        new = set(Participant.objects.values_list("pk", flat=True)) - before
        events = OutcomeEvent.objects.filter(participant__in=new)
        follow_ups = FollowUp.objects.filter(participant__in=new)
        return (
            sorted(events.values_list("kind", "offence_date", "outcome_date", "outcome")),
            sorted(follow_ups.values_list("months", "due_on", "status", "done_on")),
        )

    first = run()
    assert first[0] and first[1]
    assert run() == first
