"""Staff pages for a participant's recovery plan (docs/plans.md): the section on the participant
page, making and changing the plan, its history, one version, and two versions side by side.

Who: the plan is read by whoever the rules let read the PLAN category in the programme of its
referral (case work and treatment roles; the court only through a consent or a court order,
which opens only versions agreed within its range), and made and changed by the roles that write
it (coordinator, case manager, the treatment provider's key worker). The participant is reached
through `participant_for_user` (same 404 for missing and forbidden); every read goes through the
selectors `plan_read` and `plan_versions_read`, which record it.
"""

from dataclasses import replace
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from turnpoint.assessments.domains import LifeDomain
from turnpoint.errors import Conflict, InvalidInput, Problem
from turnpoint.language import WordingToCheck
from turnpoint.plans.services import plan_create, plan_revise
from turnpoint.sharing.categories import Category
from turnpoint.sharing.reach import participant_for_user
from turnpoint.sharing.reads import plan_read, plan_versions_read
from turnpoint.sharing.rules import PolicyDenied, decide

from .language_check import show_findings
from .plan_forms import BLANK_GOALS, BLANK_SERVICES, MAX_ROWS, GoalRowForm, PlanForm, ServiceRowForm

C = Category


def may_write_plan(user) -> bool:
    return bool(decide(user, C.PLAN, action="write"))


def _read(user, person, **kwargs):
    try:
        return plan_read(user, person, **kwargs)
    except PolicyDenied as exc:
        raise PermissionDenied(str(exc)) from exc


def _goals_by_domain(version) -> list[dict]:
    """The version's goals grouped under their life domains, in the domains' order."""
    goals = list(version.goals.all())
    return [
        {"label": label, "goals": [g for g in goals if g.domain == value]}
        for value, label in LifeDomain.choices
        if any(g.domain == value for g in goals)
    ]


def participant_page_context(user, person, found) -> dict:
    """What the participant page adds: the current plan for a user who may read it (nothing,
    and no query, for one who may not), read with the page's referrals and openings. As for the
    referral sections, what only a court order opens is left to the history pages, which keep
    to the order's range."""
    openings = replace(found.openings, court_orders=()) if found.openings else None
    try:
        plan = plan_read(user, person, referrals=found.referrals, openings=openings)
    except PolicyDenied:
        return {"plan_section": None}
    current = plan.current
    return {
        "plan_section": {
            "plan": plan.plan,
            "current": current,
            "domains": _goals_by_domain(current) if current is not None else [],
            "may_write": may_write_plan(user) and plan.referral is not None,
        }
    }


@login_required
def plan_history(request, pk):
    user = request.user
    person = participant_for_user(user, pk)
    found = _read(user, person)
    numbers = [v.number for v in found.versions]
    context = {
        "participant": person,
        "found": found,
        "versions": list(reversed(found.versions)),
        "may_write": may_write_plan(user) and found.referral is not None,
        "older": numbers[-2] if len(numbers) > 1 else None,
        "newer": numbers[-1] if numbers else None,
    }
    return render(request, "web/plans/history.html", context)


@login_required
def plan_version(request, pk, number):
    user = request.user
    person = participant_for_user(user, pk)
    try:
        found = plan_versions_read(user, person, [number])
    except PolicyDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    version = found.versions[0]
    context = {
        "participant": person,
        "plan": found.plan,
        "version": version,
        "domains": _goals_by_domain(version),
    }
    return render(request, "web/plans/version.html", context)


def _number(value) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= 2**31 - 1 else None


GOAL_FIELDS = (
    ("domain", "life domain"), ("in_their_words", "the goal"),
    ("harm_reduction", "harm reduction"), ("who_helps", "who helps"), ("by_when", "by when"),
    ("status", "status"),
)  # fmt: skip
SERVICE_FIELDS = (
    ("modality", "kind of service"), ("provider", "provider"),
    ("intensity_hours_per_week", "hours a week"), ("starts_on", "start"), ("ends_on", "end"),
    ("note", "note"),
)  # fmt: skip


def _compared(old_rows, new_rows, fields) -> list[dict]:
    """Rows matched by key, each marked in words: added, removed, changed (naming what
    changed) or unchanged."""
    old = {r.key: r for r in old_rows}
    new = {r.key: r for r in new_rows}
    keys = [r.key for r in old_rows] + [r.key for r in new_rows if r.key not in old]
    out = []
    for key in keys:
        a, b = old.get(key), new.get(key)
        if a is None:
            out.append({"old": None, "new": b, "change": "Added"})
        elif b is None:
            out.append({"old": a, "new": None, "change": "Removed"})
        else:
            changed = [label for name, label in fields if getattr(a, name) != getattr(b, name)]
            what = f"Changed: {', '.join(changed)}" if changed else "Unchanged"
            out.append({"old": a, "new": b, "change": what})
    return out


@login_required
def plan_compare(request, pk):
    user = request.user
    person = participant_for_user(user, pk)
    found = _read(user, person)
    numbers = [v.number for v in found.versions]
    older, newer = _number(request.GET.get("older")), _number(request.GET.get("newer"))
    if older is None or newer is None:
        older, newer = (numbers[-2], numbers[-1]) if len(numbers) > 1 else (None, None)
    context = {"participant": person, "numbers": numbers, "older": older, "newer": newer}
    if older is not None and newer is not None and older != newer:
        older, newer = sorted((older, newer))
        try:
            pair = plan_versions_read(user, person, [older, newer])
        except PolicyDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        a, b = pair.versions
        context.update(
            older=older,
            newer=newer,
            a=a,
            b=b,
            goals=_compared(list(a.goals.all()), list(b.goals.all()), GOAL_FIELDS),
            services=_compared(list(a.services.all()), list(b.services.all()), SERVICE_FIELDS),
        )
    return render(request, "web/plans/compare.html", context)


# Making and changing the plan -------------------------------------------------------------------


def _rows(request, form_class, prefix: str, count_name: str, existing, blank: int) -> list:
    if request.method == "POST":
        count = _number(request.POST.get(count_name)) or 0
        return [
            form_class(request.POST, prefix=f"{prefix}-{i}") for i in range(min(count, MAX_ROWS))
        ]
    rows = [form_class(prefix=f"{prefix}-{i}", initial=form_class.initial_of(r))
            for i, r in enumerate(existing)]  # fmt: skip
    start = len(rows)
    return rows + [form_class(prefix=f"{prefix}-{start + i}") for i in range(blank)]


def _field_label(field: str, goal_rows, service_rows) -> str:
    """A finding's field in words: "Staff note", "Goal 2, who helps"."""
    kind, _, rest = field.partition("[")
    if not rest:
        return PlanForm.base_fields[field].label if field in PlanForm.base_fields else field
    index, _, name = rest.partition("].")
    rows, what = (goal_rows, "Goal") if kind == "goals" else (service_rows, "Service")
    i = int(index)
    position = rows[i][0] + 1 if i < len(rows) else i + 1
    label = rows[i][1].fields[name].label if i < len(rows) else name
    return f"{what} {position}, {label.lower()}"


def _put_problems(form, goals, services, problems) -> None:
    """Each problem next to its field: `goals[1].by_when` on the second goal given (its row on
    the page), a plan-wide one at the top."""
    for problem in problems:
        kind, _, rest = problem.field.partition("[")
        if rest and kind in ("goals", "services"):
            index, _, name = rest.partition("].")
            rows = goals if kind == "goals" else services
            i = int(index)
            if i < len(rows):
                rows[i][1].add_problems([Problem(name, problem.reason)])
                continue
        if problem.field in ("goals", "services"):
            form.add_error(None, problem.reason[:1].upper() + problem.reason[1:])
        else:
            form.add_problems([problem])


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request, pk):
    user = request.user
    person = participant_for_user(user, pk)
    if not may_write_plan(user):
        raise PermissionDenied(decide(user, C.PLAN, action="write").reason)
    found = _read(user, person)
    if found.referral is None:
        raise Http404("No referral to your team to make a plan for")
    current = found.current
    if found.plan is not None and current is None:
        raise PermissionDenied("You cannot see the current version of this plan")
    if current is not None:
        initial = {"agreed_on": timezone.localdate(), "review_on": current.review_on,
                   "agreed_with_participant": current.agreed_with_participant,
                   "summary": current.summary, "staff_note": current.staff_note}  # fmt: skip
        goals_now, services_now = list(current.goals.all()), list(current.services.all())
    else:
        today = timezone.localdate()
        initial = {"agreed_on": today, "review_on": today + timedelta(days=91)}
        goals_now, services_now = [], []
    goal_forms = _rows(request, GoalRowForm, "goal", "goal_rows", goals_now, BLANK_GOALS)
    service_forms = _rows(request, ServiceRowForm, "service", "service_rows", services_now,
                          BLANK_SERVICES)  # fmt: skip
    initial.update(
        expected_version=found.plan.version if found.plan else None,
        goal_rows=len(goal_forms), service_rows=len(service_forms),
    )  # fmt: skip
    form = PlanForm(request.POST if request.method == "POST" else None, initial=initial)
    findings = []
    if request.method == "POST":
        valid = [f.is_valid() for f in (form, *goal_forms, *service_forms)]
        if all(valid):
            goals = [(i, f) for i, f in enumerate(goal_forms) if not f.is_blank()]
            services = [(i, f) for i, f in enumerate(service_forms) if not f.is_blank()]
            values = form.values()
            values.update(goals=[f.value() for _, f in goals],
                          services=[f.value() for _, f in services])  # fmt: skip
            try:
                if found.plan is None:
                    plan_create(acting_user=user, referral=found.referral, **values)
                    done = "Plan made"
                else:
                    version = plan_revise(
                        found.plan, acting_user=user,
                        expected_version=form.cleaned_data.get("expected_version"), **values,
                    )  # fmt: skip
                    done = f"Plan changed: version {version.number} saved"
            except WordingToCheck as exc:
                findings = show_findings(
                    form, exc, lambda field: _field_label(field, goals, services)
                )
                _put_problems(form, goals, services, exc.problems)
            except InvalidInput as exc:
                _put_problems(form, goals, services, exc.problems)
            except Conflict as exc:
                form.add_error(None, f"{str(exc)[:1].upper()}{str(exc)[1:]}. Nothing was saved.")
            else:
                messages.success(request, f"{done} for {person.display_name}.")
                return redirect("web:plan_history", pk=person.pk)
    errors = form.error_list()
    for i, f in enumerate(goal_forms):
        errors += [(a, f"Goal {i + 1}: {m}") for a, m in f.error_list(f"id_goal-{i}-")]
    for i, f in enumerate(service_forms):
        errors += [(a, f"Service {i + 1}: {m}") for a, m in f.error_list(f"id_service-{i}-")]
    context = {
        "participant": person,
        "plan": found.plan,
        "form": form,
        "goal_forms": goal_forms,
        "service_forms": service_forms,
        "findings": findings,
        "errors": errors,
    }
    return render(request, "web/plans/edit.html", context, status=400 if errors else 200)
