"""Staff pages for review hearings (docs/supervision.md, "Reviews"; docs/web.md): the docket of a
date and judge with each participant's progress report summary and the time with the judge,
scheduling a docket by the programmes' rules, recording a hearing, and the printable progress
report.

Who: the judge sees their own docket and records their hearings; the coordinator and the case
manager see every judge's docket of their team and schedule it, and prepare the progress
reports; the coordinator may also record a hearing. The report shows only what the rules let
the court see (`sharing.progress_reports`).
"""

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from turnpoint.accounts.models import Role, User
from turnpoint.errors import Conflict, InvalidInput
from turnpoint.programmes.models import ReviewMode
from turnpoint.sharing.categories import Category
from turnpoint.sharing.progress_reports import (
    PREPARERS,
    docket_read,
    progress_report_generate,
    progress_report_read,
)
from turnpoint.sharing.reach import referrals_visible_to
from turnpoint.sharing.reads import participants_list
from turnpoint.sharing.rules import PolicyDenied
from turnpoint.supervision.models import HearingStatus
from turnpoint.supervision.reviews import (
    MINUTES_TARGET,
    RECORDERS,
    mean_minutes_per_participant,
    review_docket_schedule,
    review_hearing_reached,
    review_hearing_record,
    review_hearing_request,
)

from .review_forms import HearingForm, RequestForm, ScheduleForm


def _parse_day(value, default: date) -> tuple[date, str]:
    if not value:
        return default, ""
    try:
        return date.fromisoformat(value), ""
    except ValueError:
        return default, "That date could not be read, so today's docket is shown."


def _team_judges(user) -> list:
    return list(
        User.objects.filter(role=Role.JUDGE, is_active=True,
                            programmes__in=user.programmes.all())
        .distinct().order_by("last_name", "first_name", "pk")
    )  # fmt: skip


def _docket_url(day, judge) -> str:
    query = f"?day={day:%Y-%m-%d}" + (f"&judge={judge.pk}" if judge is not None else "")
    return reverse("web:docket") + query


def _requestable(user, judge) -> list:
    """The running episodes the user reaches, in programmes of the judge's team with court
    reviews, for a hearing at the court's request; their names read and recorded as a list."""
    rows = list(
        referrals_visible_to(user)
        .filter(programme__in=judge.programmes.exclude(review_mode=ReviewMode.NONE),
                episode__isnull=False, episode__ended_on__isnull=True)
        .select_related("participant", "programme")
        .order_by("participant__family_name", "participant__given_name", "pk")
    )  # fmt: skip
    programmes = {r.participant_id: r.programme for r in rows}
    participants_list(user, [r.participant for r in rows], [Category.IDENTITY],
                      programme_by_participant=programmes)  # fmt: skip
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def docket(request):
    """The hearings of a day before a judge (the judge: their own; the coordinator and case
    manager: the judge chosen, or every judge of the team), with scheduling by rule."""
    user = request.user
    if user.role not in PREPARERS | {Role.JUDGE}:
        raise PermissionDenied("dockets are for the judge and the coordinator or case manager")
    today = timezone.localdate()
    day, notice = _parse_day(request.GET.get("day"), today)
    judges = [user] if user.role == Role.JUDGE else _team_judges(user)
    judge = None
    if user.role == Role.JUDGE:
        judge = user
    elif request.GET.get("judge"):
        judge = next((j for j in judges if str(j.pk) == request.GET["judge"]), None)
        if judge is None:
            notice = "That judge is not in your team, so every judge's hearings are shown."
    requesting = request.method == "POST" and request.POST.get("action") == "request"
    form = ScheduleForm(request.POST if request.method == "POST" and not requesting else None)
    referrals = _requestable(user, judge) if user.role in PREPARERS and judge else []
    asked = RequestForm(request.POST if requesting else None, prefix="request",
                        referrals=referrals)  # fmt: skip
    errors = []
    if request.method == "POST" and user.role not in PREPARERS:
        raise PermissionDenied("dockets are scheduled by the coordinator or case manager")
    if requesting:
        if judge is None:
            asked.add_error(
                None, "Choose the judge before scheduling a hearing. Nothing was saved."
            )
        elif asked.is_valid():
            try:
                hearing = review_hearing_request(
                    acting_user=user, referral=int(asked.cleaned_data["referral"]), judge=judge,
                    held_on=day, place=asked.cleaned_data["place"],
                )  # fmt: skip
            except InvalidInput as exc:
                asked.add_problems(exc.problems)
            else:
                name = hearing.participant.display_name
                messages.success(request, f"A hearing of {name} is on the docket.")
                return redirect(_docket_url(day, judge))
        errors = asked.error_list(id_prefix="id_request-")
    elif request.method == "POST":
        if judge is None:
            form.add_error(None, "Choose the judge before scheduling a docket. Nothing was saved.")
        elif form.is_valid():
            try:
                done = review_docket_schedule(acting_user=user, judge=judge, held_on=day,
                                              place=form.cleaned_data["place"])  # fmt: skip
            except InvalidInput as exc:
                form.add_problems(exc.problems)
            else:
                messages.success(request, f"{len(done.created)} hearing"
                                 f"{'' if len(done.created) == 1 else 's'} scheduled by rule; "
                                 f"{len(done.already)} already on the docket; "
                                 f"{len(done.not_due)} not yet due.")  # fmt: skip
                return redirect(_docket_url(day, judge))
        errors = form.error_list()
    hearings = docket_read(user, judge=judge, day=day)
    mean = mean_minutes_per_participant(hearings).get(day)
    context = {
        "day": day, "judge": judge, "judges": judges, "hearings": hearings, "form": form,
        "errors": errors, "notice": notice, "mean": mean, "target": MINUTES_TARGET,
        "asked": asked, "requestable": referrals,
        "below_target": mean is not None and mean < MINUTES_TARGET,
        "schedules": user.role in PREPARERS, "records": user.role in RECORDERS,
        "previous": _docket_url(day - timedelta(days=1), judge),
        "next": _docket_url(day + timedelta(days=1), judge),
    }  # fmt: skip
    return render(request, "web/reviews/docket.html", context, status=400 if errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def review_hearing(request, pk):
    """Record a hearing: held, adjourned or cancelled, the minutes with the judge and the
    court's decision."""
    user = request.user
    hearing = review_hearing_reached(user, pk)
    if user.role not in RECORDERS:
        raise PermissionDenied("hearings are recorded by the judge or the coordinator")
    initial = {
        "version": hearing.version, "status": hearing.status if hearing.status != "scheduled"
        else None, "minutes_with_judge": hearing.minutes_with_judge or "",
        "outcome": hearing.outcome or None, "decision": hearing.decision,
    }  # fmt: skip
    form = HearingForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            review_hearing_record(
                hearing, acting_user=user, status=data["status"],
                minutes_with_judge=data["minutes_with_judge"], outcome=data["outcome"],
                decision=data["decision"], expected_version=data["version"],
            )  # fmt: skip
        except InvalidInput as exc:
            form.add_problems(exc.problems)
        except Conflict as exc:
            form.add_error(None, f"Someone else changed this hearing: {exc}. Nothing was saved.")
        else:
            said = HearingStatus(data["status"]).label.lower()
            name = hearing.participant.display_name
            messages.success(request, f"The hearing of {name} is recorded as {said}.")
            return redirect(_docket_url(hearing.held_on, hearing.judge))
    errors = form.error_list()
    context = {"hearing": hearing, "form": form, "errors": errors,
               "back": _docket_url(hearing.held_on, hearing.judge)}  # fmt: skip
    return render(request, "web/reviews/hearing.html", context, status=400 if errors else 200)


@login_required
@require_http_methods(["POST"])
def progress_report_new(request, pk):
    """Prepare the court's progress report for a hearing, then show it."""
    try:
        report = progress_report_generate(acting_user=request.user, hearing=pk)
    except PolicyDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    messages.success(request, "The progress report was prepared and recorded as shared with "
                     "the court.")  # fmt: skip
    return redirect("web:progress_report", pk=report.pk)


@login_required
def progress_report(request, pk):
    """A progress report as the court received it, to read or print."""
    report = progress_report_read(request.user, pk)
    period = report.content.get("period", {})
    context = {"report": report, "hearing": report.hearing, "content": report.content,
               "period_from": date.fromisoformat(period["from"]) if period.get("from") else None,
               "period_to": date.fromisoformat(period["to"]) if period.get("to") else None,
               "back": _docket_url(report.hearing.held_on, report.hearing.judge)}  # fmt: skip
    return render(request, "web/reviews/progress_report.html", context)
