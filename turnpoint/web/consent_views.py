"""Staff pages for consent and the household: consent to take part (per referral, before its
episode starts), consents to share (per participant), and the children in the household.

As in `views.py`, participants are reached only through `participant_for_user` and referrals
through `_get_referral_for_user` (same 404 for missing and forbidden); consents are reached
through their participant. Who may do what is asked of the policy function (`decide`), and every
change goes through a service, which writes the audit row.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from turnpoint.errors import Conflict, InvalidInput
from turnpoint.people.services import household_child_add
from turnpoint.sharing.categories import Category
from turnpoint.sharing.consents import (
    criminal_justice_referral_for,
    share_consent_create,
    share_consent_revocable,
    share_consent_revoke,
)
from turnpoint.sharing.documents import participation_consent_pdf, share_consent_pdf
from turnpoint.sharing.participation import (
    BEFORE_EPISODE,
    participation_consent_record,
    participation_consent_refusal,
    participation_consent_withdraw,
)
from turnpoint.sharing.reach import decide_for, participant_for_user
from turnpoint.sharing.reads import household_read
from turnpoint.sharing.record import read_recorded
from turnpoint.sharing.rules import PolicyDenied, decide

from .consent_forms import (
    HouseholdChildForm,
    ParticipationConsentForm,
    RevokeForm,
    ShareConsentForm,
    WithdrawForm,
)
from .views import _get_referral_for_user

C = Category


def _allow(decision) -> None:
    if not decision:
        raise PermissionDenied(decision.reason)


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _participant_url(person, anchor="consent") -> str:
    return f"{reverse('web:participant', args=[person.pk])}#{anchor}"


# Consent to take part ---------------------------------------------------------------------------


def may_record_participation_consent(user, referral) -> bool:
    return referral.state in BEFORE_EPISODE and bool(
        decide(user, C.LEGAL, programme=referral.programme, action="write")
    )


@login_required
@require_http_methods(["GET", "POST"])
def participation_consent_new(request, pk):
    user = request.user
    referral = _get_referral_for_user(user, pk)
    person = referral.participant
    _allow(decide(user, C.LEGAL, programme=referral.programme, action="write"))
    form = ParticipationConsentForm(request.POST if request.method == "POST" else None)
    errors = []  # a refusal that is not about a field: the form is not offered at all
    if refusal := participation_consent_refusal(referral):
        errors.append(("", refusal))
    elif request.method == "POST" and form.is_valid():
        try:
            participation_consent_record(
                acting_user=user, referral=referral, **form.service_values()
            )
        except InvalidInput as exc:
            form.add_problems(exc.problems)
        except Conflict as exc:  # recorded by someone else since the page was read
            errors.append(("", str(exc)))
        else:
            messages.success(request, f"Consent to take part recorded for {person.display_name}.")
            return redirect(_participant_url(person))
    blocked = bool(errors)
    errors += form.error_list()
    context = {"referral": referral, "participant": person, "form": form, "errors": errors,
               "blocked": blocked}  # fmt: skip
    status = 409 if blocked else 400 if errors else 200
    return render(request, "web/consents/participation_new.html", context, status=status)


def _participation_consent_for_user(user, pk, consent_pk):
    """A consent to take part on a referral in one of the user's programmes; 404 otherwise."""
    person = participant_for_user(user, pk)
    try:
        return person.participation_consents.select_related(
            "referral__programme", "participant"
        ).get(pk=int(consent_pk), referral__programme__in=user.programmes.all())
    except (ValueError, TypeError) as exc:
        raise Http404("No such consent") from exc
    except person.participation_consents.model.DoesNotExist as exc:
        raise Http404("No such consent") from exc


@login_required
def participation_consent_download(request, pk, consent_pk):
    user = request.user
    consent = _participation_consent_for_user(user, pk, consent_pk)
    _allow(decide(user, C.LEGAL, programme=consent.referral.programme))
    # A cross-agency reader (a judge, say) receives a disclosure: recorded with the read.
    read_recorded(
        user,
        participants=[consent.participant],
        categories=[C.LEGAL],
        obj=consent,
        detail={"document": "participation consent PDF"},
        programme_by_participant={consent.participant_id: consent.referral.programme},
    )
    filename = f"consent-to-take-part-{consent.participant.reference}.pdf"
    return _pdf(participation_consent_pdf(consent), filename)


@login_required
@require_http_methods(["GET", "POST"])
def participation_consent_withdraw_page(request, pk, consent_pk):
    user = request.user
    consent = _participation_consent_for_user(user, pk, consent_pk)
    person = consent.participant
    _allow(decide(user, C.LEGAL, programme=consent.referral.programme, action="write"))
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if consent.withdrawn_at is not None:
        form.add_error(None, "This consent to take part is already withdrawn. Nothing was saved.")
    elif request.method == "POST" and form.is_valid():
        try:
            participation_consent_withdraw(consent, acting_user=user, how=form.cleaned_data["how"])
        except InvalidInput as exc:
            form.add_problems(exc.problems)
        else:
            messages.success(request, f"Consent to take part withdrawn for {person.display_name}.")
            return redirect(_participant_url(person))
    errors = form.error_list()
    context = {"consent": consent, "participant": person, "form": form, "errors": errors}
    status = 400 if errors else 200
    return render(request, "web/consents/participation_withdraw.html", context, status=status)


# Consents to share ------------------------------------------------------------------------------


def may_manage_sharing(user) -> bool:
    """Consents to share are recorded by the programme team (who write identity) and by the
    treatment provider (who writes clinical information): the two who ask the participant."""
    return bool(
        decide(user, C.IDENTITY, action="write") or decide(user, C.CLINICAL, action="write")
    )


def _sharing_participant(user, pk):
    person = participant_for_user(user, pk)
    if not may_manage_sharing(user):
        raise PermissionDenied(decide(user, C.IDENTITY, action="write").reason)
    return person


def _share_consent_for(person, consent_pk):
    try:
        return person.share_consents.select_related(
            "disclosing_agency", "recipient_agency", "recipient_user", "participant"
        ).get(pk=int(consent_pk))
    except (ValueError, TypeError) as exc:
        raise Http404("No such consent") from exc
    except person.share_consents.model.DoesNotExist as exc:
        raise Http404("No such consent") from exc


def share_consent_status(consent, now) -> tuple[str, str]:
    """(label, tag class) of a consent's state now; the portal words it for the participant."""
    if consent.revoked_at is not None:
        return "Revoked", "govuk-tag--red"
    if consent.expires_at <= now:
        return "Expired", "govuk-tag--grey"
    if consent.starts_at > now:
        return "Not started", "govuk-tag--blue"
    return "Active", "govuk-tag--green"


@login_required
def share_consents(request, pk):
    person = _sharing_participant(request.user, pk)
    now = timezone.now()
    rows = []
    for consent in person.share_consents.select_related(
        "disclosing_agency", "recipient_agency", "recipient_user"
    ).order_by("-created_at", "-id"):
        label, tag = share_consent_status(consent, now)
        rows.append(
            {
                "consent": consent,
                "status": label,
                "tag": tag,
                "categories": [C(c).label for c in consent.categories if c in C.values],
                "purposes": list(consent.purposes),
            }
        )
    context = {"participant": person, "rows": rows}
    return render(request, "web/consents/sharing.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def share_consent_new(request, pk):
    user = request.user
    person = _sharing_participant(user, pk)
    referral = criminal_justice_referral_for(person)
    form = ShareConsentForm(
        request.POST if request.method == "POST" else None,
        user=user,
        criminal_justice_programme=referral.programme if referral else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            share_consent_create(acting_user=user, participant=person, **form.service_values())
        except InvalidInput as exc:
            form.add_problems(exc.problems)
        else:
            messages.success(request, f"Consent to share recorded for {person.display_name}.")
            return redirect("web:share_consents", pk=person.pk)
    errors = form.error_list()
    context = {"participant": person, "form": form, "errors": errors}
    return render(request, "web/consents/sharing_new.html", context, status=400 if errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def share_consent_revoke_page(request, pk, consent_pk):
    user = request.user
    person = _sharing_participant(user, pk)
    consent = _share_consent_for(person, consent_pk)
    form = RevokeForm(request.POST if request.method == "POST" else None)
    # 42 CFR 2.35(c): the page says when it becomes revocable; the service refuses until then.
    revocable, not_yet = share_consent_revocable(consent)
    if consent.revoked_at is not None:
        form.add_error(None, "This consent to share is already revoked. Nothing was saved.")
    elif request.method == "POST" and form.is_valid():
        try:
            share_consent_revoke(consent, acting_user=user, how=form.cleaned_data["how"])
        except InvalidInput as exc:
            form.add_problems(exc.problems)
        else:
            messages.success(request, "Consent to share revoked. Sharing under it stopped at once.")
            return redirect("web:share_consents", pk=person.pk)
    errors = form.error_list()
    context = {
        "participant": person,
        "consent": consent,
        "form": form,
        "errors": errors,
        "revocable": revocable,
        "not_yet": f"This consent {not_yet}" if not_yet else "",
    }
    return render(
        request, "web/consents/sharing_revoke.html", context, status=400 if errors else 200
    )


@login_required
def share_consent_download(request, pk, consent_pk):
    person = _sharing_participant(request.user, pk)
    consent = _share_consent_for(person, consent_pk)
    return _pdf(share_consent_pdf(consent), f"consent-to-share-{person.reference}-{consent.pk}.pdf")


# Household --------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def household(request, pk):
    user = request.user
    person = participant_for_user(user, pk)
    may_read = decide_for(user, C.HOUSEHOLD, person)
    may_write = decide(user, C.HOUSEHOLD, action="write")
    if not (may_read or may_write):
        raise PermissionDenied(may_read.reason)
    form = HouseholdChildForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        _allow(may_write)
        if form.is_valid():
            try:
                household_child_add(acting_user=user, participant=person, **form.cleaned_data)
            except InvalidInput as exc:
                form.add_problems(exc.problems)
            except PolicyDenied as exc:
                raise PermissionDenied(str(exc)) from exc
            else:
                messages.success(request, f"{form.cleaned_data['first_name']} added to the "
                                          "household.")  # fmt: skip
                return redirect(_participant_url(person, "household"))
    children = household_read(user, person) if may_read else []
    errors = form.error_list()
    context = {
        "participant": person,
        "children": children,
        "may_read": bool(may_read),
        "form": form if may_write else None,
        "errors": errors,
    }
    return render(request, "web/consents/household.html", context, status=400 if errors else 200)
