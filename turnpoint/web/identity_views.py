"""Changing a participant's identity details on a page (docs/web.md): names, date of birth, sex,
ethnic group and the agreement to equity monitoring, through `people.services.participant_update`,
which keeps the earlier name and date of birth with the reason given. Refused, the form comes back
with the problems next to the fields and nothing saved."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from turnpoint.errors import Conflict, InvalidInput
from turnpoint.people.services import participant_update
from turnpoint.sharing.categories import Category
from turnpoint.sharing.reach import participant_for_user, referrals_visible_to
from turnpoint.sharing.reads import participants_list
from turnpoint.sharing.rules import Decision, PolicyDenied, decide

from .forms import ParticipantDetailsForm

STALE = (
    "Someone else changed these details since you opened the page. Nothing was saved. Reload "
    "the page to see what they saved, then make your change again if it is still needed."
)


def may_change_details(user, programmes) -> Decision:
    """Whether the user may change a participant's identity details in one of `programmes` (the
    programmes of the participant's referrals the user reaches): allowed in any of them, or the
    first refusal."""
    decisions = [decide(user, Category.IDENTITY, programme=p, action="write") for p in programmes]
    decisions = decisions or [decide(user, Category.IDENTITY, action="write")]
    return next((d for d in decisions if d), decisions[0])


@login_required
@require_http_methods(["GET", "POST"])
def participant_edit(request, pk):
    user = request.user
    person = participant_for_user(user, pk)
    referrals = referrals_visible_to(user).filter(participant=person).select_related("programme")
    allowed = may_change_details(user, {r.programme for r in referrals})
    if not allowed:
        raise PermissionDenied(allowed.reason)
    form = ParticipantDetailsForm(
        request.POST if request.method == "POST" else None,
        initial=ParticipantDetailsForm.initial_of(person),
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            values = form.changed_values(person)
            version = form.cleaned_data["expected_version"]
            try:
                if values:
                    participant_update(
                        person, acting_user=user, expected_version=version,
                        reason=form.cleaned_data["reason"], **values,
                    )  # fmt: skip
                elif version != person.version:
                    raise Conflict("the participant changed since the page was opened")
            except Conflict:
                form.add_error(None, STALE)
                status = 409
            except InvalidInput as exc:
                form.add_problems(exc.problems)
            except PolicyDenied as exc:
                raise PermissionDenied(str(exc)) from exc
            else:
                if values:
                    messages.success(request, f"Details changed for {person.display_name}. "
                                     "The earlier values are kept.")  # fmt: skip
                else:
                    messages.success(request, f"Nothing was changed for {person.display_name}: "
                                     "the details you saved are the ones recorded.")  # fmt: skip
                return redirect("web:participant", pk=person.pk)
    # The form shows the participant's identity: read and recorded like any list of them.
    participants_list(user, [person], [Category.IDENTITY])
    context = {"participant": person, "form": form, "errors": form.error_list()}
    return render(request, "web/participant_edit.html", context, status=status)
