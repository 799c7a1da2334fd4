"""Statutory reports to the court (security.md SEC-15): the responsible officer sees what the
report will contain and to whom it goes, then prepares it as a PDF.

The referral is reached through the policy (same 404 for missing and forbidden); who may prepare
the report and what it contains are decided in turnpoint.sharing.statutory through `decide`.
Preparing it is a POST: it records a disclosure to each recipient agency.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from turnpoint.errors import InvalidInput
from turnpoint.sharing.categories import Category
from turnpoint.sharing.record import read_recorded
from turnpoint.sharing.rules import PolicyDenied
from turnpoint.sharing.statutory import (
    ASSESSED,
    RECORDED,
    report_scope,
    statutory_report_generate,
    statutory_report_plan,
)

from .views import _get_referral_for_user

C = Category


@login_required
@require_http_methods(["GET", "POST"])
def statutory_report(request, pk, code):
    user = request.user
    referral = _get_referral_for_user(user, pk)
    person = referral.participant
    try:
        plan = statutory_report_plan(user, referral, code)
    except LookupError as exc:
        raise Http404("No such report") from exc
    except PolicyDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    problems = [f"{p.reason[0].upper()}{p.reason[1:]}." for p in plan.problems]
    if request.method == "POST" and not problems:
        try:
            pdf = statutory_report_generate(acting_user=user, referral=referral, code=code)
        except InvalidInput as exc:  # the episode ended or the team changed since the check
            problems = [f"{p.reason[0].upper()}{p.reason[1:]}." for p in exc.problems]
        else:
            response = HttpResponse(pdf, content_type="application/pdf")
            name = f"{code}-{person.reference}.pdf"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            response["Cache-Control"] = "no-store"
            return response
    read_recorded(user, participants=[person], categories=[C.IDENTITY, C.PATHWAY], obj=person)
    context = {
        "participant": person,
        "referral": referral,
        "plan": plan,
        "declared": plan.declared,
        "scope": report_scope(plan),
        "statutory": [C(c).label for c in plan.statutory],
        "consented": [(C(c).label, ids) for c, ids in plan.consented.items()],
        "unrecorded": [
            C(c).label for c in plan.categories if c not in RECORDED and c not in ASSESSED
        ],
        "errors": [("", p) for p in problems],
    }
    return render(request, "web/reports/statutory.html", context, status=400 if problems else 200)
