"""Staff pages for custody and release (docs/supervision.md, "Custody and release"): a
participant's custody episodes and release plans, recording custody and release, the release
plan's checklist and each task, and the list of releases near now.

Who: custody episodes are legal facts, recorded by the roles that write them (coordinator, case
manager, probation officer) and read by those who read them. A release plan and the release day
it prepares for are pathway; its treatment tasks (opioid substitution treatment, naloxone) are
clinical, set and seen by the treatment provider only; its other tasks are set by the programme
team. The participant is reached through `participant_for_user` (the same 404 for missing and
forbidden) and an episode through the participant's rows read by `reads.custody_read`.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from turnpoint import dates
from turnpoint.errors import Conflict, InvalidInput
from turnpoint.sharing.categories import Category
from turnpoint.sharing.reach import participant_for_user
from turnpoint.sharing.reads import custody_read, release_list_read
from turnpoint.sharing.rules import decide
from turnpoint.supervision.custody import (
    FIRST_APPOINTMENT_WITHIN_DAYS,
    ITEM_BY_CODE,
    ITEMS,
    PLAN_WEEKS_BEFORE_RELEASE,
    RELEASE_WINDOW_DAYS,
    UPCOMING_WEEKS,
    custody_record,
    plan_start_due_on,
    release_plan_start,
    release_record,
    release_task_set,
)

from .custody_forms import CustodyForm, ReleaseForm, ReleaseTaskForm
from .forms import STALE_FORM

C = Category


def _writes(user, category) -> bool:
    return bool(decide(user, category, action="write"))


def may_see_custody(user) -> bool:
    return bool(decide(user, C.LEGAL) or decide(user, C.PATHWAY))


def may_work_releases(user) -> bool:
    """The release list is for those who act on release plans: the programme team and the
    treatment provider."""
    return _writes(user, C.PATHWAY) or _writes(user, C.CLINICAL)


def _row_for(rows, custody_pk):
    for row in rows:
        if row.episode.pk == custody_pk:
            return row
    raise Http404("No such custody episode")


def _refuse(user, category) -> None:
    if not _writes(user, category):
        raise PermissionDenied(decide(user, category, action="write").reason)


def _item_rows(row) -> list[dict]:
    """Every checklist item in order: those the reader may see with their state, the others
    marked as held by whoever keeps them."""
    shown = {i.item: i for i in row.items}
    out = []
    for spec in ITEMS:
        item = shown.get(spec.code)
        out.append({"spec": spec, "item": item,
                    "held_by": "" if item else "the treatment provider"
                    if spec.category == C.CLINICAL else "the programme team"})  # fmt: skip
    return out


@login_required
def custody(request, pk):
    user = request.user
    person = participant_for_user(user, pk)
    if not may_see_custody(user):
        raise PermissionDenied(decide(user, C.LEGAL).reason)
    rows = custody_read(user, person)
    context = {
        "participant": person,
        "rows": rows,
        "may_record": _writes(user, C.LEGAL),
        "window_days": RELEASE_WINDOW_DAYS,
    }
    return render(request, "web/custody/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def custody_new(request, pk):
    user = request.user
    person = participant_for_user(user, pk)
    _refuse(user, C.LEGAL)
    referrals = list(
        person.referrals.filter(programme__in=user.programmes.all()).select_related("programme")
    )
    data = request.POST if request.method == "POST" else None
    form = CustodyForm(data, referrals=referrals)
    if request.method == "POST" and form.is_valid():
        try:
            custody_record(acting_user=user, participant=person, **form.service_values())
        except InvalidInput as exc:
            form.add_problems(exc.problems)
        else:
            messages.success(request, f"Custody recorded for {person.display_name}.")
            return redirect("web:custody", pk=person.pk)
    errors = form.error_list()
    context = {"participant": person, "form": form, "errors": errors}
    return render(request, "web/custody/new.html", context, status=400 if errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def custody_release(request, pk, custody_pk):
    user = request.user
    person = participant_for_user(user, pk)
    _refuse(user, C.LEGAL)
    row = _row_for(custody_read(user, person), custody_pk)
    episode = row.episode
    form = ReleaseForm(
        request.POST if request.method == "POST" else None,
        initial={"expected_version": episode.version, "released_on": timezone.localdate()},
    )
    status = 200
    # A release already recorded is said once, above the form, whether or not a form came in.
    already = []
    if episode.released_on is not None:
        already = [("", f"The release on {dates.spoken(episode.released_on)} is already "
                        "recorded. Nothing was saved.")]  # fmt: skip
    elif request.method == "POST" and form.is_valid():
        try:
            release_record(episode, acting_user=user, released_on=form.cleaned_data["released_on"],
                           expected_version=form.cleaned_data["expected_version"])  # fmt: skip
        except Conflict:
            form.add_error(None, STALE_FORM)
            status = 409
        except InvalidInput as exc:
            form.add_problems(exc.problems)
        else:
            messages.success(request, f"Release recorded for {person.display_name}.")
            return redirect("web:release_plan", pk=person.pk, custody_pk=episode.pk)
    errors = already or form.error_list()
    context = {"participant": person, "row": row, "form": form, "errors": errors}
    if errors and status == 200:
        status = 400
    return render(request, "web/custody/release.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def release_plan(request, pk, custody_pk):
    """The checklist; a POST starts the plan (the programme team)."""
    user = request.user
    person = participant_for_user(user, pk)
    if not decide(user, C.PATHWAY):
        raise PermissionDenied(decide(user, C.PATHWAY).reason)
    row = _row_for(custody_read(user, person), custody_pk)
    errors = []
    if request.method == "POST":
        _refuse(user, C.PATHWAY)
        try:
            release_plan_start(row.episode, acting_user=user)
        except InvalidInput as exc:
            errors = [("", str(p)) for p in exc.problems]
        else:
            messages.success(request, "Release plan started.")
            return redirect("web:release_plan", pk=person.pk, custody_pk=row.episode.pk)
    writable = {i.code for i in ITEMS if _writes(user, i.category)}
    context = {
        "participant": person,
        "row": row,
        "items": _item_rows(row) if row.plan else [],
        "writable": writable,
        "may_start": _writes(user, C.PATHWAY) and row.episode.released_on is None,
        "start_due_on": plan_start_due_on(row.episode.expected_release_on),
        "weeks_before": PLAN_WEEKS_BEFORE_RELEASE,
        "window_days": RELEASE_WINDOW_DAYS,
        "errors": errors,
    }
    return render(request, "web/custody/plan.html", context, status=400 if errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def release_task(request, pk, custody_pk, item):
    user = request.user
    person = participant_for_user(user, pk)
    spec = ITEM_BY_CODE.get(item)
    if spec is None:
        raise Http404("No such task")
    _refuse(user, spec.category)
    row = _row_for(custody_read(user, person), custody_pk)
    if row.plan is None:
        raise Http404("No release plan started")
    current = next((i for i in row.items if i.item == item), None)
    if current is None:
        raise Http404("No such task")
    initial = {"expected_version": row.plan.version, "status": current.status,
               "appointment_on": current.appointment_on, "note": current.note}  # fmt: skip
    form = ReleaseTaskForm(request.POST if request.method == "POST" else None, initial=initial,
                           appointment=spec.appointment)  # fmt: skip
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            release_task_set(
                row.plan, item, acting_user=user, status=data["status"],
                appointment_on=data.get("appointment_on"), note=data.get("note") or "",
                expected_version=data["expected_version"],
            )  # fmt: skip
        except Conflict:
            form.add_error(None, STALE_FORM)
            status = 409
        except InvalidInput as exc:
            form.add_problems(exc.problems)
        else:
            messages.success(request, f"{spec.label}: saved.")
            return redirect("web:release_plan", pk=person.pk, custody_pk=row.episode.pk)
    errors = form.error_list()
    if errors and status == 200:
        status = 400
    context = {"participant": person, "row": row, "spec": spec, "item": current, "form": form,
               "errors": errors, "within_days": FIRST_APPOINTMENT_WITHIN_DAYS}  # fmt: skip
    return render(request, "web/custody/task.html", context, status=status)


@login_required
def releases(request):
    user = request.user
    if not may_work_releases(user):
        raise PermissionDenied("Only the programme team and the treatment provider work on "
                               "release plans")  # fmt: skip
    rows = release_list_read(user)
    context = {"rows": rows, "weeks": UPCOMING_WEEKS, "window_days": RELEASE_WINDOW_DAYS}
    return render(request, "web/custody/releases.html", context)
