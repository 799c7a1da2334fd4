"""No filter oracle (security.md SEC-44): a list answers a filter, sort, search or count over a
field only for a reader who may read that field.

A list that narrows or orders its rows by a field answers a question about that field for every
row it spans, even when the field itself is left out of the rows: "how many referrals are at
episode?" is a count of their stages. So the field's data category is decided as if the field
were shown, for every programme the list spans, from role defaults and programme switches only:
a consent or court order opens a category for one participant, never for a whole list.

The API (turnpoint/api/common.py, `refuse_oracles`) and the staff pages (turnpoint/web/views.py,
the caseload) both call `filter_refusals`.
"""

from collections.abc import Iterable, Mapping

from turnpoint.accounts.models import Role
from turnpoint.errors import Problem

from .categories import Category
from .rules import decide


def filter_refusals(user, used: Mapping[str, str | None], *, programmes: Iterable) -> list[Problem]:
    """One problem for each parameter in `used` (parameter name → data category of the field it
    filters, sorts, searches or counts on; None for fields every reader of the list sees) whose
    category the user may not read in one of `programmes`. `programmes` is only iterated when a
    parameter has a category; an empty one stands for "no programme"."""
    problems = []
    checked = [(name, Category(category)) for name, category in used.items() if category]
    spans = list(programmes) if checked else []
    for name, category in checked:
        for programme in spans or [None]:
            decision = decide(user, category, programme=programme)
            if not decision:
                where = f" in {programme.name}" if programme is not None else ""
                who = f"the {Role(user.role).label.lower()} role" if user.role else "your account"
                reason = (
                    f"works on {category.label.lower()}{where}, which {who} may not "
                    "read, so the list cannot be narrowed, ordered or counted by it"
                )
                problems.append(Problem(name, reason))
                break
    return problems
