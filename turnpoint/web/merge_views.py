"""One person, one record on the staff pages: a participant's identifiers and contact details,
likely duplicates on intake, and merging two records of the same person (docs/web.md)."""

import re

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from turnpoint.accounts.models import Role
from turnpoint.errors import Conflict, InvalidInput, Problem
from turnpoint.people.identifiers import (
    contact_add,
    contact_withdraw,
    identifier_add,
    identifier_withdraw,
)
from turnpoint.people.merge import (
    UNMERGE_PERIOD,
    may_unmerge,
    participant_merge,
    unmerge_until,
)
from turnpoint.people.merge import participant_unmerge as unmerge
from turnpoint.people.models import (
    IDENTIFIER_CATEGORY,
    ContactDetail,
    ContactKind,
    IdentifierKind,
)
from turnpoint.sharing.reach import (
    participant_for_user,
    participants_visible_to,
    referrals_visible_to,
)
from turnpoint.sharing.reads import (
    duplicate_candidates,
    merges_kept,
    participant_detail_read,
    participant_details_read,
    participants_list,
)
from turnpoint.sharing.rules import PolicyDenied, decide

from .forms import GovukForm, _required

REFERENCE = re.compile(r"^(?:tp-?)?0*(\d{1,9})$", re.IGNORECASE)


def _may_merge(user) -> bool:
    return user.role == Role.COORDINATOR and bool(decide(user, "identity", action="write"))


def participant_page_context(user, person, openings=None) -> dict:
    """What the participant page adds: identifiers and contact details the user may read, the
    merge action for coordinators, and the merges into this record (undoable for a while)."""
    rows = participant_details_read(user, person, openings, withdrawn=True)
    writes = {c for c in {*IDENTIFIER_CATEGORY.values(), "identity"}
              if decide(user, c, action="write")}  # fmt: skip
    for row in (*rows[0], *rows[1]):
        row.may_withdraw = _category(row) in writes and row.withdrawn_at is None
        row.withdraw_kind = "contact" if isinstance(row, ContactDetail) else "identifier"
    identifiers, contacts = ([r for r in found if r.withdrawn_at is None] for found in rows)
    withdrawn = [r for found in rows for r in found if r.withdrawn_at is not None]
    may_merge = _may_merge(user)
    merges = merges_kept(person) if may_merge else []
    for m in merges:
        m.undo_until = unmerge_until(m) if may_unmerge(m) else None
    return {"identifiers": identifiers, "contacts": contacts, "withdrawn_details": withdrawn,
            "may_merge": may_merge, "merges": merges,
            "may_add_details": bool(_writable_kinds(user))}  # fmt: skip


def _category(row) -> str:
    return "identity" if isinstance(row, ContactDetail) else row.category


class WithdrawDetailForm(GovukForm):
    reason = forms.CharField(
        label="Why you are withdrawing it",
        help_text="Say what was recorded in error, for example 'Mistyped: the right number is "
        "added next'. It stays in the record's history, marked withdrawn.",
        max_length=2000,
        error_messages=_required("Enter why you are withdrawing it"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@login_required
@require_http_methods(["GET", "POST"])
def participant_detail_withdraw(request, pk, kind, detail_pk):
    """Withdraw an identifier or contact detail recorded in error, with a reason: kept, marked
    withdrawn. Only for those who may record its category (403); one the user may not read, of
    another participant or already withdrawn is not found (404)."""
    user = request.user
    if kind not in ("identifier", "contact"):
        raise Http404("No such kind of detail")
    person = participant_for_user(user, pk)
    row = participant_detail_read(user, person, kind, detail_pk)
    if row.withdrawn_at is not None:
        raise Http404("Already withdrawn")
    if not decide(user, _category(row), action="write"):
        raise PermissionDenied(decide(user, _category(row), action="write").reason)
    form = WithdrawDetailForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            withdraw = identifier_withdraw if kind == "identifier" else contact_withdraw
            key = "identifier" if kind == "identifier" else "contact"
            try:
                withdraw(acting_user=user, reason=form.cleaned_data["reason"], **{key: row})
            except InvalidInput as exc:
                form.add_problems(exc.problems)
            except PolicyDenied as exc:
                raise PermissionDenied(str(exc)) from exc
            else:
                messages.success(request, f"{row.get_kind_display()} withdrawn. It stays in "
                                          "the record's history, marked withdrawn.")  # fmt: skip
                return redirect("web:participant", pk=person.pk)
    context = {"participant": person, "row": row, "form": form, "errors": form.error_list()}
    return render(request, "web/merge/detail_withdraw.html", context, status=status)


def likely_duplicates_for_form(user, form) -> list:
    """The participants in the user's reach who are probably the person on the intake form."""
    values = form.cleaned_data
    return duplicate_candidates(
        user, given_name=values["given_name"], family_name=values["family_name"],
        date_of_birth=values["date_of_birth"],
        identifiers=[(kind, value) for _, kind, value in form.identifier_values()],
    )  # fmt: skip


def identifiers_record(user, person, typed) -> None:
    """Record the identifiers typed on the intake form ((field, kind, value)); problems name
    the form's fields. Called in the intake's transaction: all or nothing."""
    problems = []
    for name, kind, value in typed:
        try:
            identifier_add(acting_user=user, participant=person, kind=kind, value=value)
        except InvalidInput as exc:
            problems += [Problem(name, p.reason) for p in exc.problems]
    if problems:
        raise InvalidInput(problems)


def _coordinator_only(user):
    if not _may_merge(user):
        raise PermissionDenied("only a coordinator can merge or unmerge participant records")


@login_required
@require_http_methods(["GET", "POST"])
def participant_merge_choose(request, pk):
    """Choose the other record: one of the likely duplicates shown, or by its reference."""
    user = request.user
    _coordinator_only(user)
    person = participant_for_user(user, pk)
    errors = []
    if request.method == "POST":
        typed = request.POST.get("other", "").strip()
        match = REFERENCE.match(typed.replace(" ", ""))
        other = None
        if match:
            other = participants_visible_to(user).filter(pk=int(match.group(1))).first()
        if other is None:
            errors = [("other", "Other record: enter the reference of a record on your caseload, "
                                "like TP-000123")]  # fmt: skip
        elif other.pk == person.pk:
            errors = [("other", "Other record: this is the record you are on; choose the other")]
        else:
            return redirect("web:participant_merge_confirm", pk=person.pk, other=other.pk)
    candidates = duplicate_candidates(
        user, given_name=person.given_name, family_name=person.family_name,
        date_of_birth=person.date_of_birth,
        identifiers=[(i.kind, i.value) for i in participant_details_read(user, person)[0]],
        exclude=person,
    )  # fmt: skip
    context = {"participant": person, "candidates": candidates, "errors": errors,
               "typed": request.POST.get("other", "")}  # fmt: skip
    return render(request, "web/merge/choose.html", context, status=400 if errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def participant_merge_confirm(request, pk, other):
    """Both records side by side; confirming merges `other` into `pk`."""
    user = request.user
    _coordinator_only(user)
    kept, duplicate = participant_for_user(user, pk), participant_for_user(user, other)
    errors: list = []
    if request.method == "POST":
        try:
            participant_merge(acting_user=user, kept=kept, duplicate=duplicate,
                              reached=participants_visible_to(user))  # fmt: skip
        except InvalidInput as exc:
            errors = [("", str(p)) for p in exc.problems]
        except (Conflict, PolicyDenied) as exc:
            errors = [("", str(exc))]
        else:
            days = UNMERGE_PERIOD.days
            messages.success(request, f"{duplicate.reference} was merged into this record. "
                                      f"You can undo it for {days} days.")  # fmt: skip
            return redirect("web:participant", pk=kept.pk)
    sides = []
    for person in participants_list(user, [kept, duplicate], ["identity"]):
        identifiers, contacts = participant_details_read(user, person)
        # Only the referrals the user reaches: another team's are not theirs to count.
        referrals = referrals_visible_to(user).filter(participant=person).count()
        sides.append({"p": person, "identifiers": identifiers, "contacts": contacts,
                      "referrals": referrals})  # fmt: skip
    context = {"participant": kept, "kept": sides[0], "duplicate": sides[1], "errors": errors,
               "days": UNMERGE_PERIOD.days}  # fmt: skip
    return render(request, "web/merge/confirm.html", context, status=400 if errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def participant_unmerge(request, pk, merge_pk):
    user = request.user
    _coordinator_only(user)
    kept = participant_for_user(user, pk)
    merge = next((m for m in merges_kept(kept) if str(m.pk) == str(merge_pk)), None)
    if merge is None:
        raise Http404("No such merge")
    errors: list = []
    if request.method == "POST":
        try:
            restored = unmerge(acting_user=user, merge=merge)
        except InvalidInput as exc:
            errors = [("", p.reason[:1].upper() + p.reason[1:]) for p in exc.problems]
        except (Conflict, PolicyDenied) as exc:
            errors = [("", str(exc))]
        else:
            messages.success(request, f"The merge was undone: {restored.reference} is a "
                                      "record of its own again.")  # fmt: skip
            return redirect("web:participant", pk=kept.pk)
    context = {"participant": kept, "merge": merge, "errors": errors,
               "allowed": may_unmerge(merge), "days": UNMERGE_PERIOD.days}  # fmt: skip
    return render(request, "web/merge/unmerge.html", context, status=400 if errors else 200)


def _writable_kinds(user) -> list[tuple[str, str]]:
    """(kind, label) of each identifier and contact detail the user may record."""
    kinds = [(k.value, k.label) for k in ContactKind if decide(user, "identity", action="write")]
    kinds += [(k.value, k.label) for k in IdentifierKind
              if decide(user, IDENTIFIER_CATEGORY[k], action="write")]  # fmt: skip
    return kinds


@login_required
@require_http_methods(["GET", "POST"])
def participant_detail_new(request, pk):
    """Record an identifier or a contact detail: only the kinds the user's role may write (a
    clinician a health number, the programme team the rest)."""
    user = request.user
    person = participant_for_user(user, pk)
    kinds = _writable_kinds(user)
    if not kinds:
        raise PermissionDenied("your role cannot record identifiers or contact details")
    errors: list = []
    kind, value = request.POST.get("kind", ""), request.POST.get("value", "")
    if request.method == "POST":
        labels = dict(kinds)
        if kind not in labels:
            errors = [("kind", "What to record: select what you are recording")]
        else:
            record = contact_add if kind in ContactKind.values else identifier_add
            try:
                record(acting_user=user, participant=person, kind=kind, value=value)
            except InvalidInput as exc:
                errors = [(f"id_{p.field}", f"{labels[kind]} {p.reason}") for p in exc.problems]
            except PolicyDenied as exc:
                errors = [("", str(exc))]
            else:
                messages.success(request, f"{labels[kind]} recorded.")
                return redirect("web:participant", pk=person.pk)
    field_errors = {anchor.removeprefix("id_"): message for anchor, message in errors}
    context = {"participant": person, "kinds": kinds, "kind": kind, "value": value,
               "errors": errors, "field_errors": field_errors}  # fmt: skip
    return render(request, "web/merge/detail_new.html", context, status=400 if errors else 200)
