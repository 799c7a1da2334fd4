"""The participant's pages: their record, who has seen it, what they agreed to share.

Every page here serves only the signed-in participant's own record, found through their portal
account, never from an identifier in the address: there is nothing to change in a URL to reach
someone else (SEC-02). Staff are refused (their pages are elsewhere); the participant reaches
nothing outside the portal (turnpoint.portal.middleware).
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from turnpoint.accounts.models import Role
from turnpoint.assessments import instruments
from turnpoint.assessments.services import own_administration_answer
from turnpoint.errors import Conflict, InvalidInput
from turnpoint.sharing.accounting import accounting_lines, disclosure_accounting
from turnpoint.sharing.categories import Category, Purpose
from turnpoint.sharing.consents import share_consent_revocable, share_consent_revoke
from turnpoint.sharing.documents import Section, notice_for, outbound_pdf, share_consent_pdf
from turnpoint.sharing.exports import FORMATS, participant_own_record_export
from turnpoint.sharing.reads import (
    own_administration,
    own_administrations,
    own_consent,
    own_consents,
)
from turnpoint.web.assessment_forms import answer_rows, posted_answers
from turnpoint.web.consent_views import share_consent_status
from turnpoint.web.records_views import (
    accounting_page,
    accounting_period,
    download,
    export_download,
)

from .models import PortalAccount
from .services import SETUP_CODE_DAYS, portal_set_up

# What the participant says when they withdraw a consent in the portal (the consent's record of
# how it was revoked, 42 CFR 2.31(a)(6)).
WITHDRAWN_IN_PORTAL = "Withdrawn by the participant in the portal"


def participant_required(view):
    """Signed in, as a participant with an open portal account; the view gets the account."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        user = request.user
        if user.role != Role.PARTICIPANT:
            raise PermissionDenied(
                "The portal is for participants, to see their own record. Staff open records "
                "from the caseload."
            )
        account = (
            PortalAccount.objects.select_related("participant", "user")
            .filter(user_id=user.pk)
            .first()
        )
        if account is None:
            raise PermissionDenied("This account is not linked to a record. Ask your case manager.")
        return view(request, account, *args, **kwargs)

    return wrapped


def _programme(participant):
    referral = (
        participant.referrals.select_related("programme").order_by("-referral_date", "-id").first()
    )
    return referral.programme if referral else None


@participant_required
@require_GET
def home(request, account):
    waiting = [a for a in own_administrations(account.participant) if a.status != "complete"]
    context = {"participant": account.participant, "questions_waiting": len(waiting)}
    return render(request, "portal/home.html", context)


@participant_required
@require_GET
def disclosures(request, account):
    """Who has seen my record: the same accounting staff see, of this participant only."""
    return accounting_page(request, account.participant, template="portal/disclosures.html")


@participant_required
@require_GET
def disclosures_pdf(request, account):
    person = account.participant
    since, until, problems = accounting_period(request)
    if problems:
        return HttpResponse(" ".join(problems), status=400, content_type="text/plain")
    try:
        rows = disclosure_accounting(person, since=since, until=until, acting_user=request.user)
    except InvalidInput as exc:
        return HttpResponse(exc.problems[0].reason, status=400, content_type="text/plain")
    period = f"from {since:%d %B %Y}" if since else "for the last 3 years"
    pdf = outbound_pdf(
        title=f"Who has seen my record: {person.display_name} ({person.reference})",
        sections=[Section("Disclosures, newest first", accounting_lines(rows))],
        notice=notice_for(_programme(person)),
        scope=f"Every disclosure of my information to another agency {period}: date, recipient "
        "and agency, categories, purpose and legal basis. It contains no other information.",
    )
    return download(pdf, "application/pdf", f"who-has-seen-{person.reference}.pdf")


@participant_required
@require_GET
def export(request, account, fmt):
    """Download my record: everything Turnpoint holds about me and who has seen it."""
    if fmt not in FORMATS:
        raise Http404("No such format")
    person = account.participant
    exported = participant_own_record_export(person, fmt=fmt, acting_user=request.user)
    return export_download(exported, fmt, f"my-record-{person.reference}.{fmt}")


# The staff page's consent states (consent_views.share_consent_status) in the participant's words.
IN_THEIR_WORDS = {
    "Revoked": "Withdrawn",
    "Expired": "Ended",
    "Not started": "Not started yet",
    "Active": "In use",
}


def _consent_row(consent, now) -> dict:
    """What the participant's pages show of one consent, and whether they may withdraw it."""
    status, tag = share_consent_status(consent, now)
    revocable, _ = share_consent_revocable(consent)
    return {
        "consent": consent,
        "status": IN_THEIR_WORDS[status],
        "tag": tag,
        "live": consent.revoked_at is None and consent.expires_at > now,
        "revocable": revocable,
        "not_yet": ""
        if revocable
        else "You agreed that this consent cannot be withdrawn until "
        f"{consent.revocation_condition(to_participant=True)} (42 CFR 2.35)",
        "categories": [Category(c).label for c in consent.categories if c in Category.values],
        "purposes": [Purpose(p).label for p in consent.purposes if p in Purpose.values],
    }


@participant_required
@require_GET
def consents(request, account):
    """What I agreed may be shared, with whom, what for and until when."""
    person = account.participant
    now = timezone.now()
    context = {"participant": person, "rows": [_consent_row(c, now) for c in own_consents(person)]}
    return render(request, "portal/consents.html", context)


def _own_consent(person, consent_pk):
    """One of this participant's consents to share; 404 for anyone else's."""
    consent = own_consent(person, consent_pk)
    if consent is None:
        raise Http404("No such consent")
    return consent


@participant_required
@require_GET
def consent_pdf(request, account, consent_pk):
    """My copy of a consent as signed, with every element the form carries (SEC-06)."""
    consent = _own_consent(account.participant, consent_pk)
    name = f"consent-to-share-{account.participant.reference}-{consent.pk}.pdf"
    return download(share_consent_pdf(consent), "application/pdf", name)


@participant_required
@require_http_methods(["GET", "POST"])
def consent_withdraw(request, account, consent_pk):
    """Withdraw a consent to share: it stops at once for every page, report and export."""
    person = account.participant
    consent = _own_consent(person, consent_pk)
    row = _consent_row(consent, timezone.now())
    errors = []
    if not row["live"]:
        errors.append(("", "This consent is no longer in use: there is nothing to withdraw."))
    elif not row["revocable"]:
        errors.append(("", f"{row['not_yet']}."))
    elif request.method == "POST":
        try:
            with transaction.atomic():
                share_consent_revoke(consent, acting_user=request.user, how=WITHDRAWN_IN_PORTAL)
        except InvalidInput as exc:
            errors = [("", p.reason) for p in exc.problems]
        else:
            messages.success(request, "Your consent is withdrawn. Sharing under it stopped now.")
            return redirect("portal:consents")
    context = {"participant": person, "row": row, "errors": errors}
    status = 400 if errors and request.method == "POST" else 200
    return render(request, "portal/consent_withdraw.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def set_up(request):
    """Choose a password with the reference and set-up code staff gave (no sign-in needed)."""
    values = {
        k: request.POST.get(k, "") for k in ("reference", "code", "password", "password_again")
    }
    errors = []
    if request.method == "POST":
        try:
            portal_set_up(**values)
        except InvalidInput as exc:
            errors = [(p.field, p.reason) for p in exc.problems]
        else:
            messages.success(request, "Your password is set. Sign in with your reference and it.")
            return redirect("login")
    context = {
        "errors": errors,
        "reference": values["reference"],
        "days": SETUP_CODE_DAYS,
        "field_errors": {f: " ".join(r for g, r in errors if g == f) for f, _ in errors},
    }
    return render(request, "portal/set_up.html", context, status=400 if errors else 200)


# Questions a worker gave the participant to answer themselves (docs/assessments.md) ------------


def _own_instrument(administration):
    return instruments.catalogue(include_off=True).get(administration.instrument_id)


@participant_required
@require_GET
def questions(request, account):
    """The questionnaires a worker started for the participant to answer themselves."""
    rows = []
    for administration in own_administrations(account.participant):
        instrument = _own_instrument(administration)
        title = instrument.title if instrument else "A questionnaire"
        rows.append({"administration": administration, "title": title})
    return render(request, "portal/questions.html",
                  {"participant": account.participant, "rows": rows})  # fmt: skip


@participant_required
@require_http_methods(["GET", "POST"])
def question(request, account, administration_pk):
    """One questionnaire, answered by the participant: the staff page's form in their words."""
    person = account.participant
    administration = own_administration(person, administration_pk)
    if administration is None:
        raise Http404("No such questionnaire")
    instrument = _own_instrument(administration)
    if administration.status == "complete" or instrument is None:
        messages.success(request, "You have already answered these questions. Thank you.")
        return redirect("portal:questions")
    problems, typed, status, summary = [], None, 200, []
    if request.method == "POST":
        answers, typed = posted_answers(instrument, request.POST)
        finish = "finish" in request.POST
        try:
            own_administration_answer(
                administration, participant=person, acting_user=request.user, answers=answers,
                expected_version=request.POST.get("expected_version"), finish=finish,
            )  # fmt: skip
        except Conflict:
            summary.append(("", "Your answers changed since you opened this page. Nothing was "
                                "saved: check the answers below and try again."))  # fmt: skip
            typed, status = None, 409
            administration.refresh_from_db()
        except InvalidInput as exc:
            problems, status = exc.problems, 400
        else:
            if finish:
                messages.success(request, "Thank you. Your answers are saved.")
                return redirect("portal:questions")
            messages.success(request, "Your answers are saved. You can carry on later.")
            return redirect("portal:question", administration_pk=administration.pk)
    rows = answer_rows(instrument, administration.answers, problems, typed=typed)
    for p in problems:
        row = next((r for r in rows if r["id"] == p.field), None)
        if row is None:
            summary.append(("", str(p)))
        else:
            anchor = f"item-{p.field}-0" if row["options"] else f"item-{p.field}"
            summary.append((anchor, f"Question {row['number']}: {p.reason}"))
    context = {
        "participant": person,
        "administration": administration,
        "instrument": instrument,
        "attribution": instrument.licence.attribution,
        "rows": rows,
        "errors": summary,
        "self_mode": True,
    }
    return render(request, "portal/question.html", context, status=status)
