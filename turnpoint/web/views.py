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

from turnpoint.errors import Conflict, InvalidInput
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
    not_found,
    participant_for_user,
    participants_visible_to,
    referrals_visible_to,
)
from turnpoint.sharing.reads import (
    field_history_read,
    latest_referrals,
    participant_record,
    participants_list,
)
from turnpoint.sharing.rules import PolicyDenied, decide
from turnpoint.sharing.statutory import statutory_reports_for

from .actions import referral_actions
from .forms import ReferralIntakeForm, TransitionForm
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


def _caseload_filters_url(programme, state) -> str:
    params = {k: v for k, v in (("programme", programme), ("state", state)) if v}
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("web:caseload") + (f"?{query}" if query else "")


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
    programme = by_id.get(data.get("programme", "")) if "clear" not in data else None
    # A stage shown or filtered on is pathway information, a name searched on identity: each is
    # offered only to those who may read it in every programme the list spans, and asked for by
    # anyone else it is refused, never quietly answered (security.md SEC-44).
    refused = filter_refusals(
        user, CASELOAD_FILTERS, programmes=[programme] if programme else programmes
    )
    show_stage = not any(p.field == "state" for p in refused)
    state = data.get("state", "") if "clear" not in data else ""
    asked = {"state": state, "q": query}
    if any(asked[p.field] for p in refused):
        return _filters_refused(request, [p for p in refused if asked[p.field]])
    state = state if state in State.values else ""
    filters_url = _caseload_filters_url(programme.pk if programme else "", state)
    if request.method == "POST" and not request.htmx:
        return redirect(filters_url)  # post, redirect, get: reloading asks nothing

    # Rows are participants; each shows their latest referral that matches the filters.
    referrals = referrals_visible_to(user).filter(
        programme__in=[programme] if programme else programmes
    )
    if state:
        referrals = referrals.filter(state=state)
    rows = participants_visible_to(user)
    if programme or state:
        rows = rows.filter(Exists(referrals.filter(participant=OuterRef("pk"))))
    rows = rows.filter(_search(query))

    page = CappedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    # The list shows identity and the stage reached: a disclosure when the user's agency does
    # not hold them (a court or treatment user's caseload), none inside the programme team.
    shown = [C.IDENTITY] + ([C.PATHWAY] if show_stage else [])
    people = participants_list(user, page.object_list, shown)
    latest = latest_referrals(
        user, [p.pk for p in people], [programme] if programme else None, state
    )
    today = timezone.localdate()
    results = []
    for person in people:
        referral = latest.get(person.pk)
        results.append(
            {
                "participant": person,
                "referral": referral,
                "programme": by_id.get(str(referral.programme_id)) if referral else None,
                "days": (today - referral.referral_date).days if referral else None,
            }
        )
    context = {
        "results": results,
        "page": page,
        "query": query,
        "programmes": programmes,
        "programme": programme,
        "states": State.choices,
        "state": state,
        "show_stage": show_stage,
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
    if failed:
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
    }
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
            if failed and failed[0] == referral.pk and failed[1] == action.key:
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
        # Statutory reports this user may prepare now (SEC-15); empty for everyone else.
        "reports": statutory_reports_for(user, referral, episode=episode),
    }


def _actions(referral, *, episode, phases):
    """The steps to offer; at the eligibility step, with the programme's rules checked."""
    checked = ()
    if referral.state == State.ELIGIBILITY:
        checked = eligibility_check(referral.programme, referral)
    return referral_actions(referral, episode=episode, phases=phases, eligibility=checked)


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
    if request.method == "POST" and form.is_valid():
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
    context = {"form": form, "participant": person, "errors": form.error_list()}
    return render(request, "web/referral_new.html", context, status=400 if form.errors else 200)


def _referral_intake(user, form, person) -> Participant:
    """Record the person (when new) and the referral together: both or neither."""
    facts = form.referral_values()
    with transaction.atomic():
        if person is None:
            try:
                person = participant_create(acting_user=user, **form.person_values())
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
