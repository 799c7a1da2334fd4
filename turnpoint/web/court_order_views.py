"""Staff pages for court orders and subpoenas (security.md SEC-16; 42 CFR 2.61, 2.64): list a
participant's, record one, end one.

Who: the programme team roles that record legal facts (`decide(user, LEGAL, action="write")`:
coordinator, case manager, probation officer), because court paperwork is served on and kept by
the programme team. Court roles are the recipients of what an order opens, not its keepers;
administrators and analysts reach no identifiable participant. The participant is reached
through `participant_for_user` (same 404 for missing and forbidden) and an order through its
participant.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from turnpoint.errors import InvalidInput
from turnpoint.sharing.categories import Category, Purpose
from turnpoint.sharing.court_orders import CourtOrderKind, court_order_end, court_order_record
from turnpoint.sharing.reach import participant_for_user
from turnpoint.sharing.reads import court_orders_read
from turnpoint.sharing.rules import decide

from .court_order_forms import CourtOrderForm, EndCourtOrderForm

C = Category


def may_manage_court_orders(user) -> bool:
    return bool(decide(user, C.LEGAL, action="write"))


def _keeper_participant(user, pk):
    person = participant_for_user(user, pk)
    if not may_manage_court_orders(user):
        raise PermissionDenied(decide(user, C.LEGAL, action="write").reason)
    return person


def _order_for(person, order_pk):
    try:
        return person.court_orders.select_related("recipient_agency", "created_by").get(
            pk=int(order_pk)
        )
    except (ValueError, TypeError) as exc:
        raise Http404("No such court order") from exc
    except person.court_orders.model.DoesNotExist as exc:
        raise Http404("No such court order") from exc


def _status(order, now) -> tuple[str, str]:
    if order.ended_at is not None:
        return "Ended", "govuk-tag--red"
    if order.kind == CourtOrderKind.SUBPOENA:
        return "Subpoena: opens nothing", "govuk-tag--yellow"
    if order.expires_at <= now:
        return "Expired", "govuk-tag--grey"
    return "In force", "govuk-tag--green"


def _labels(choices, values) -> list[str]:
    return [choices(v).label for v in values if v in choices.values]


@login_required
def court_orders(request, pk):
    user = request.user
    person = _keeper_participant(user, pk)
    now = timezone.now()
    rows = []
    for order in court_orders_read(user, person):
        label, tag = _status(order, now)
        rows.append(
            {
                "order": order,
                "status": label,
                "tag": tag,
                "categories": _labels(Category, order.categories),
                "purposes": _labels(Purpose, order.purposes),
            }
        )
    return render(request, "web/court_orders/list.html", {"participant": person, "rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def court_order_new(request, pk):
    user = request.user
    person = _keeper_participant(user, pk)
    form = CourtOrderForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            order = court_order_record(acting_user=user, participant=person,
                                       **form.service_values())  # fmt: skip
        except InvalidInput as exc:
            form.add_problems(exc.problems)
        else:
            what = "Subpoena" if order.kind == CourtOrderKind.SUBPOENA else "Court order"
            messages.success(request, f"{what} {order.reference} recorded for "
                                      f"{person.display_name}.")  # fmt: skip
            return redirect("web:court_orders", pk=person.pk)
    errors = form.error_list()
    context = {"participant": person, "form": form, "errors": errors}
    return render(request, "web/court_orders/new.html", context, status=400 if errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def court_order_end_page(request, pk, order_pk):
    user = request.user
    person = _keeper_participant(user, pk)
    order = _order_for(person, order_pk)
    form = EndCourtOrderForm(request.POST if request.method == "POST" else None)
    if order.ended_at is not None:
        form.add_error(None, "This court order has already ended. Nothing was saved.")
    elif request.method == "POST" and form.is_valid():
        try:
            court_order_end(order, acting_user=user, reason=form.cleaned_data["reason"])
        except InvalidInput as exc:
            form.add_problems(exc.problems)
        else:
            messages.success(request, f"{order.reference} ended. Nothing more opens under it.")
            return redirect("web:court_orders", pk=person.pk)
    errors = form.error_list()
    context = {"participant": person, "order": order, "form": form, "errors": errors}
    return render(request, "web/court_orders/end.html", context, status=400 if errors else 200)
