"""Correcting or withdrawing a recorded step, and editing a referral's offence facts
(docs/journeys.md, "Correcting a step"). Each page reads what it shows through the selectors,
writes through `journeys.corrections` and, refused, shows the form again with the problems next
to the fields; nothing is saved then."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from turnpoint.errors import Conflict, InvalidInput
from turnpoint.journeys.corrections import (
    correctable_fields,
    may_correct,
    referral_update,
    transition_correct,
    transition_withdraw,
)
from turnpoint.journeys.effective import journey_of
from turnpoint.journeys.models import State, Transition
from turnpoint.sharing.categories import Category
from turnpoint.sharing.reach import not_found, referrals_visible_to
from turnpoint.sharing.reads import journey_rows_read, transitions_read
from turnpoint.sharing.rules import PolicyDenied, decide

from .correction_forms import CorrectStepForm, OffenceFactsForm, WithdrawStepForm
from .timeline import timeline_entries
from .views import _get_referral_for_user

C = Category
STALE = (
    "Someone else changed this referral since you opened the page. Nothing was saved. Check the "
    "timeline and make your correction again if it is still needed."
)


def _step_for(user, referral_pk, step_pk):
    """(referral, the step as recorded, the step in effect), read and recorded as a pathway
    read; 404 when the step is not one of this referral's steps in effect that the user may
    correct."""
    referral = _get_referral_for_user(user, referral_pk)
    rows, categories = transitions_read(
        user, referral, referral.transitions.select_related("acting_user"),
        lambda cats: cats & {C.PATHWAY},
    )  # fmt: skip
    if C.PATHWAY not in categories:
        raise PermissionDenied(decide(user, C.PATHWAY, programme=referral.programme).reason)
    recorded = next((t for t in rows if t.pk == step_pk), None)
    journey = journey_of(rows)
    current = next((t for t in journey.steps if t.pk == step_pk), None)
    if recorded is None or current is None or recorded.kind == "created":
        raise not_found(Transition, step_pk, "step")
    if not may_correct(user, recorded, referral.programme):
        raise PermissionDenied(
            "Only the person who recorded this step or a coordinator of the team can correct it."
        )
    return referral, recorded, current, journey, rows


def _step_title(referral, step, rows) -> str:
    phases = {p.number: p.name for p in referral.programme.phases.all()}
    entries = timeline_entries([step], programme=referral.programme, phase_names=phases)
    return entries[0].title


def _saved(form, write, *, stale: str = "") -> int | None:
    """Run the service call `write`; None when it saved, else the page's status with the refusal
    put on the form (stale version 409, refused values 400; a policy refusal is a 403 page)."""
    try:
        write()
    except Conflict:
        form.add_error(None, stale or STALE)
        return 409
    except InvalidInput as exc:
        form.add_problems(exc.problems)
        return 400
    except PolicyDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    return None


def _back(referral) -> str:
    return reverse("web:participant", args=[referral.participant_id]) + f"#referral-{referral.pk}"


@login_required
@require_http_methods(["GET", "POST"])
def step_correct(request, pk, step_pk):
    user = request.user
    referral, recorded, current, _journey, rows = _step_for(user, pk, step_pk)
    fields = correctable_fields(current)
    initial = {
        "expected_version": referral.version,
        "occurred_on": current.occurred_on,
        "reason_code": current.reason_code,
        "step_reason": current.reason,
        **{k: v for k, v in (current.data or {}).items() if k in fields},
    }
    form = CorrectStepForm(
        request.POST if request.method == "POST" else None,
        fields=fields,
        exit_types=referral.programme.exit_types,
        initial=initial,
        rules_apply=current.from_state == State.EPISODE,
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            values = form.service_values()
            refused = _saved(form, lambda: transition_correct(
                recorded, acting_user=user,
                expected_version=form.cleaned_data["expected_version"], **values,
            ))  # fmt: skip
            if refused is None:
                messages.success(request, "Step corrected. The step as first recorded stays in "
                                 "the timeline.")  # fmt: skip
                return redirect(_back(referral))
            status = refused
    context = {
        "referral": referral,
        "participant": referral.participant,
        "step": current,
        "title": _step_title(referral, recorded, rows),
        "form": form,
        "errors": form.error_list(),
        "back": _back(referral),
    }
    return render(request, "web/corrections/correct.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def step_withdraw(request, pk, step_pk):
    user = request.user
    referral, recorded, current, journey, rows = _step_for(user, pk, step_pk)
    form = WithdrawStepForm(
        request.POST if request.method == "POST" else None,
        initial={"expected_version": referral.version},
    )
    latest = journey.steps[-1].pk == current.pk
    status = 200
    if not latest:
        form.add_error(None, "Only the latest step can be withdrawn: withdraw the steps after "
                       "it first. Nothing was saved.")  # fmt: skip
        status = 400 if request.method == "POST" else 200
    elif request.method == "POST":
        status = 400
        if form.is_valid():
            refused = _saved(form, lambda: transition_withdraw(
                recorded, acting_user=user, reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["expected_version"],
            ))  # fmt: skip
            if refused is None:
                messages.success(request, "Step withdrawn. It stays in the timeline, marked "
                                 "withdrawn.")  # fmt: skip
                return redirect(_back(referral))
            status = refused
    context = {
        "referral": referral,
        "participant": referral.participant,
        "step": current,
        "title": _step_title(referral, recorded, rows),
        "latest": latest,
        "form": form,
        "errors": form.error_list(),
        "back": _back(referral),
    }
    return render(request, "web/corrections/withdraw.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def offence_facts_edit(request, pk):
    user = request.user
    referral = _get_referral_for_user(user, pk)
    allowed = decide(user, C.LEGAL, programme=referral.programme, action="write")
    if not allowed:
        raise PermissionDenied(allowed.reason)
    # The form shows the recorded facts: read and recorded like the participant page's.
    journey_rows_read(user, referrals_visible_to(user).filter(pk=referral.pk)
                      .select_related("programme"), lambda cats: cats & {C.LEGAL})  # fmt: skip
    initial = {
        "expected_version": referral.version,
        "offence_category": referral.offence_category,
        "drug_related_type": referral.drug_related_type,
        "offence_date": referral.offence_date,
        "offence_summary": referral.offence_summary,
    }
    form = OffenceFactsForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            values = form.service_values()
            refused = _saved(form, lambda: referral_update(
                referral, acting_user=user,
                expected_version=form.cleaned_data["expected_version"], **values,
            ), stale="Someone else changed this referral since you opened the page. Nothing was "
                     "saved. Reload the page and try again.")  # fmt: skip
            if refused is None:
                messages.success(request, "Offence details saved. The earlier values are kept.")
                return redirect(_back(referral))
            status = refused
    context = {
        "referral": referral,
        "participant": referral.participant,
        "form": form,
        "errors": form.error_list(),
        "back": _back(referral),
    }
    return render(request, "web/corrections/offence.html", context, status=status)
