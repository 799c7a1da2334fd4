"""Records pages: who has seen a participant's record (accounting of disclosures, SEC-14), the
staff "export this record" (SEC-12) and the data-protection officer's audit log page.

Participants are reached only through turnpoint.sharing.reach (same 404 for missing and
forbidden); what leaves as a document goes through `outbound_pdf` with the notice and scope.
"""

from datetime import datetime, time, timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_GET

from turnpoint.accounts.models import Role
from turnpoint.errors import InvalidInput
from turnpoint.sharing.accounting import accounting_lines, disclosure_accounting
from turnpoint.sharing.categories import Category
from turnpoint.sharing.documents import Section, notice_for, outbound_pdf
from turnpoint.sharing.exports import FORMATS, participant_record_export
from turnpoint.sharing.models import AuditEntry
from turnpoint.sharing.reach import decide_for, participant_for_user
from turnpoint.sharing.record import disclosures_for_read, read_recorded
from turnpoint.sharing.rules import PolicyDenied
from turnpoint.sharing.verify import audit_verify

C = Category
AUDIT_PAGE_SIZE = 50
FILTERS = ("user", "action", "from", "to", "participant")


def _reader(user, pk):
    """The participant, for a user whose role may read identity (else 403 with the reason)."""
    person = participant_for_user(user, pk)
    allowed = decide_for(user, C.IDENTITY, person)
    if not allowed:
        raise PermissionDenied(allowed.reason)
    return person


# Which field a problem is about, by how its message starts: the error summary links to it and
# the message is shown next to it.
PERIOD_FIELDS = {"The start date": "since", "The end date": "until"}
AUDIT_FIELDS = {
    "Choose an action": "action", "The start date": "from", "The end date": "to",
    "The participant": "participant",
}  # fmt: skip


def _at_fields(problems: list[str], fields: dict[str, str]) -> list[tuple[str, str]]:
    """(field id, message) for the error summary; "" when the problem is not about a field."""
    return [
        (next((f for start, f in fields.items() if p.startswith(start)), ""), p) for p in problems
    ]


def accounting_period(request) -> tuple[datetime | None, datetime | None, list[str]]:
    """The accounting period from ?since=YYYY-MM-DD&until=YYYY-MM-DD (whole days, inclusive)."""
    problems, bounds = [], []
    for name, at in (("since", time.min), ("until", time.max)):
        raw = request.GET.get(name, "").strip()
        day = parse_date(raw) if raw else None
        if raw and day is None:
            problems.append(f"The {'start' if name == 'since' else 'end'} date must be a date "
                            "like 2026-01-31.")  # fmt: skip
        bounds.append(timezone.make_aware(datetime.combine(day, at)) if day else None)
    return bounds[0], bounds[1], problems


def _programme_of(user, person):
    referral = (
        person.referrals.filter(programme__in=user.programmes.all())
        .select_related("programme")
        .order_by("-referral_date", "-id")
        .first()
    )
    return referral.programme if referral else None


@login_required
@require_GET
def participant_disclosures(request, pk):
    """Who has seen this record: the accounting of disclosures for a period (default 3 years)."""
    user = request.user
    person = _reader(user, pk)
    return accounting_page(
        request,
        person,
        template="web/records/disclosures.html",
        record=lambda: read_recorded(
            user, participants=[person], categories=[C.IDENTITY], obj=person
        ),
    )


def accounting_page(request, person, *, template: str, record=None) -> HttpResponse:
    """The accounting of disclosures of `person` for the period asked (default 3 years), as
    `request.user` asks for it: staff here, the participant in the portal. `record` writes what
    else the reader's page must record, in the same transaction as the accounting's audit."""
    since, until, problems = accounting_period(request)
    rows = []
    if not problems:
        try:
            with transaction.atomic():
                rows = disclosure_accounting(
                    person, since=since, until=until, acting_user=request.user
                )
                if record is not None:
                    record()
        except InvalidInput as exc:
            problems = [f"{p.reason[0].upper()}{p.reason[1:]}." for p in exc.problems]
    context = {
        "participant": person,
        "rows": rows,
        "errors": _at_fields(problems, PERIOD_FIELDS),
        "field_errors": dict(_at_fields(problems, PERIOD_FIELDS)),
        "since": request.GET.get("since", ""),
        "until": request.GET.get("until", ""),
        "query": request.GET.urlencode(),
    }
    return render(request, template, context, status=400 if problems else 200)


@login_required
@require_GET
def participant_disclosures_pdf(request, pk):
    """The accounting of disclosures as a document, with the notice and its scope."""
    user = request.user
    person = _reader(user, pk)
    since, until, problems = accounting_period(request)
    if problems:
        return HttpResponse(" ".join(problems), status=400, content_type="text/plain")
    programme = _programme_of(user, person)
    try:
        with transaction.atomic():
            rows = disclosure_accounting(person, since=since, until=until, acting_user=user)
            disclosures_for_read(
                user,
                participants=[person],
                categories=[C.IDENTITY],
                programme_by_participant={person.pk: programme} if programme else None,
                notice_attached=True,
                channel="export",
            )
    except InvalidInput as exc:
        return HttpResponse(exc.problems[0].reason, status=400, content_type="text/plain")
    first = rows[-1].at if rows else None
    period = f"from {since:%d %B %Y}" if since else "for the last 3 years"
    pdf = outbound_pdf(
        title=f"Who has seen the record of {person.display_name} ({person.reference})",
        sections=[Section("Disclosures, newest first", accounting_lines(rows))],
        notice=notice_for(programme),
        scope=f"The accounting of disclosures of this participant's information {period}"
        + (f" (the earliest shown is of {first:%d %B %Y})" if first else "")
        + ": date, recipient and agency, categories, purpose and legal basis. It lists only what "
        f"{user.get_full_name() or user.username}, who produced it, may see: disclosures in their "
        "programmes, of the information their role may read, with no safeguarding access and no "
        "other party's reads in court proceedings. It contains no other information about the "
        "participant.",
    )
    return download(pdf, "application/pdf", f"disclosures-{person.reference}.pdf")


@login_required
@require_GET
def participant_export(request, pk, fmt):
    """Export this record: only the categories the user may read, with notice and scope."""
    user = request.user
    if fmt not in FORMATS:
        raise Http404("No such format")
    person = participant_for_user(user, pk)
    # ?since=&until= (YYYY-MM-DD) and ?category= narrow it; a court order's limits refuse more.
    since, until, problems = accounting_period(request)
    if problems:
        return HttpResponse(" ".join(problems), status=400, content_type="text/plain")
    try:
        exported = participant_record_export(
            user, person, fmt=fmt, since=since.date() if since else None,
            until=until.date() if until else None, categories=request.GET.getlist("category"),
        )  # fmt: skip
    except PolicyDenied as exc:
        # The 403 page says why: beyond a court order's scope, the order and its limits.
        raise PermissionDenied(f"nothing was exported: {exc}") from exc
    except InvalidInput as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    return export_download(exported, fmt, f"record-{person.reference}.{fmt}")


def export_download(exported, fmt: str, name: str) -> HttpResponse:
    """A record export as a file to save: JSON (a dict) or PDF (bytes)."""
    if fmt == "json":
        response = JsonResponse(exported)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return download(exported, "application/pdf", name)


def download(body: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# The data-protection officer's audit log --------------------------------------------------------


@login_required
@require_GET
def audit_log(request):
    """The audit log's metadata for administrators (the DPO): never a participant's data."""
    if request.user.role != Role.ADMINISTRATOR:
        raise PermissionDenied("Only administrators (the data-protection officer) see the log.")
    entries = AuditEntry.objects.only(
        "at", "username", "role", "agency", "action", "object_type", "object_id",
        "participant_ids", "purpose", "request_id", "categories",
    ).order_by("-id")  # fmt: skip
    filters, problems = _audit_filters(request)
    if filters.get("user"):
        entries = entries.filter(username=filters["user"])
    if filters.get("action"):
        entries = entries.filter(action=filters["action"])
    if filters.get("from"):
        entries = entries.filter(at__gte=filters["from"])
    if filters.get("to"):
        entries = entries.filter(at__lt=filters["to"] + timedelta(days=1))
    if filters.get("participant"):
        entries = _naming(entries, filters["participant"])
    page = Paginator(entries, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    verified = None
    if request.GET.get("verify"):
        checked, breaks = audit_verify()
        verified = {"checked": checked, "problems": breaks}
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("verify", None)
    context = {
        "page": page,
        "actions": AuditEntry.Action.choices,
        "values": {k: request.GET.get(k, "") for k in FILTERS},
        "errors": _at_fields(problems, AUDIT_FIELDS),
        "field_errors": dict(_at_fields(problems, AUDIT_FIELDS)),
        "verified": verified,
        "query": params.urlencode(),
    }
    return render(request, "web/records/audit_log.html", context, status=400 if problems else 200)


_SQLITE_NAMES = (
    "EXISTS (SELECT 1 FROM json_each(sharing_auditentry.participant_ids) WHERE value = %s)"
)


def _naming(entries, participant_id: int):
    """Entries whose participant_ids include this id (JSON containment; SQLite has none)."""
    if connection.vendor == "sqlite":
        return entries.extra(  # noqa: S610 - a fixed clause; the id is a bound parameter
            where=[_SQLITE_NAMES],
            params=[participant_id],
        )
    return entries.filter(participant_ids__contains=[participant_id])


def _audit_filters(request) -> tuple[dict, list[str]]:
    filters, problems = {}, []
    filters["user"] = request.GET.get("user", "").strip()[:150]
    action = request.GET.get("action", "")
    if action and action not in AuditEntry.Action.values:
        problems.append("Choose an action from the list.")
    else:
        filters["action"] = action
    for name, label in (("from", "start"), ("to", "end")):
        raw = request.GET.get(name, "").strip()
        if raw:
            day = parse_date(raw) if len(raw) == 10 else None
            if day is None:
                problems.append(f"The {label} date must be a date like 2026-01-31.")
            else:
                filters[name] = timezone.make_aware(datetime.combine(day, time.min))
    raw = request.GET.get("participant", "").strip().upper().removeprefix("TP-")
    if raw:
        if raw.isdigit() and len(raw) <= 9:
            filters["participant"] = int(raw)
        else:
            problems.append("The participant is a number or a reference like TP-000042.")
    return filters, problems
