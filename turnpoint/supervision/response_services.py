"""Recording a response to a behaviour from the programme's response guide, and the ratio of
incentives to sanctions (docs/supervision.md, "Recording a response").

`response_options(referral, behaviour, behaviour_on)` proposes the guide's options in the order
to offer them (`responses.responses_for`: early substance use puts a service adjustment first,
R14). `response_record(...)` records the option chosen: it must be one the guide offers for that
behaviour in the episode's phase, the dates must be sensible (the behaviour not before the
episode began, the response not before the behaviour, neither in the future), and the same
response again returns the first (idempotent). The write and its audit entry are one
transaction.
"""

from datetime import date

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from turnpoint import dates
from turnpoint.errors import InvalidInput, Problem
from turnpoint.journeys.models import Episode, Referral
from turnpoint.programmes.responses import BEHAVIOURS
from turnpoint.sharing.audit import audit_write
from turnpoint.sharing.categories import Category
from turnpoint.sharing.reach import not_found, referrals_visible_to
from turnpoint.sharing.rules import require
from turnpoint.text import text_problems

from .models import Appointment, DrugTest, Response
from .responses import (
    NoGuide,
    Proposal,
    Ratio,
    incentive_sanction_ratio,
    response_guide,
    responses_for,
)

NOTE_MAX = 2000


def response_category(behaviour: str) -> str:
    """A response to substance use or to a test tells of test results: `drug_tests`; any other
    response is `pathway`."""
    known = BEHAVIOURS.get(behaviour)
    if known is not None and (known.substance_use or known.needs_testing):
        return Category.DRUG_TESTS
    return Category.PATHWAY


def _episode(referral) -> Episode:
    episode = Episode.objects.filter(referral=referral, ended_on__isnull=True).first()
    if episode is None:
        why = "has no running episode: responses are recorded while on the programme"
        raise InvalidInput([Problem("referral", why)])
    return episode


def response_options(referral, behaviour: str, behaviour_on: date) -> Proposal:
    """The guide's options for `behaviour` on `behaviour_on`, in the order to propose them, in
    the phase the episode is in. Refused naming the field when the guide does not answer."""
    episode = _episode(referral)
    problems = dates.in_order(
        "behaviour_on", behaviour_on, episode.started_on, "the start of the episode"
    )
    if problems:
        raise InvalidInput(problems)
    programme = referral.programme
    phases = programme.definition.get("phases", [])
    phase = phases[episode.phase_number - 1]["name"]
    try:
        guide = response_guide(programme.definition)
        return responses_for(guide, behaviour, phase, (behaviour_on - episode.started_on).days)
    except NoGuide as refusal:
        raise InvalidInput([Problem("behaviour", str(refusal))]) from refusal


def response_record(
    *,
    acting_user,
    referral,
    behaviour: str,
    behaviour_on: date,
    option: str,
    responded_on: date | None = None,
    note: str = "",
    appointment=None,
    drug_test=None,
) -> Response:
    """Record the response `option` (its text in the guide) to `behaviour`."""
    pk = getattr(referral, "pk", referral)
    referral = referrals_visible_to(acting_user).select_related("programme").filter(pk=pk).first()
    if referral is None:
        raise not_found(Referral, pk, "referral")
    category = response_category(behaviour)
    require(acting_user, category, programme=referral.programme, action="write")
    today = timezone.localdate()
    responded_on = responded_on or today
    note = (note or "").strip()
    problems: list[Problem] = []
    if not isinstance(behaviour_on, date):
        raise InvalidInput([Problem("behaviour_on", "must be a date")])
    if not isinstance(responded_on, date):
        raise InvalidInput([Problem("responded_on", "must be a date")])
    problems += dates.not_future("behaviour_on", behaviour_on, today=today)
    problems += dates.not_future("responded_on", responded_on, today=today)
    problems += dates.in_order("responded_on", responded_on, behaviour_on, "the behaviour's date")
    problems += text_problems("note", note, max_length=NOTE_MAX, multiline=True)
    for name, record, model in (
        ("appointment", appointment, Appointment),
        ("drug_test", drug_test, DrugTest),
    ):
        if (
            record is not None
            and not model.objects.filter(
                pk=getattr(record, "pk", record), referral=referral
            ).exists()
        ):
            problems.append(Problem(name, "is not a record of this referral"))
    if problems:
        raise InvalidInput(problems)
    proposal = response_options(referral, behaviour, behaviour_on)
    offered = [o.text for o in proposal.options]
    if option not in offered:
        raise InvalidInput(
            [
                Problem(
                    "option",
                    f"'{option}' is not offered by the guide for "
                    f"'{proposal.label}' in the phase "
                    f"'{proposal.phase}'",
                )
            ]
        )
    position = offered.index(option)
    chosen = proposal.options[position]
    episode = _episode(referral)
    with transaction.atomic():
        same = Response.objects.filter(
            referral=referral,
            behaviour=behaviour,
            behaviour_on=behaviour_on,
            option=option,
            responded_on=responded_on,
        ).first()
        if same is not None:
            return same
        response = Response.objects.create(
            participant_id=referral.participant_id,
            referral=referral,
            episode=episode,
            behaviour=behaviour,
            behaviour_label=proposal.label,
            behaviour_on=behaviour_on,
            appointment_id=getattr(appointment, "pk", appointment),
            drug_test_id=getattr(drug_test, "pk", drug_test),
            phase=proposal.phase,
            days_in_programme=(behaviour_on - episode.started_on).days,
            goal=proposal.goal,
            early_substance_use=proposal.early_substance_use,
            kind=chosen.kind,
            grade=chosen.grade,
            option=chosen.text,
            option_position=position,
            responded_on=responded_on,
            days_between=(responded_on - behaviour_on).days,
            category=category,
            note=note,
            recorded_by=acting_user,
        )
        audit_write(
            acting_user=acting_user,
            action="create",
            categories=[category],
            participant_ids=[referral.participant_id],
            obj=response,
            detail={"behaviour": behaviour, "kind": chosen.kind},
        )
    return response


def programme_ratio(programme) -> Ratio:
    """The programme's ratio of incentives to sanctions over every response recorded in it
    (counts only: no participant is named)."""
    counts = dict(
        Response.objects.filter(referral__programme=programme)
        .values("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    return incentive_sanction_ratio(kind for kind, n in counts.items() for _ in range(n))
