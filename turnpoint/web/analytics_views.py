"""The programme dashboard for analysts (docs/web.md, docs/analytics.md).

Only the analyst role sees it (`sharing.rules.decide_analytics`, through
`analytics.reports.programmes_for`); every other role gets 403 with the reason, and the refusal
is audited. The page computes every measure over a fresh, audited extract and shows only what
is published: aggregated, suppressed numbers, as charts (server-rendered SVG with a title, a
description and the numbers in a visually hidden table) and tables.

Query parameters: `programme` (a slug of the team's programmes), `from` and `to` (dates; the
last whole calendar year by default), `site` (one of the sites of the team's programmes, offered
in a list; empty: every site), `group` (gender, ethnicity, age_band or site).
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_GET

from turnpoint.analytics import outputs
from turnpoint.analytics.measures import GROUPS
from turnpoint.analytics.reports import measure_report, programmes_for
from turnpoint.errors import InvalidInput
from turnpoint.sharing.evaluation import evaluation_sites
from turnpoint.sharing.rules import PolicyDenied

GROUP_LABELS = {
    "gender": "Gender",
    "ethnicity": "Ethnicity",
    "age_band": "Age band",
    "site": "Site",
}
FIELDS = {"programme": "programme", "from": "from", "to": "to", "site": "site", "group": "group"}


@login_required
@require_GET
def dashboard(request):
    try:
        programmes = programmes_for(request.user, route="web:analytics")
    except PolicyDenied as exc:
        raise PermissionDenied(str(exc)) from None
    today = timezone.localdate()
    year = today.year - 1
    values = {
        "programme": request.GET.get("programme", programmes[0].slug if programmes else "")[:60],
        "from": request.GET.get("from", f"{year}-01-01")[:20],
        "to": request.GET.get("to", f"{year}-12-31")[:20],
        "site": request.GET.get("site", "")[:200],
        "group": request.GET.get("group", ""),
    }
    errors: list[tuple[str, str]] = []
    slugs = [p.slug for p in programmes]
    if values["programme"] not in slugs:
        errors.append(("programme", "Choose a programme of your team from the list."))
    dates = {}
    for key, word in (("from", "start"), ("to", "end")):
        day = parse_date(values[key]) if values[key] else None
        if day is None:
            errors.append((key, f"The {word} date must be a date like 2026-01-31."))
        dates[key] = day
    if dates["from"] and dates["to"] and dates["from"] > dates["to"]:
        errors.append(("from", "The start date must be on or before the end date."))
    if values["group"] and values["group"] not in GROUPS:
        errors.append(("group", "Choose a grouping from the list."))
    sites = evaluation_sites(programmes) if programmes else []
    if values["site"] and values["site"] not in sites:
        errors.append(("site", "Choose a site from the list."))
    context = {
        "programmes": programmes,
        "sites": sites,
        "groups": [(g, GROUP_LABELS[g]) for g in GROUPS],
        "values": values,
        "errors": errors,
        "field_errors": dict(errors),
        "result": None,
    }
    if errors or not programmes:
        return render(
            request, "web/analytics/dashboard.html", context, status=400 if errors else 200
        )
    try:
        result = measure_report(
            request.user,
            "all",
            start=dates["from"],
            end=dates["to"],
            programme=values["programme"],
            site=values["site"] or None,
            group=values["group"] or None,
            route="web:analytics",
        )
    except InvalidInput as exc:
        context["errors"] = [(FIELDS.get(p.field, ""), _sentence(str(p))) for p in exc.problems]
        context["field_errors"] = dict(context["errors"])
        return render(request, "web/analytics/dashboard.html", context, status=400)
    except PolicyDenied as exc:
        raise PermissionDenied(str(exc)) from None
    context["result"] = result
    context["charts"] = [chart for _, chart in outputs.chart_set(result)]
    context["summary"] = _summary(result)
    left = result["funnel"]["left_by_stage_and_reason"]
    context["left_columns"] = [outputs.label(c) for c in left["columns"]]
    context["left_rows"] = [
        (outputs.label(r), cells, total)
        for r, cells, total in zip(left["rows"], left["cells"], left["row_totals"], strict=True)
    ]
    return render(request, "web/analytics/dashboard.html", context)


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _summary(result: dict) -> list[dict]:
    """Headline figures: each a label and a published value ('withheld' when suppressed)."""
    reached = result["funnel"]["reached"]
    by_state = dict(zip(reached["rows"], reached["row_totals"], strict=True))
    completion = result["retention"]["completion"]
    first = completion[0]["completion_rate"] if len(completion) == 1 else None
    shares = result["completeness"]["groups"]
    drug = shares[0]["share"]["drug_use_recorded"] if len(shares) == 1 else None
    return [
        {"label": "Referrals in the period", "value": _count(by_state.get("referral"))},
        {"label": "Started on the programme", "value": _count(by_state.get("episode"))},
        {"label": "Completed, of those who left", "value": _share(first)},
        {"label": "Drug use recorded", "value": _share(drug)},
    ]


def _count(value) -> str:
    return "withheld" if value is None else f"{value:,}"


def _share(value) -> str:
    return "not available" if value is None else f"{value * 100:.0f}%"
