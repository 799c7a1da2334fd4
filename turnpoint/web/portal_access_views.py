"""Portal access, from the staff side: issue a participant's set-up code, or close their account
(docs/portal.md). The roles that record identity do this for the participants they reach."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from turnpoint.errors import InvalidInput
from turnpoint.portal.services import (
    SETUP_CODE_DAYS,
    portal_access_close,
    portal_account_of,
    portal_setup_code_issue,
    portal_username,
)
from turnpoint.sharing.categories import Category
from turnpoint.sharing.reach import participant_for_user
from turnpoint.sharing.record import read_recorded
from turnpoint.sharing.rules import decide


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def portal_access(request, pk):
    user = request.user
    person = participant_for_user(user, pk)
    allowed = decide(user, Category.IDENTITY, action="write")
    if not allowed:
        raise PermissionDenied(allowed.reason)
    code, errors = None, []
    # The code and the record of this page's read commit together: a code is never issued
    # without the page that shows it being accounted for (SEC-19).
    with transaction.atomic():
        if request.method == "POST":
            action = request.POST.get("action")
            try:
                if action == "issue":
                    _, code = portal_setup_code_issue(acting_user=user, participant=person)
                elif action == "close":
                    portal_access_close(acting_user=user, participant=person)
                    messages.success(request, f"Portal access closed for {person.display_name}.")
                    return redirect("web:portal_access", pk=person.pk)
                else:
                    errors.append(("", "Choose to issue a set-up code or to close portal access."))
            except InvalidInput as exc:
                errors = [("", str(p)) for p in exc.problems]
        read_recorded(user, participants=[person], categories=[Category.IDENTITY], obj=person)
    account = portal_account_of(person)
    context = {
        "participant": person,
        "account": account,
        "code": code,
        "username": portal_username(person),
        "days": SETUP_CODE_DAYS,
        "waiting": account.setup_code_waiting(timezone.now()) if account else False,
        "errors": errors,
    }
    return render(request, "web/portal_access.html", context, status=400 if errors else 200)
