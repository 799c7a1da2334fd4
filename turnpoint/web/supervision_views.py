"""Staff pages for supervision (docs/supervision.md, docs/web.md): the calendar, booking an
appointment and recording its outcome, a participant's drug and alcohol tests with their results,
interpretation and turnaround, recording a test, drawing the random test schedule, and the daily
call-in list.

Who: the roles that record attendance (`decide(user, ATTENDANCE, action="write")`: coordinator,
case manager, probation officer, clinician) keep appointments, schedules and the call-in list and
record forensic tests; only a clinician records a clinical test. A participant's tests are shown
to whoever may read them in one of their referrals (a judge only where the programme's switch or
the participant's consent allows). A result's interpretation is added by the probation officer
or the key worker. Everything is read through the selectors of `turnpoint.sharing.reads`.
"""

from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from turnpoint.accounts.models import Role, User
from turnpoint.errors import Conflict, InvalidInput
from turnpoint.sharing.categories import Category
from turnpoint.sharing.reach import participant_for_user, team_programmes
from turnpoint.sharing.reads import (
    attendance_read,
    calendar_read,
    call_in_read,
    drug_tests_read,
)
from turnpoint.sharing.rules import ROLE_WRITE, PolicyDenied, decide
from turnpoint.supervision.measures import (
    key_worker_consistency,
    turnaround_hours,
    turnaround_missed,
)
from turnpoint.supervision.models import Outcome
from turnpoint.supervision.panel import TURNAROUND_TARGET_HOURS, substance_label
from turnpoint.supervision.services import (
    INTERPRETERS,
    appointment_book,
    appointment_outcome_record,
    appointment_reschedule,
    drug_test_interpret,
    drug_test_record,
    drug_test_schedule_draw,
    week_start,
)

from .supervision_forms import (
    AppointmentForm,
    DrugTestForm,
    InterpretationForm,
    OutcomeForm,
    at,
)

C = Category
RECENT_DAYS = 90


def keeps_attendance(user) -> bool:
    return bool(decide(user, C.ATTENDANCE, action="write"))


def _keeper(user):
    decision = decide(user, C.ATTENDANCE, action="write")
    if not decision:
        raise PermissionDenied(decision.reason)


def _keeper_participant(user, pk):
    person = participant_for_user(user, pk)
    _keeper(user)
    return person


def _writable_referrals(user, person, category=C.ATTENDANCE) -> list:
    """The participant's referrals in the user's team whose programme lets the user write
    `category`, newest first."""
    team = team_programmes(user)
    return [
        r
        for r in person.referrals.filter(programme__in=list(team)).select_related(
            "programme", "participant"
        )
        if decide(user, category, programme=team[r.programme_id], action="write")
    ]


def _team_workers(user) -> list:
    """Active members of the user's team who see participants (the roles that record
    attendance), by name."""
    roles = [role for role, categories in ROLE_WRITE.items() if C.ATTENDANCE in categories]
    return list(
        User.objects.filter(
            programmes__in=list(team_programmes(user)), is_active=True, role__in=roles
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def _parse_day(value, default: date) -> tuple[date, str]:
    if not value:
        return default, ""
    try:
        return date.fromisoformat(value), ""
    except ValueError:
        return default, "That date could not be read, so today's is shown."


# The participant page's section ----------------------------------------------------------


def participant_page_context(user, person, referrals, openings) -> dict:
    """The participant page's attendance section: the last 90 days' appointments the user may
    read and, for each running episode with a key worker, the share of attended sessions seen by
    the key worker (R17). Read with the referrals and openings the page already holds."""
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    read = attendance_read(user, person, since=since, referrals=referrals, openings=openings)
    if not read.readable:
        return {"attendance": None}
    today = timezone.localdate()
    consistency = []
    for r in referrals:
        episode = getattr(r, "episode", None)
        if episode is None or episode.ended_on is not None or episode.key_worker_id is None:
            continue
        mine = [a for a in read.appointments if a.referral_id == r.pk]
        result = key_worker_consistency(mine, episode.key_worker_id, today=today)
        consistency.append(
            {"programme": r.programme.name, "key_worker": episode.key_worker, "result": result}
        )
    return {
        "attendance": {
            "rows": read.appointments[:10],
            "more": max(0, len(read.appointments) - 10),
            "consistency": consistency,
            "may_keep": keeps_attendance(user),
            "may_see_tests": any(
                decide(user, c, programme=r.programme, openings=openings)
                for r in referrals
                for c in (C.DRUG_TESTS, C.CLINICAL)
            ),
            "days": RECENT_DAYS,
        }
    }


# Appointments ---------------------------------------------------------------------------


@login_required
def calendar(request):
    """The user's appointments (or, for a coordinator, a team member's) for one week, Monday to
    Sunday, grouped by day."""
    user = request.user
    _keeper(user)
    today = timezone.localdate()
    day, notice = _parse_day(request.GET.get("week"), today)
    monday = week_start(day)
    workers = _team_workers(user)
    worker = None
    chosen = request.GET.get("worker") or ""
    if chosen:
        if user.role != Role.COORDINATOR:
            raise PermissionDenied("only a coordinator views another worker's calendar")
        worker = next((w for w in workers if str(w.pk) == chosen), None)
        if worker is None:
            raise Http404("No such worker in your team")
    start = timezone.make_aware(datetime.combine(monday, time.min))
    rows = calendar_read(user, start=start, end=start + timedelta(days=7), worker=worker)
    days = []
    for i in range(7):
        d = monday + timedelta(days=i)
        days.append(
            {
                "day": d,
                "today": d == today,
                "rows": [a for a in rows if timezone.localdate(a.starts_at) == d],
            }
        )
    query = f"&worker={worker.pk}" if worker else ""
    context = {
        "days": days,
        "monday": monday,
        "sunday": monday + timedelta(days=6),
        "previous": f"?week={monday - timedelta(days=7):%Y-%m-%d}{query}",
        "next": f"?week={monday + timedelta(days=7):%Y-%m-%d}{query}",
        "worker": worker,
        "workers": workers if user.role == Role.COORDINATOR else [],
        "week": f"{monday:%Y-%m-%d}",
        "notice": notice,
        "count": len(rows),
    }
    return render(request, "web/supervision/calendar.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def appointment_new(request, pk):
    user = request.user
    person = _keeper_participant(user, pk)
    referrals = _writable_referrals(user, person)
    form = AppointmentForm(
        request.POST if request.method == "POST" else None,
        referrals=referrals,
        workers=_team_workers(user),
        initial={"on": timezone.localdate(), "with_user": str(user.pk)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            appointment = appointment_book(acting_user=user, **form.service_values())
        except InvalidInput as exc:
            form.add_problems(exc.problems)
        except PolicyDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(
                request,
                f"{appointment.get_kind_display()} booked for "
                f"{person.display_name} on "
                f"{timezone.localtime(appointment.starts_at):%d %B %Y at %H:%M}.",
            )
            return redirect("web:participant", pk=person.pk)
    errors = form.error_list()
    context = {"participant": person, "form": form, "errors": errors, "referrals": referrals}
    return render(
        request, "web/supervision/appointment_new.html", context, status=400 if errors else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def appointment_outcome(request, pk, appointment_pk):
    user = request.user
    person = _keeper_participant(user, pk)
    found = attendance_read(user, person).appointments
    appointment = next((a for a in found if a.pk == appointment_pk), None)
    if appointment is None:
        raise Http404("No such appointment")
    form = OutcomeForm(
        request.POST if request.method == "POST" else None,
        initial={
            "version": appointment.version,
            "outcome": appointment.outcome or None,
            "note": appointment.note,
        },
    )
    if appointment.outcome == Outcome.RESCHEDULED:
        form.add_error(
            None,
            "This appointment was rescheduled: record the outcome of the new "
            "one. Nothing was saved.",
        )
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["outcome"] == Outcome.RESCHEDULED:
                new = appointment_reschedule(
                    appointment,
                    acting_user=user,
                    starts_at=at(data["new_on"], data["new_time"]),
                    note=data["note"],
                    expected_version=data["version"],
                )
                done = f"Rescheduled to {timezone.localtime(new.starts_at):%d %B %Y at %H:%M}."
            else:
                appointment_outcome_record(
                    appointment,
                    acting_user=user,
                    outcome=data["outcome"],
                    note=data["note"],
                    expected_version=data["version"],
                )
                done = f"Recorded as {Outcome(data['outcome']).label.lower()}."
        except InvalidInput as exc:
            form.add_problems(exc.problems)
        except Conflict as exc:
            form.add_error(
                None, f"Someone else changed this appointment: {exc}. Nothing was saved."
            )
        else:
            messages.success(request, done)
            return redirect("web:participant", pk=person.pk)
    errors = form.error_list()
    context = {"participant": person, "appointment": appointment, "form": form, "errors": errors}
    return render(
        request, "web/supervision/appointment_outcome.html", context, status=400 if errors else 200
    )


# Drug and alcohol tests ---------------------------------------------------------------------


def _test_rows(user, tests) -> list[dict]:
    now = timezone.now()
    rows = []
    for t in tests:
        rows.append(
            {
                "test": t,
                "results": [
                    {"label": substance_label(r.substance), "r": r} for r in t.results.all()
                ],
                "turnaround": turnaround_hours(t.collected_at, t.results_received_at),
                "late": turnaround_missed(t.collected_at, t.results_received_at, now=now),
                "may_interpret": user.role in INTERPRETERS,
            }
        )
    return rows


@login_required
def drug_tests(request, pk):
    """A participant's tests the user may read, each with its results, interpretation and
    turnaround; 403 for a user who may read no test of theirs."""
    user = request.user
    person = participant_for_user(user, pk)
    read = drug_tests_read(user, person)
    if not read.readable:
        raise PermissionDenied(decide(user, C.DRUG_TESTS).reason)
    context = {
        "participant": person,
        "rows": _test_rows(user, read.tests),
        "may_record": bool(_writable_referrals(user, person, C.DRUG_TESTS)),
        "may_plan": keeps_attendance(user),
        "target": TURNAROUND_TARGET_HOURS,
    }
    return render(request, "web/supervision/drug_tests.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def drug_test_new(request, pk):
    user = request.user
    person = participant_for_user(user, pk)
    referrals = _writable_referrals(user, person, C.DRUG_TESTS)
    if not referrals:
        raise PermissionDenied(decide(user, C.DRUG_TESTS, action="write").reason)
    now = timezone.localtime()
    initial = {
        "collected_on": now.date(),
        "collected_time": now.strftime("%H:%M"),
        "purpose": "forensic",
        "appointment": request.GET.get("appointment") or None,
    }
    form = DrugTestForm(
        request.POST if request.method == "POST" else None, referrals=referrals, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        values = form.service_values()
        try:
            drug_test_record(acting_user=user, **values)
        except InvalidInput as exc:
            form.add_problems(exc.problems)
        except PolicyDenied as exc:
            form.add_error("purpose", f"Purpose: {exc}")
        else:
            messages.success(request, f"Test recorded for {person.display_name}.")
            return redirect("web:drug_tests", pk=person.pk)
    errors = form.error_list()
    context = {
        "participant": person,
        "form": form,
        "errors": errors,
        "substances": form.substance_rows(),
    }
    return render(
        request, "web/supervision/drug_test_new.html", context, status=400 if errors else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def drug_test_interpretation(request, pk, test_pk):
    user = request.user
    person = participant_for_user(user, pk)
    test = next((t for t in drug_tests_read(user, person).tests if t.pk == test_pk), None)
    if test is None:
        raise Http404("No such test")
    if user.role not in INTERPRETERS:
        raise PermissionDenied(
            "a test result is interpreted by the probation officer or the key worker"
        )
    form = InterpretationForm(
        request.POST if request.method == "POST" else None,
        initial={"interpretation": test.interpretation, "version": test.version},
    )
    if request.method == "POST" and form.is_valid():
        try:
            drug_test_interpret(
                test,
                acting_user=user,
                note=form.cleaned_data["interpretation"],
                expected_version=form.cleaned_data["version"],
            )
        except InvalidInput as exc:
            form.add_problems(exc.problems)
        except Conflict as exc:
            form.add_error(None, f"Someone else changed this test: {exc}. Nothing was saved.")
        else:
            messages.success(request, "Interpretation saved. It is shown with the result.")
            return redirect("web:drug_tests", pk=person.pk)
    errors = form.error_list()
    context = {
        "participant": person,
        "row": _test_rows(user, [test])[0],
        "form": form,
        "errors": errors,
    }
    return render(
        request,
        "web/supervision/drug_test_interpretation.html",
        context,
        status=400 if errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def drug_test_schedule(request, pk):
    """The participant's planned tests from today, and drawing the next four weeks' random
    test days from their phase's frequency."""
    user = request.user
    person = _keeper_participant(user, pk)
    referrals = [
        r
        for r in _writable_referrals(user, person)
        if getattr(r, "episode", None) is not None and r.episode.ended_on is None
    ]
    errors = []
    if request.method == "POST":
        for r in referrals:
            try:
                plan = drug_test_schedule_draw(acting_user=user, referral=r)
            except InvalidInput as exc:
                errors += [("", str(p)) for p in exc.problems]
                continue
            if plan.nothing_drawn:
                messages.info(request, f"{r.programme.name}: {plan.nothing_drawn}.")
            elif plan.created:
                messages.success(
                    request,
                    f"{r.programme.name}: {plan.created} test days drawn for the next four weeks.",
                )
            else:
                messages.info(
                    request,
                    f"{r.programme.name}: the test days already drawn still "
                    "run; nothing new was drawn.",
                )
        if not errors:
            return redirect("web:drug_test_schedule", pk=person.pk)
    start = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    planned = [
        a for a in attendance_read(user, person, since=start).appointments if a.kind == "drug_test"
    ]
    planned.sort(key=lambda a: a.starts_at)
    context = {"participant": person, "planned": planned, "referrals": referrals, "errors": errors}
    return render(
        request, "web/supervision/drug_test_schedule.html", context, status=400 if errors else 200
    )


@login_required
def call_in(request):
    """Who is called in for a test on a day (today unless `day` says another), among the
    participants the user reaches."""
    user = request.user
    _keeper(user)
    today = timezone.localdate()
    day, notice = _parse_day(request.GET.get("day"), today)
    rows = call_in_read(user, day)
    context = {
        "day": day,
        "today": day == today,
        "rows": rows,
        "previous": f"?day={day - timedelta(days=1):%Y-%m-%d}",
        "next": f"?day={day + timedelta(days=1):%Y-%m-%d}",
        "notice": notice,
    }
    return render(request, "web/supervision/call_in.html", context)
