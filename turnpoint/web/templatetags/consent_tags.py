"""`{% consent_and_safeguarding participant %}`: the participant page's section on consent to
take part, consents to share, the household and safeguarding, each shown only when the policy
allows it; and `{% govuk_checkboxes form.field %}` for a multiple-choice field.

The section reads nothing of its own: it renders what the page's selector read and recorded."""

from django import template
from django.template.loader import render_to_string

from turnpoint.sharing.categories import Category
from turnpoint.sharing.reach import openings_of
from turnpoint.sharing.rules import decide
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
    `share_openings` (the participant's openings the page decided with) and
    `household_children` (what a safeguarding lead's break-glass opened, read and recorded by
    the page's selector) and `participation_consents` (each referral's consent to take part)."""
    user = context["request"].user
    openings = context.get("share_openings") or openings_of(user, participant)
    legal = [s["referral"] for s in context.get("sections", []) if s.get("legal")]
    current = context.get("participation_consents") or {}
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
    glass = openings.break_glass if lead else None
    children = context.get("household_children") or []
    household_write = bool(decide(user, C.HOUSEHOLD, action="write"))
    return {
        "participant": participant,
        "taking_part": taking_part,
        "may_share": may_manage_sharing(user),
        "may_court_orders": may_manage_court_orders(user),
        # Other roles that may read the household see it on its own page (its read is audited
        # there), so opening the participant page does not read a sensitive category.
        "household_link": glass is None
        and (household_write or bool(decide(user, C.HOUSEHOLD, openings=openings))),
        "household_write": household_write,
        "children": children,
        "lead": lead,
        "glass": glass,
    }
