"""Staff pages for outcomes (docs/outcomes.md): record an outcome event of a participant, mark a
follow-up done, missed or declined, and the list of follow-ups due. The participant page shows
the participant's outcomes the user may read (`outcomes_context`).

Who: an event is recorded by a user who may write its category (legal facts for arrests,
charges, convictions and custody: the case work roles; outcomes for the others: the case work
roles and the clinician); the kinds offered are those. Follow-ups are outcomes. The participant
is reached through `participant_for_user` and a follow-up through `reads.follow_up_read` (the
same 404 for missing and forbidden).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from turnpoint.errors import Conflict, InvalidInput
from turnpoint.outcomes.models import KIND_CATEGORY, EventKind, FollowUpStatus
from turnpoint.outcomes.services import follow_up_mark, outcome_event_record
from turnpoint.sharing.categories import Category
from turnpoint.sharing.reach import participant_for_user, team_programme_ids
from turnpoint.sharing.reads import follow_up_read, follow_ups_due_read, participant_outcomes_read
from turnpoint.sharing.rules import decide

from .outcome_forms import FollowUpForm, OutcomeEventForm

C = Category
DUE_WITHIN_DAYS = 30


def kinds_writable(user) -> list[str]:
    """The kinds of event this user may record: those of a category the role writes."""
    return [k for k in EventKind.values if decide(user, KIND_CATEGORY[k], action="write")]


def outcomes_context(user, person, record) -> dict:
    """The participant page's "Outcomes" section: the events and follow-ups the user may read
    (read and recorded with the page's referrals and openings) and whether they may record."""
    found = participant_outcomes_read(user, person, record)
    today = timezone.localdate()
    return {
        "outcomes": {
            "shown": bool(found.readable & {C.LEGAL, C.OUTCOMES}),
            "events": found.events,
            "follow_ups": [f for f in found.follow_ups if f.status == FollowUpStatus.DUE],
            "today": today,
            "may_record": bool(kinds_writable(user)),
            "may_mark": bool(decide(user, C.OUTCOMES, action="write")),
        }
    }


@login_required
@require_http_methods(["GET", "POST"])
def outcome_event_new(request, pk):
    user = request.user
    person = participant_for_user(user, pk)
    kinds = kinds_writable(user)
    if not kinds:
        raise PermissionDenied(decide(user, C.OUTCOMES, action="write").reason)
    # The participant's referrals to the user's team, to record the event for one of them.
    referrals = list(
        person.referrals.filter(programme__in=team_programme_ids(user))
        .select_related("programme")
        .order_by("-referral_date", "-id")
    )
    form = OutcomeEventForm(
        request.POST if request.method == "POST" else None, kinds=kinds, referrals=referrals
    )
    if request.method == "POST" and form.is_valid():
        try:
            event = outcome_event_record(acting_user=user, participant=person,
                                         **form.service_values())  # fmt: skip
        except InvalidInput as exc:
            form.add_problems(exc.problems)
        else:
            messages.success(request, f"{event.get_kind_display()} recorded for "
                                      f"{person.display_name}.")  # fmt: skip
            return redirect(reverse("web:participant", args=[person.pk]) + "#outcomes")
    errors = form.error_list()
    context = {"participant": person, "form": form, "errors": errors}
    return render(request, "web/outcomes/new.html", context, status=400 if errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def follow_up_mark_page(request, pk):
    user = request.user
    follow_up = follow_up_read(user, pk)
    person = follow_up.participant
    if not decide(user, C.OUTCOMES, programme=follow_up.referral.programme, action="write"):
        raise PermissionDenied(decide(user, C.OUTCOMES, action="write").reason)
    form = FollowUpForm(request.POST if request.method == "POST" else None)
    if follow_up.status != FollowUpStatus.DUE:
        form.add_error(None, f"This follow-up is already {follow_up.get_status_display().lower()}."
                             " Nothing was saved.")  # fmt: skip
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            follow_up_mark(follow_up, acting_user=user, status=data["status"],
                           done_on=data["done_on"], reason=data["reason"],
                           expected_version=follow_up.version)  # fmt: skip
        except InvalidInput as exc:
            form.add_problems(exc.problems)
        except Conflict as exc:
            form.add_error(None, str(exc))
        else:
            marked = FollowUpStatus(data["status"]).label.lower()
            messages.success(request, f"The {follow_up.months}-month follow-up of "
                                      f"{person.display_name} is marked {marked}.")  # fmt: skip
            return redirect("web:follow_ups_due")
    errors = form.error_list()
    context = {"participant": person, "follow_up": follow_up, "form": form, "errors": errors}
    return render(request, "web/outcomes/follow_up.html", context, status=400 if errors else 200)


@login_required
def follow_ups_due(request):
    """For the roles that read outcomes (the case work roles and the clinician); others 403."""
    if not decide(request.user, C.OUTCOMES):
        raise PermissionDenied(decide(request.user, C.OUTCOMES).reason)
    today = timezone.localdate()
    rows = follow_ups_due_read(request.user, today=today, days=DUE_WITHIN_DAYS)
    context = {"rows": rows, "today": today, "days": DUE_WITHIN_DAYS}
    return render(request, "web/outcomes/due.html", context)
