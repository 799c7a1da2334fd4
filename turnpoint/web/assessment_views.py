"""Staff pages for assessments (docs/assessments.md): a participant's assessments, giving an
instrument (choose, answer, save and come back, finish and score), its result, its printable
form, the page handed to the participant to answer themselves, and recording an external
assessment.

Who: anyone who reaches the participant sees the list, holding only the administrations and
external assessments whose category they may read (`reads.assessments_read`); one administration
they may not read is "not found" like a missing one. Giving an instrument needs the right to
write its category (`rules.decide(..., action="write")`): the programme team and the treatment
provider give measures of need and strengths, only the treatment provider a mental-health or
clinical one; court roles give none.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from turnpoint.assessments import instruments
from turnpoint.assessments.domains import RiskLevel
from turnpoint.assessments.models import Mode, Status
from turnpoint.assessments.profile import RISK_ORDER, profile_of
from turnpoint.assessments.services import (
    EXTERNAL_TOOLS,
    administration_answers_save,
    administration_complete,
    administration_start,
    external_assessment_record,
)
from turnpoint.errors import Conflict, InvalidInput
from turnpoint.sharing.categories import Category
from turnpoint.sharing.reach import participant_for_user, referrals_visible_to
from turnpoint.sharing.reads import administration_read, assessments_read
from turnpoint.sharing.rules import PolicyDenied, decide

from .assessment_forms import (
    AdministrationStartForm,
    ExternalAssessmentForm,
    answer_rows,
    posted_answers,
)
from .charts import Series, line_chart

C = Category
STALE = (
    "Someone saved this administration since you opened it. Nothing was saved: the answers "
    "below are the ones saved now; make your changes again."
)


def _team_referrals(user, person) -> list:
    return list(
        referrals_visible_to(user)
        .filter(participant=person)
        .select_related("programme")
        .order_by("-referral_date", "-id")
    )


def writable_instruments(user) -> list:
    """The catalogue's instruments whose category this user's role may write, by title."""
    may = {c for c in C if decide(user, c, action="write")}
    return sorted(
        (i for i in instruments.catalogue().values() if i.category in may),
        key=lambda i: (i.title.lower(), i.id),
    )


def may_give_any(user) -> bool:
    return bool(writable_instruments(user))


def may_record_external(user) -> bool:
    return bool(decide(user, C.RISK_NEED, action="write"))


def instrument_facts(instrument) -> dict:
    """What the catalogue shows of an instrument: validated or Turnpoint's own, licence and
    attribution, and whether the licence or wording is still provisional."""
    licence = instrument.licence
    return {
        "instrument": instrument,
        "validated": instrument.validated,
        "category": C(instrument.category).label,
        "licence": licence.statement,
        "attribution": licence.attribution,
        "provisional": licence.provisional,
        "open_checks": list(getattr(licence, "open_checks", ()) or ()),
        "items": sum(1 for i in instrument.items if i.options or i.minimum is not None),
    }


def _instrument_for(administration):
    return instruments.catalogue(include_off=True).get(administration.instrument_id)


@login_required
def assessments(request, pk):
    user = request.user
    person = participant_for_user(user, pk)
    found = assessments_read(user, person)
    titles = {i.id: i.title for i in instruments.catalogue(include_off=True).values()}
    rows = [
        {"a": a, "title": titles.get(a.instrument_id, a.instrument_id),
         "main": _main_scale(a)}
        for a in found.administrations
    ]  # fmt: skip
    context = {
        "participant": person,
        "rows": rows,
        "external": found.external,
        "may_give": may_give_any(user),
        "may_record_external": may_record_external(user),
    }
    return render(request, "web/assessments/list.html", context)


def _main_scale(administration) -> dict | None:
    scales = (administration.scores or {}).get("scales") or []
    return next((s for s in scales if s.get("id") == "total"), scales[0] if scales else None)


@login_required
@require_http_methods(["GET", "POST"])
def administration_new(request, pk):
    user = request.user
    person = participant_for_user(user, pk)
    catalogue = writable_instruments(user)
    if not catalogue:
        raise PermissionDenied(decide(user, C.STRENGTHS, action="write").reason)
    referrals = _team_referrals(user, person)
    form = AdministrationStartForm(
        request.POST if request.method == "POST" else None,
        catalogue=catalogue,
        referrals=referrals,
    )
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        referral = next((r for r in referrals if str(r.pk) == values["referral"]), None)
        try:
            administration = administration_start(
                acting_user=user, participant=person, instrument_id=values["instrument"],
                setting=values["setting"], mode=values["mode"],
                administered_on=values["administered_on"], referral=referral,
            )  # fmt: skip
        except InvalidInput as exc:
            form.add_problems(exc.problems)
        except PolicyDenied as exc:
            form.add_error("instrument", f"Instrument: {exc}")
        else:
            name = "web:administration_self" if administration.mode == Mode.SELF else (
                "web:administration")  # fmt: skip
            return redirect(name, pk=person.pk, administration_pk=administration.pk)
    errors = form.error_list()
    chosen = form["instrument"].value()
    context = {
        "participant": person,
        "form": form,
        "errors": errors,
        "catalogue": [{**instrument_facts(i), "checked": chosen == i.id} for i in catalogue],
    }
    return render(request, "web/assessments/new.html", context, status=400 if errors else 200)


def _answer_page(request, pk, administration_pk, *, self_mode: bool):
    """The entry page (staff) or the page handed to the participant (`self_mode`): the same
    items and options, in the staff or the participant's voice."""
    user = request.user
    person = participant_for_user(user, pk)
    administration = administration_read(user, person, administration_pk)
    result = reverse("web:administration_result", args=[person.pk, administration.pk])
    if administration.status == Status.COMPLETE:
        return redirect(result)
    instrument = _instrument_for(administration)
    if instrument is None:
        raise PermissionDenied(
            "This instrument is switched off in this deployment, so it cannot be answered here."
        )
    if not decide(user, administration.category, action="write"):
        raise PermissionDenied(decide(user, administration.category, action="write").reason)
    problems, typed, status, summary = [], None, 200, []
    if request.method == "POST":
        answers, typed = posted_answers(instrument, request.POST)
        version = request.POST.get("expected_version")
        finish = "finish" in request.POST
        try:
            if finish:
                administration_complete(administration, acting_user=user, answers=answers,
                                        expected_version=version)  # fmt: skip
            else:
                administration_answers_save(administration, acting_user=user, answers=answers,
                                            expected_version=version)  # fmt: skip
        except Conflict:
            summary.append(("", STALE))
            typed, status = None, 409
            administration.refresh_from_db()
        except InvalidInput as exc:
            problems, status = exc.problems, 400
        except PolicyDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            if finish and self_mode:
                return render(request, "web/assessments/self_done.html",
                              {"participant": person, "administration": administration,
                               "result": result})  # fmt: skip
            if finish:
                messages.success(request, f"{instrument.title} finished and scored.")
                return redirect(result)
            if self_mode:
                messages.success(request, "Your answers are saved. You can carry on later.")
            else:
                messages.success(request, "Answers saved. You can come back and finish later.")
            here = "web:administration_self" if self_mode else "web:administration"
            return redirect(here, pk=person.pk, administration_pk=administration.pk)
    rows = answer_rows(instrument, administration.answers, problems, typed=typed)
    item_ids = {r["id"] for r in rows}
    for p in problems:
        if p.field in item_ids:
            row = next(r for r in rows if r["id"] == p.field)
            anchor = f"item-{p.field}-0" if row["options"] else f"item-{p.field}"
            summary.append((anchor, f"Question {row['number']}: {p.reason}"))
        else:
            summary.append(("", str(p)))
    context = {
        "participant": person,
        "administration": administration,
        "instrument": instrument,
        "facts": instrument_facts(instrument),
        "rows": rows,
        "errors": summary,
        "self_mode": self_mode,
        "answered": sum(1 for r in rows if r["value"] not in ("", None)),
        "askable": sum(1 for r in rows if not r["display_only"]),
    }
    template = "web/assessments/self.html" if self_mode else "web/assessments/entry.html"
    return render(request, template, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def administration(request, pk, administration_pk):
    return _answer_page(request, pk, administration_pk, self_mode=False)


@login_required
@require_http_methods(["GET", "POST"])
def administration_self(request, pk, administration_pk):
    return _answer_page(request, pk, administration_pk, self_mode=True)


@login_required
def administration_result(request, pk, administration_pk):
    user = request.user
    person = participant_for_user(user, pk)
    administration = administration_read(user, person, administration_pk)
    instrument = _instrument_for(administration)
    rows = answer_rows(instrument, administration.answers) if instrument else []
    context = {
        "participant": person,
        "administration": administration,
        "instrument": instrument,
        "facts": instrument_facts(instrument) if instrument else None,
        "scores": administration.scores or {},
        "rows": rows,
        "complete": administration.status == Status.COMPLETE,
    }
    return render(request, "web/assessments/result.html", context)


@login_required
def administration_print(request, pk, administration_pk):
    user = request.user
    person = participant_for_user(user, pk)
    administration = administration_read(user, person, administration_pk)
    instrument = _instrument_for(administration)
    if instrument is None:
        raise PermissionDenied("This instrument is switched off in this deployment.")
    context = {
        "participant": person,
        "administration": administration,
        "instrument": instrument,
        "facts": instrument_facts(instrument),
        "rows": answer_rows(instrument, administration.answers),
        "self_mode": administration.mode == Mode.SELF,
    }
    return render(request, "web/assessments/print.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def external_assessment_new(request, pk):
    user = request.user
    person = participant_for_user(user, pk)
    if not may_record_external(user):
        raise PermissionDenied(decide(user, C.RISK_NEED, action="write").reason)
    referrals = _team_referrals(user, person)
    form = ExternalAssessmentForm(
        request.POST if request.method == "POST" else None, referrals=referrals
    )
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        referral = next((r for r in referrals if str(r.pk) == values.pop("referral")), None)
        try:
            recorded = external_assessment_record(
                acting_user=user, participant=person, referral=referral, **values
            )
        except InvalidInput as exc:
            form.add_problems(exc.problems)
        except PolicyDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(request, f"{recorded.tool} recorded for {person.display_name}.")
            return redirect("web:assessments", pk=person.pk)
    errors = form.error_list()
    context = {"participant": person, "form": form, "errors": errors, "tools": EXTERNAL_TOOLS}
    return render(request, "web/assessments/external_new.html", context,
                  status=400 if errors else 200)  # fmt: skip


# The profile on the participant page ------------------------------------------------------------


def _change_words(trend) -> str:
    if trend.change is None:
        return ""
    if trend.change == 0:
        return f"{trend.name} stayed the same"
    direction = "rose" if trend.change > 0 else "fell"
    return f"{trend.name} {direction} by {abs(trend.change):g}"


def _chart(chart_id, title, trends, *, y_label, y_labels=None):
    trends = [t for t in trends if t.points]
    if not trends:
        return None
    low = min(t.minimum for t in trends)
    high = max(t.maximum for t in trends)
    changes = "; ".join(filter(None, (_change_words(t) for t in trends)))
    text = f"{title} over time, on a scale from {low:g} to {high:g}. "
    text += changes or "One measurement so far."
    series = [Series(t.name, tuple(t.points)) for t in trends]
    return line_chart(chart_id=chart_id, title=title, description=text, y_min=low, y_max=high,
                      y_label=y_label, y_labels=y_labels, series=series)  # fmt: skip


def profile_context(user, person, *, openings=None, referrals=None) -> dict:
    """The participant page's profile, from `reads.assessments_read` (read and recorded with
    the page; `openings` and `referrals` as the page read them): what the user may not read is
    not there to show."""
    found = assessments_read(user, person, openings=openings, referrals=referrals)
    profile = profile_of(found.administrations, found.external)
    levels = {RISK_ORDER[value]: label for value, label in RiskLevel.choices}
    capital, groups = profile.capital[:1], profile.capital[1:]
    rulers = [t for t in profile.readiness if not t.name.startswith("SOCRATES")]
    socrates = [t for t in profile.readiness if t.name.startswith("SOCRATES")]
    risk = [profile.risk_trend] if profile.risk_trend else []
    capital_title = f"Recovery capital ({profile.capital_title})"
    return {
        "profile": profile,
        "profile_any": bool(found.administrations or found.external),
        "risk_chart": _chart(
            "chart-risk", "Risk and need level", risk, y_label="Level", y_labels=levels
        ),
        "capital_chart": _chart("chart-capital", capital_title, capital, y_label="Total score"),
        "capital_groups_chart": _chart(
            "chart-capital-groups",
            "Recovery capital by Turnpoint's grouping",
            groups,
            y_label="Score",
        ),
        "capital_latest": capital[0] if capital else None,
        "capital_groups": groups,
        "readiness_chart": _chart(
            "chart-readiness", "Readiness: importance and confidence", rulers, y_label="Rating"
        ),
        "socrates_chart": _chart(
            "chart-socrates", "Readiness to change (SOCRATES)", socrates, y_label="Scale score"
        ),
        "readiness_latest": rulers,
        "may_give": may_give_any(user),
    }
