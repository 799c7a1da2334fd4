"""`{% consent_and_safeguarding participant %}`: the participant page's section on consent to
take part, consents to share, the household and safeguarding, each shown only when the policy
allows it; and `{% govuk_checkboxes form.field %}` for a multiple-choice field.

The section fetches its own rows in a fixed number of queries (one for the consents to take
part, one for a safeguarding lead), so the participant page's count stays flat."""

from django import template
from django.template.loader import render_to_string

from turnpoint.sharing.categories import Category
from turnpoint.sharing.participation import ParticipationConsent
from turnpoint.sharing.policy import audit_read, decide
from turnpoint.sharing.safeguarding import break_glass_active
from turnpoint.web.consent_views import (
    BEFORE_EPISODE,
    may_manage_sharing,
    may_record_participation_consent,
)
from turnpoint.web.court_order_views import may_manage_court_orders
from turnpoint.web.safeguarding_views import is_safeguarding_lead

register = template.Library()
C = Category


@register.simple_tag
def govuk_checkboxes(bound):
    value = bound.value() or []
    selected = {str(v) for v in value}
    context = {
        "field": bound,
        "id": bound.auto_id,
        "name": bound.html_name,
        "errors": bound.errors,
        "options": [
            {"value": str(v), "label": label, "selected": str(v) in selected, "index": i}
            for i, (v, label) in enumerate(bound.field.choices)
        ],
    }
    return render_to_string("web/consents/_checkboxes.html", context)


@register.inclusion_tag("web/consents/_participant_section.html", takes_context=True)
def consent_and_safeguarding(context, participant):
    """Uses the page's own `sections` (its referrals, with what the reader may see of each),
    `share_consents` (the participant's active consents the page decided with) and
    `share_court_orders` (none, when the page's participant query found no order in force), so
    it adds one query for the consents to take part, and one for a safeguarding lead."""
    user = context["request"].user
    consents = context.get("share_consents")  # None elsewhere: decide then asks the database
    court_orders = context.get("share_court_orders")  # likewise
    legal = [s["referral"] for s in context.get("sections", []) if s.get("legal")]
    current = {}
    if legal:
        rows = ParticipationConsent.objects.filter(  # reached through the page's referrals
            referral__in=[r.pk for r in legal], withdrawn_at__isnull=True
        ).order_by("-recorded_at", "-id")
        for consent in rows:
            current.setdefault(consent.referral_id, consent)
    taking_part = [
        {
            "referral": r,
            "programme": r.programme,
            "consent": current.get(r.pk),
            "may_record": may_record_participation_consent(user, r),
            "may_withdraw": bool(decide(user, C.LEGAL, programme=r.programme, action="write")),
            "before_episode": r.state in BEFORE_EPISODE,
        }
        for r in legal
    ]
    lead = is_safeguarding_lead(user)
    glass = break_glass_active(user, participant) if lead else None
    children = []
    if glass is not None:
        # The break-glass opened the household to this lead: show it here, and record the read.
        children = list(participant.household_children.all())
        audit_read(user, participants=[participant], categories=[C.HOUSEHOLD], obj=participant,
                   detail={"page": "participant", "break_glass": glass.pk})  # fmt: skip
    household_write = bool(decide(user, C.HOUSEHOLD, action="write"))
    return {
        "participant": participant,
        "taking_part": taking_part,
        "may_share": may_manage_sharing(user),
        "may_court_orders": may_manage_court_orders(user),
        # Other roles that may read the household see it on its own page (its read is audited
        # there), so opening the participant page does not read a sensitive category.
        "household_link": glass is None
        and (
            household_write
            or bool(
                decide(
                    user,
                    C.HOUSEHOLD,
                    participant=participant,
                    consents=consents,
                    court_orders=court_orders,
                )
            )
        ),
        "household_write": household_write,
        "children": children,
        "lead": lead,
        "glass": glass,
    }
