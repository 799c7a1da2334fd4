"""Staff pages: caseload, participant, referral intake and pathway actions.

Every page reaches participants only through turnpoint.sharing.reads and .reach (STYLE.md
rule 5) and changes data only through the service functions (rule 1). The helpers at the top
are the only ways these views get hold of a protected object; each gives the same 404 for
"missing" and "forbidden" (security.md SEC-02).
"""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.functional import cached_property
from django.views.decorators.http import require_http_methods, require_POST

from turnpoint.accounts.models import Role
from turnpoint.errors import Conflict, InvalidInput, Problem
from turnpoint.journeys.assignment import (
    ASSIGNS,
    CASE_MANAGER_ROLES,
    KEY_WORKER_ROLES,
    assignable,
    episode_assign,
    may_assign,
)
from turnpoint.journeys.attention import (
    CONSENT_MISSING,
    Facts,
    attention,
    days_since_referral,
    phase_minimums,
    phase_names,
    targets_of,
)
from turnpoint.journeys.caseload import assigned_to, participants_by_attention, with_attention
from turnpoint.journeys.corrections import may_correct_steps
from turnpoint.journeys.models import Episode, Referral, State
from turnpoint.journeys.selectors import referral_timeliness
from turnpoint.journeys.services import referral_create, referral_problems, referral_transition
from turnpoint.people.models import Participant
from turnpoint.people.services import participant_create
from turnpoint.programmes.eligibility import eligibility_check
from turnpoint.sharing.categories import Category
from turnpoint.sharing.filters import filter_refusals
from turnpoint.sharing.reach import (
    episodes_visible_to,
    not_found,
    participant_for_user,
    participants_visible_to,
    referrals_visible_to,
)
from turnpoint.sharing.reads import (
    custody_read,
    field_history_read,
    participant_record,
    participants_list,
)
from turnpoint.sharing.rules import PolicyDenied, decide
from turnpoint.sharing.statutory import statutory_reports_for

from . import merge_views, outcome_views, plan_views, response_views, supervision_views
from .actions import referral_actions
from .assessment_views import profile_context
from .forms import ReferralIntakeForm, TransitionForm
from .identity_views import may_change_details
from .timeline import timeline_entries

PAGE_SIZE = 50
# Counting stops here, so a page costs the same for a caseload of 100 or of 100,000 (issue 2,
# "no page's query count growing with the size of the caseload"); beyond it staff search.
COUNT_CAP = 1000
REFERENCE = re.compile(r"^(?:tp-?)?0*(\d{1,9})$", re.IGNORECASE)
C = Category


class CappedPaginator(Paginator):
    """A paginator that counts at most COUNT_CAP + 1 rows (`count_capped` says it stopped)."""

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[: COUNT_CAP + 1].count()

    @property
    def count_capped(self) -> bool:
        return self.count > COUNT_CAP


def _get_referral_for_user(user, pk) -> Referral:
    """A referral in one of the user's programmes, of a participant the user may reach."""
    try:
        return referrals_visible_to(user).select_related("programme", "participant").get(pk=int(pk))
    except (ValueError, TypeError, Referral.DoesNotExist) as exc:
        raise not_found(Referral, pk, "referral") from exc


def _episode_of(referral) -> Episode | None:
    try:
        return referral.episode
    except Episode.DoesNotExist:
        return None


def _may_refer(user, programme, *, new_person: bool) -> bool:
    categories = [C.LEGAL, C.PATHWAY] + ([C.IDENTITY] if new_person else [])
    return all(decide(user, c, programme=programme, action="write") for c in categories)


# Caseload ---------------------------------------------------------------------------------------


# The typed search lives in the session, never in a URL: a name in a URL reaches the browser
# history, server logs and Referer headers (security.md SEC-30). Programme and stage filters are
# not personal data and stay in the query string, so a filtered list can be bookmarked.
SEARCH_SESSION_KEY = "caseload_query"


def _caseload_filters_url(programme, state, view="") -> str:
    params = {k: v for k, v in (("view", view), ("programme", programme), ("state", state)) if v}
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("web:caseload") + (f"?{query}" if query else "")


# Roles that hold a caseload of their own: the coordinator (the referrals they took in), and those
# assigned as key worker or case manager (journeys/assignment.py). Their page opens on "My
# caseload"; court roles and the safeguarding lead, never assigned, see their team's list only.
OWN_CASELOAD_ROLES = frozenset({Role.COORDINATOR, *KEY_WORKER_ROLES, *CASE_MANAGER_ROLES})


@login_required
@require_http_methods(["GET", "POST"])
def caseload(request):
    user = request.user
    identity = decide(user, C.IDENTITY)
    if not identity:
        return render(request, "web/caseload_unavailable.html", {"reason": identity.reason})
    programmes = list(user.programmes.all())
    by_id = {str(p.pk): p for p in programmes}
    data = request.POST if request.method == "POST" else request.GET
    if request.method == "POST":
        query = "" if "clear" in request.POST else request.POST.get("q", "").strip()[:100]
        request.session[SEARCH_SESSION_KEY] = query
    else:
        query = request.session.get(SEARCH_SESSION_KEY, "")
    has_own = user.role in OWN_CASELOAD_ROLES
    mine = has_own and data.get("view", "") != "team"
    programme = by_id.get(data.get("programme", "")) if "clear" not in data else None
    spanned = [programme] if programme else programmes
    # A stage shown or filtered on is pathway information, a name searched on identity: each is
    # offered only to those who may read it in every programme the list spans, and asked for by
    # anyone else it is refused, never quietly answered (security.md SEC-44).
    refused = filter_refusals(user, CASELOAD_FILTERS, programmes=spanned)
    show_stage = not any(p.field == "state" for p in refused)
    state = data.get("state", "") if "clear" not in data else ""
    asked = {"state": state, "q": query}
    if any(asked[p.field] for p in refused):
        return _filters_refused(request, [p for p in refused if asked[p.field]])
    state = state if state in State.values else ""
    view = "team" if has_own and not mine else ""  # "My caseload" is the page without it
    filters_url = _caseload_filters_url(programme.pk if programme else "", state, view)
    if request.method == "POST" and not request.htmx:
        return redirect(filters_url)  # post, redirect, get: reloading asks nothing

    # Rows are participants; each shows their latest referral that matches the filters (and, on
    # "My caseload", is on the user's own caseload).
    referrals = referrals_visible_to(user).filter(programme__in=spanned)
    if state:
        referrals = referrals.filter(state=state)
    if mine:
        referrals = referrals.filter(assigned_to(user))
    rows = participants_visible_to(user)
    if programme or state or mine:
        rows = rows.filter(Exists(referrals.filter(participant=OuterRef("pk"))))
    rows = rows.filter(_search(query))
    today = timezone.localdate()
    # The order by attention works on the pathway (and on the consent to take part, a legal
    # fact): only for those who may read it in every programme the list spans (SEC-44).
    consent_known = show_stage and not filter_refusals(
        user, {"consent": C.LEGAL}, programmes=spanned
    )
    # The 14 days after release are pathway; its open tasks counted only of the categories
    # the user may read in every programme spanned (the treatment tasks are clinical).
    release_categories = (
        frozenset(c for c in (C.PATHWAY, C.CLINICAL)
                  if not filter_refusals(user, {"task": c}, programmes=spanned))
        if show_stage else None
    )  # fmt: skip
    if show_stage:
        rows = participants_by_attention(
            rows, referrals, programmes=spanned, today=today, consent_known=consent_known,
            release_categories=release_categories,
        )  # fmt: skip

    page = CappedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    # The list shows identity and the stage reached: a disclosure when the user's agency does
    # not hold them (a court or treatment user's caseload), none inside the programme team.
    shown = [C.IDENTITY] + ([C.PATHWAY] if show_stage else [])
    people = participants_list(user, page.object_list, shown)
    results = _caseload_rows(people, referrals, by_id, show_stage=show_stage,
                             consent_known=consent_known, today=today,
                             release_categories=release_categories)  # fmt: skip
    # A row saying the consent to take part is missing shows a legal fact: read and recorded as
    # such, for those rows, before anything is shown.
    told = {r["participant"].pk: r["programme"] for r in results if r["consent_item"]}
    if told:
        participants_list(user, [r["participant"] for r in results if r["consent_item"]],
                          [C.LEGAL], programme_by_participant=told)  # fmt: skip
    context = {
        "results": results,
        "page": page,
        "query": query,
        "programmes": programmes,
        "programme": programme,
        "states": State.choices,
        "state": state,
        "show_stage": show_stage,
        "has_own": has_own,
        "mine": mine,
        "mine_url": _caseload_filters_url(programme.pk if programme else "", state),
        "team_url": _caseload_filters_url(programme.pk if programme else "", state, "team"),
        "view": view,
        "filtered": bool(query or programme or state),
        "count_cap": COUNT_CAP,
        "may_open_portal": bool(decide(user, C.IDENTITY, action="write")),
        "may_refer": any(_may_refer(user, p, new_person=True) for p in programmes),
    }
    partial = request.htmx and not request.htmx.history_restore_request
    template = "web/_caseload_results.html" if partial else "web/caseload.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    if request.method == "POST":
        response["HX-Push-Url"] = filters_url
    return response


def _caseload_rows(people, referrals, by_id, *, show_stage, consent_known, today,
                   release_categories=None) -> list[dict]:  # fmt: skip
    """Each participant with the referral their row shows (the latest of `referrals`), its days
    since referral while the pathway is open and, for readers of the pathway, what needs
    attention: one query for the page, whatever its length."""
    found = referrals.filter(participant_id__in=[p.pk for p in people]).select_related("episode")
    if show_stage:
        found = with_attention(found, programmes=list(by_id.values()), today=today,
                               consent_known=consent_known,
                               release_categories=release_categories)  # fmt: skip
    latest: dict = {}
    for referral in found.order_by("participant_id", "-referral_date", "-id"):
        latest.setdefault(referral.participant_id, referral)
    results = []
    for person in people:
        referral = latest.get(person.pk)
        programme = by_id.get(str(referral.programme_id)) if referral else None
        item = None
        if referral is not None and programme is not None and show_stage:
            item = _attention_of(referral, programme, today, consent_known)
        results.append(
            {
                "participant": person,
                "referral": referral,
                "programme": programme,
                "days": days_since_referral(referral.state, referral.referral_date, today)
                if referral and show_stage else None,
                "attention": item,
                "consent_item": item is not None and item.rank == CONSENT_MISSING,
            }
        )  # fmt: skip
    return results


def _attention_of(referral, programme, today, consent_known):
    episode = _episode_of(referral)
    phase_number = episode.phase_number if episode else None
    facts = Facts(
        state=referral.state,
        referral_date=referral.referral_date,
        offence_date=referral.offence_date,
        phase_number=phase_number,
        phase_started_on=referral.phase_started_on,
        has_participation_consent=referral.has_participation_consent if consent_known else None,
        release_tasks_open=referral.release_tasks_open
        if getattr(referral, "in_release_window", False)
        else None,
    )
    return attention(
        facts, targets=targets_of(programme.definition),
        phase_days=phase_minimums(programme.definition),
        phase_name=phase_names(programme.definition).get(phase_number or 0, ""), today=today,
    )  # fmt: skip


# The caseload's filters and the category of what each narrows by (SEC-44); the programme is
# one of the user's own and the rows are in name order, which every reader of the list sees.
CASELOAD_FILTERS = {"state": C.PATHWAY, "q": C.IDENTITY}
FILTER_LABELS = {"state": "Stage", "q": "Name or reference"}


def _filters_refused(request, problems):
    """The caseload refused, with each filter named and why; audited like any denial (SEC-20)."""
    lines = [f"{FILTER_LABELS[p.field]}: {p.reason}" for p in problems]
    response = render(request, "web/caseload_filter_refused.html", {"lines": lines}, status=403)
    response.denial_reason = "; ".join(f"{p.field} {p.reason}" for p in problems)
    return response


def _search(query: str) -> Q:
    """Every word must match a name; a TP-reference (or its number) finds that participant."""
    if not query:
        return Q()
    match = REFERENCE.match(query.replace(" ", ""))
    if match:
        return Q(pk=int(match.group(1)))
    condition = Q()
    for word in query.split()[:5]:
        condition &= (
            Q(given_name__icontains=word)
            | Q(family_name__icontains=word)
            | Q(preferred_name__icontains=word)
        )
    return condition


# Participant page -------------------------------------------------------------------------------


@login_required
def participant(request, pk):
    return _participant_page(request, pk)


def _participant_page(request, pk, *, failed=None, problems=(), status=200):
    """The participant page, rendered from what `reads.participant_record` read and recorded.
    `failed` is (referral pk, action key, bound form) when a pathway action was refused and its
    form must show the errors; `problems` go in the page's summary."""
    user = request.user
    found = participant_record(user, pk)
    person, referrals = found.participant, found.referrals
    # Earlier values of edited fields, of the categories this user may read (read and recorded).
    history = field_history_read(user, person, referrals)
    sections = [
        _referral_section(
            user,
            r,
            categories=found.categories[r.pk],
            failed=failed,
            earlier=history.offence.get(r.pk),
        )
        for r in referrals
    ]
    errors = [("", p) for p in problems]
    if failed and failed[1] != "assign":
        errors += failed[2].error_list(id_prefix=f"r{failed[0]}-{failed[1]}-")
    context = {
        "participant": person,
        "age": person.age_on(timezone.localdate()),
        "sections": sections,
        "errors": errors,
        "readable": [c.label for c in C if c in found.readable_anywhere],
        "role": user.get_role_display(),
        "may_open_portal": bool(decide(user, C.IDENTITY, action="write")),
        "may_refer": any(_may_refer(user, r.programme, new_person=False) for r in referrals),
        # The section on consent and safeguarding decides with the openings read above and
        # shows the household the lead's break-glass opened, read and recorded with the page.
        "share_openings": found.openings,
        "household_children": found.household_children,
        "participation_consents": found.participation_consents,
        "earlier_identity": history.identity,
        "may_change_details": bool(may_change_details(user, {r.programme for r in referrals})),
    }
    context.update(merge_views.participant_page_context(user, person, found.openings))
    context.update(plan_views.participant_page_context(user, person, found))
    # The profile: the assessments this user may read, read and recorded with the page.
    context.update(profile_context(user, person, openings=found.openings, referrals=referrals))
    context.update(
        supervision_views.participant_page_context(user, person, referrals, found.openings)
    )
    # Custody and the 14 days after release (docs/supervision.md), read and recorded.
    context["custody_rows"] = custody_read(user, person, openings=found.openings,
                                           referrals=referrals)  # fmt: skip
    context["may_record_custody"] = bool(decide(user, C.LEGAL, action="write"))
    context.update(outcome_views.outcomes_context(user, person, found))
    context.update(response_views.participant_page_context(user, person, referrals, found.openings))
    return render(request, "web/participant.html", context, status=status)


def _referral_section(user, referral, *, categories, failed, earlier=None) -> dict:
    programme = referral.programme
    transitions = list(referral.transitions.all())
    phases = list(programme.phases.all())
    phase_names = {p.number: p.name for p in phases}
    episode = _episode_of(referral)
    forms = []
    if C.PATHWAY in categories and decide(user, C.PATHWAY, programme=programme, action="write"):
        for action in _actions(referral, episode=episode, phases=phases):
            form = None
            if failed and failed[0] == referral.pk and failed[1] == action.key != "assign":
                form = failed[2]
            forms.append(
                {
                    "action": action,
                    "form": form or _transition_form(referral, action),
                    "open": form is not None or action.primary,
                }
            )
    return {
        "referral": referral,
        "categories": categories,
        "legal": C.LEGAL in categories,
        "pathway": C.PATHWAY in categories,
        "timeliness": referral_timeliness(referral, transitions),
        "episode": episode,
        "phase_name": phase_names.get(episode.phase_number) if episode else "",
        "timeline": timeline_entries(
            transitions,
            programme=programme,
            phase_names=phase_names,
            # participant_record shows only referrals to the user's team's programmes
            may_fix=may_correct_steps(user, programme, in_team=True),
        ),
        "forms": forms,
        "earlier": earlier,  # the offence facts' earlier values, when the user may read them
        "may_edit_offence": C.LEGAL in categories
        and bool(decide(user, C.LEGAL, programme=programme, action="write")),
        # The matching page, for readers of the recovery plan (docs/matching.md).
        "may_match": C.PLAN in categories,
        # Statutory reports this user may prepare now (SEC-15); empty for everyone else.
        "reports": statutory_reports_for(user, referral, episode=episode),
        "assign": _assign_form(user, programme, episode, failed=failed),
    }


def _actions(referral, *, episode, phases):
    """The steps to offer; at the eligibility step, with the programme's rules checked."""
    checked = ()
    if referral.state == State.ELIGIBILITY:
        checked = eligibility_check(referral.programme, referral)
    return referral_actions(referral, episode=episode, phases=phases, eligibility=checked)


def _assign_form(user, programme, episode, *, failed) -> dict | None:
    """The "Assign" form of an active episode, for a coordinator of its programme's team (the
    page shows only referrals to the user's team): the team's active members who may be key
    worker and case manager, the current ones chosen."""
    if episode is None or not episode.is_active or user.role != ASSIGNS:
        return None
    if failed and failed[1] == "assign" and failed[0] == episode.referral_id:
        return failed[2]
    return {
        "choices": assignable(programme),
        "key_worker": episode.key_worker_id,
        "case_manager": episode.case_manager_id,
        "version": episode.version,
        "problems": [],
    }


@login_required
@require_POST
def episode_assignment_page(request, pk):
    """Assign an episode's key worker and case manager (journeys/assignment.py)."""
    user = request.user
    try:
        episode = (
            episodes_visible_to(user).select_related("programme", "participant").get(pk=int(pk))
        )
    except (ValueError, TypeError, Episode.DoesNotExist) as exc:
        raise not_found(Episode, pk, "episode") from exc
    person, programme = episode.participant, episode.programme
    if not may_assign(user, programme):
        raise PermissionDenied(
            f"Only a programme coordinator of the {programme.name} team assigns key workers "
            "and case managers."
        )
    choices = assignable(programme)
    chosen, problems = {}, []
    for field in ("key_worker", "case_manager"):
        raw = request.POST.get(field, "")
        chosen[field] = next((u for u in choices[field] if str(u.pk) == raw), None)
        if raw and chosen[field] is None:
            problems.append(Problem(field, "choose someone from the list"))
    version = request.POST.get("expected_version", "")
    if not problems:
        try:
            episode_assign(
                episode, acting_user=user,
                key_worker=chosen["key_worker"], case_manager=chosen["case_manager"],
                expected_version=int(version) if version.isdigit() else 0,
            )  # fmt: skip
        except Conflict:
            problem = (
                "Someone else changed this episode since you opened the page. Nothing was "
                "saved. Check who is assigned now and assign again if it is still right."
            )
            return _participant_page(request, person.pk, problems=[problem], status=409)
        except InvalidInput as exc:
            problems = exc.problems
        except PolicyDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            names = [f"{label} {chosen[f] or 'nobody'}" for f, label in
                     (("key_worker", "key worker"), ("case_manager", "case manager"))]  # fmt: skip
            messages.success(request, f"Assigned for {person.display_name}: {', '.join(names)}.")
            url = reverse("web:participant", args=[person.pk])
            return redirect(f"{url}#referral-{episode.referral_id}")
    form = {
        "choices": choices,
        "key_worker": chosen["key_worker"].pk if chosen["key_worker"] else None,
        "case_manager": chosen["case_manager"].pk if chosen["case_manager"] else None,
        "version": episode.version,
        "problems": problems,
    }
    labels = {"key_worker": "Key worker", "case_manager": "Case manager"}
    lines = [f"{labels[p.field]}: {p.reason}" if p.field in labels else str(p) for p in problems]
    return _participant_page(request, person.pk, failed=(episode.referral_id, "assign", form),
                             problems=lines, status=400)  # fmt: skip


def _transition_form(referral, action, data=None) -> TransitionForm:
    return TransitionForm(
        data,
        fields=action.fields,
        required=action.required,
        choices=action.choices,
        initial={"expected_version": referral.version},
        auto_id=f"r{referral.pk}-{action.key}-%s",
    )


# Pathway actions --------------------------------------------------------------------------------


@login_required
@require_POST
def referral_transition_page(request, pk):
    user = request.user
    referral = _get_referral_for_user(user, pk)
    person = referral.participant
    allowed = decide(user, C.PATHWAY, programme=referral.programme, action="write")
    if not allowed:
        raise PermissionDenied(allowed.reason)
    if request.POST.get("expected_version") != str(referral.version):
        return _participant_page(request, person.pk, problems=[_stale(referral)], status=409)
    episode = _episode_of(referral)
    phases = list(referral.programme.phases.all())
    actions = {a.key: a for a in _actions(referral, episode=episode, phases=phases)}
    action = actions.get(request.POST.get("action", ""))
    if action is None:
        offered = ", ".join(a.title.lower() for a in actions.values()) or "none"
        problem = (
            f"That step is not available for a referral at '{referral.get_state_display()}'. "
            f"Steps you can record now: {offered}."
        )
        return _participant_page(request, person.pk, problems=[problem], status=400)
    form = _transition_form(referral, action, request.POST)
    if form.is_valid():
        try:
            referral_transition(
                referral,
                acting_user=user,
                to_state=action.to_state,
                expected_version=form.cleaned_data["expected_version"],
                **form.service_values(),
                **action.fixed,
            )
        except Conflict:
            return _participant_page(request, person.pk, problems=[_stale(referral)], status=409)
        except InvalidInput as exc:
            form.add_problems(exc.problems)
        except PolicyDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(request, f"{action.title}: recorded for {person.display_name}.")
            url = reverse("web:participant", args=[person.pk])
            return redirect(f"{url}#referral-{referral.pk}")
    return _participant_page(request, person.pk, failed=(referral.pk, action.key, form), status=400)


def _stale(referral) -> str:
    referral.refresh_from_db(fields=["state", "version"])
    return (
        "Someone else changed this referral since you opened the page: it is now at "
        f"'{referral.get_state_display()}'. Nothing was saved. Check the timeline below and "
        "record your step again if it is still right."
    )


# Referral intake --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def referral_new(request):
    user = request.user
    person = None
    if request.GET.get("participant"):
        person = participant_for_user(user, request.GET["participant"])
    programmes = [
        p for p in user.programmes.all() if _may_refer(user, p, new_person=person is None)
    ]
    if not programmes:
        reason = decide(user, C.LEGAL, action="write").reason
        response = render(request, "web/referral_unavailable.html", {"reason": reason}, status=403)
        response.denial_reason = reason  # audited by DenialAuditMiddleware (SEC-20)
        return response
    form = ReferralIntakeForm(
        request.POST if request.method == "POST" else None,
        programmes=programmes,
        participant=person,
    )
    candidates: list = []
    # A likely duplicate is shown before anything is saved; the form keeps its values and
    # "This is a different person" resubmits it (docs/web.md, "Likely duplicates").
    if (
        request.method == "POST"
        and form.is_valid()
        and person is None
        and not request.POST.get("different_person")
    ):
        candidates = merge_views.likely_duplicates_for_form(user, form)
    if request.method == "POST" and form.is_valid() and not candidates:
        try:
            person = _referral_intake(user, form, person)
        except InvalidInput as exc:
            form.add_problems(exc.problems)
        except PolicyDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, f"Referral received for {person.display_name} ({person.reference})."
            )
            return redirect("web:participant", pk=person.pk)
    context = {"form": form, "participant": person, "errors": form.error_list(),
               "candidates": candidates}  # fmt: skip
    return render(request, "web/referral_new.html", context, status=400 if form.errors else 200)


def _referral_intake(user, form, person) -> Participant:
    """Record the person (when new) and the referral together: both or neither."""
    facts = form.referral_values()
    with transaction.atomic():
        if person is None:
            try:
                person = participant_create(acting_user=user, **form.person_values())
                merge_views.identifiers_record(user, person, form.identifier_values())
            except InvalidInput as exc:
                # Also report what is wrong with the referral, so one round trip shows it all.
                stand_in = Participant(date_of_birth=form.cleaned_data["date_of_birth"])
                more = referral_problems(
                    participant=stand_in,
                    today=timezone.localdate(),
                    **{k: v for k, v in facts.items() if k not in ("programme", "offence_summary")},
                )
                raise InvalidInput(
                    exc.problems + [p for p in more if p not in exc.problems]
                ) from exc
        referral_create(acting_user=user, participant=person, **facts)
    return person
