"""The demo's appointments and tests (turnpoint/supervision/synth.py): recorded through the
services and read back through the selectors."""

from django.utils import timezone

from turnpoint.journeys.synth import synth_assign, synth_caseload
from turnpoint.sharing.reads import drug_tests_read
from turnpoint.supervision.models import Appointment, DrugTest
from turnpoint.supervision.synth import synth_supervision


def _demo(users, programmes, seed):
    coordinator = users["coordinator"]
    for user in users.values():
        user.programmes.add(*programmes.values())
    synth_caseload(participants=60, seed=seed, acting_user=coordinator)
    synth_assign(
        acting_user=coordinator,
        key_workers=[users["clinician"], users["probation"]],
        case_manager=users["casemanager"],
    )
    return synth_supervision(
        coordinator=coordinator, probation=users["probation"], seed=seed, episodes=6
    )


def test_demo_supervision_is_recorded_through_the_services(users, programmes):
    counts = _demo(users, programmes, seed=11)
    assert counts["appointments"] == Appointment.objects.filter(drawn=False).count() > 0
    assert counts["tests"] == DrugTest.objects.count() > 0
    assert counts["scheduled"] == Appointment.objects.filter(drawn=True).count()
    # Past sessions have an outcome; the coming ones have none yet.
    booked = Appointment.objects.filter(drawn=False)
    now = timezone.now()
    assert not booked.filter(starts_at__lt=now, outcome="").exists()
    assert not booked.filter(starts_at__gt=now).exclude(outcome="").exists()
    assert booked.filter(starts_at__gt=now).exists()
    test = DrugTest.objects.order_by("pk").first()
    shown = drug_tests_read(users["probation"], test.participant).tests
    assert [t.pk for t in shown] == [test.pk] and shown[0].results.count() == 4
    positive = DrugTest.objects.filter(results__result="positive").distinct()
    assert all(t.interpretation for t in positive)


def test_demo_dockets_are_recorded_through_the_services_and_repeat_alike(users, programmes):
    from turnpoint.supervision.models import ProgressReport, ReviewHearing
    from turnpoint.supervision.synth import synth_reviews

    _demo(users, programmes, seed=11)
    counts = synth_reviews(coordinator=users["coordinator"], judge=users["judge"], seed=11)
    assert counts["hearings"] == ReviewHearing.objects.count() > 0
    assert counts["reports"] == ProgressReport.objects.count() == counts["hearings"] // 2
    today = timezone.localdate()
    held = ReviewHearing.objects.filter(held_on__lt=today)
    assert held.count() == counts["reports"]
    assert not held.exclude(status="held").exists()
    assert not held.filter(minutes_with_judge__isnull=True).exists()
    assert not ReviewHearing.objects.filter(held_on=today).exclude(status="scheduled").exists()
    first = [(h.referral_id, h.held_on, str(h.minutes_with_judge), h.outcome)
             for h in held.order_by("pk")]  # fmt: skip
    # The same seed again changes nothing: the hearings are the same ones.
    synth_reviews(coordinator=users["coordinator"], judge=users["judge"], seed=11)
    assert [(h.referral_id, h.held_on, str(h.minutes_with_judge), h.outcome)
            for h in held.order_by("pk")] == first  # fmt: skip
