"""Who may record a consent to share (security.md SEC-39): only the holder opens its information.

A consent is recorded by a user of the agency that holds every category it opens for this
participant (the treatment provider for clinical and treatment categories and drug tests, the
programme team for the rest: `disclosures.holding_kinds`), who reaches the participant through
their team. That agency is the disclosing party; staff cannot name another. There is no pending
state waiting for the holder to confirm: a consent the holder did not record is refused, so every
consent that exists was recorded by its holder. A consent that opens categories of both holders
is recorded as two, one by each. See docs/sharing.md, "Consent".
"""

from turnpoint.errors import Problem

from .categories import Category
from .reach import participants_visible_to
from .rules import TREATMENT_KINDS, holding_kinds


def holder_problems(acting_user, values: dict) -> list[Problem]:
    """SEC-39: the acting user's agency discloses, holds every category the consent opens, and
    reaches the participant through the user's team. The disclosing agency is the user's own
    when not given; naming another is refused."""
    agency = acting_user.agency if acting_user.agency_id else None
    if agency is None:
        return [Problem("disclosing_agency", (
            "is your agency, and you belong to none: only a user of the agency that holds the "
            "information records a consent to share it"
        ))]  # fmt: skip
    problems = []
    if not values.get("disclosing_agency"):
        values["disclosing_agency"] = agency
    named = values["disclosing_agency"]
    if getattr(named, "pk", named) != agency.pk:
        problems.append(Problem("disclosing_agency", (
            f"must be your own agency, {agency}: staff cannot name another agency as the one "
            "that shares the information; a user of that agency records its consents"
        )))  # fmt: skip
    for c in values.get("categories") or []:
        kinds = holding_kinds(c)
        if c in Category.values and agency.kind not in kinds:
            holder = (
                "the treatment provider"
                if kinds == TREATMENT_KINDS
                else "the programme team (coordination or probation)"
            )
            problems.append(Problem("categories", (
                f"'{Category(c).label}' is held by {holder}, not by {agency}: a user there "
                "records the consent to share it"
            )))  # fmt: skip
    pid = getattr(values.get("participant"), "pk", values.get("participant"))
    if pid and not participants_visible_to(acting_user).filter(pk=pid).exists():
        problems.append(Problem("participant", (
            "is not in a programme of your team: only the agency that holds this participant's "
            "information records a consent to share it"
        )))  # fmt: skip
    return problems
