"""Safeguarding pages for the designated safeguarding lead (R19; security.md SEC-17, SEC-18).

Opening a participant's safeguarding record is an explicit act (`break_glass_open`): a reason
code and a written justification, for a limited window, audited, disclosed and notified to the
other leads. Another lead reviews each one afterwards on the "Break-glass reviews" page.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from turnpoint.accounts.models import Role
from turnpoint.errors import InvalidInput
from turnpoint.sharing.models import BreakGlass, Notification
from turnpoint.sharing.reach import (
    break_glass_active,
    participant_for_user,
)
from turnpoint.sharing.rules import PolicyDenied
from turnpoint.sharing.safeguarding import (
    MIN_JUSTIFICATION,
    REASONS,
    WINDOW,
    break_glass_open,
    break_glass_review,
    break_glass_unreviewed,
)

from .consent_forms import BreakGlassForm, ReviewForm

NOT_THE_LEAD = "Only the designated safeguarding lead can open safeguarding records."


def is_safeguarding_lead(user) -> bool:
    return user.role == Role.SAFEGUARDING_LEAD and not user.is_superuser


def _lead_only(user) -> None:
    if not is_safeguarding_lead(user):
        raise PermissionDenied(NOT_THE_LEAD)


@login_required
@require_http_methods(["GET", "POST"])
def break_glass_new(request, pk):
    user = request.user
    person = participant_for_user(user, pk)
    _lead_only(user)
    active = break_glass_active(user, person)
    form = BreakGlassForm(request.POST if request.method == "POST" else None)
    if active is None and request.method == "POST" and form.is_valid():
        try:
            glass = break_glass_open(acting_user=user, participant=person, **form.cleaned_data)
        except InvalidInput as exc:
            form.add_problems(exc.problems)
        except PolicyDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(
                request,
                f"Safeguarding record opened until {glass.expires_at:%H:%M}. "
                "This is recorded and another safeguarding lead will review it.",
            )
            return redirect(f"{reverse('web:participant', args=[person.pk])}#safeguarding")
    errors = form.error_list()
    context = {
        "participant": person,
        "form": form,
        "errors": errors,
        "active": active,
        "hours": int(WINDOW.total_seconds() // 3600),
        "min_justification": MIN_JUSTIFICATION,
    }
    return render(request, "web/safeguarding/open.html", context, status=400 if errors else 200)


def _reviews_page(request, *, failed=None, status=200):
    user = request.user
    rows = []
    for glass in break_glass_unreviewed(user):
        form = failed[1] if failed and failed[0] == glass.pk else None
        rows.append(
            {
                "glass": glass,
                "reason": REASONS.get(glass.reason_code, glass.reason_code),
                "form": form or ReviewForm(auto_id=f"g{glass.pk}-%s"),
            }
        )
    errors = failed[1].error_list(id_prefix=f"g{failed[0]}-") if failed else []
    notifications = list(Notification.objects.filter(recipient=user).order_by("-created_at")[:50])
    unread = [n.pk for n in notifications if n.read_at is None]
    if unread:  # shown now, so read: the page marks them "New" this once
        Notification.objects.filter(pk__in=unread).update(read_at=timezone.now())
    context = {"rows": rows, "notifications": notifications, "errors": errors}
    return render(request, "web/safeguarding/reviews.html", context, status=status)


@login_required
def break_glass_reviews(request):
    _lead_only(request.user)
    return _reviews_page(request)


@login_required
@require_POST
def break_glass_review_page(request, pk):
    user = request.user
    _lead_only(user)
    try:
        glass = break_glass_unreviewed(user).get(pk=int(pk))
    except (ValueError, TypeError, BreakGlass.DoesNotExist) as exc:
        raise Http404("No such break-glass to review") from exc
    form = ReviewForm(request.POST, auto_id=f"g{glass.pk}-%s")
    if form.is_valid():
        try:
            break_glass_review(glass, acting_user=user, note=form.cleaned_data["note"])
        except InvalidInput as exc:
            form.add_problems(exc.problems)
        except PolicyDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(request, f"Review recorded for {glass.participant.reference}.")
            return redirect("web:break_glass_reviews")
    return _reviews_page(request, failed=(glass.pk, form), status=400)
