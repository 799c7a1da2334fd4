"""Is this probably someone already recorded? The rules, as pure functions (docs/sharing.md,
"One person, one record").

A record is a likely duplicate of a new person when
- it has the same date of birth and a similar name, or
- it has the same external identifier: the same kind and the same normalised value.

Names are similar when, after `name_key` (lower case, accents dropped, hyphens, apostrophes and
runs of spaces made one space), they are the same; or given and family names are swapped; or the
family names are the same and the given names share their first letter ("J Smith", "Jo Smith");
or the whole names are at most `MAX_EDITS` single-character edits apart ("Jon Smyth", "John
Smith"). The check only asks; the person creating the record decides.

The query that applies these rules keeps to the user's reach: `sharing.reads.duplicate_candidates`.
"""

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from .models import IdentifierKind

MAX_EDITS = 2


def name_key(text: str) -> str:
    """A name as compared: 'Zoë  Smith-Jones' and "zoe smith jones" are the same."""
    decomposed = unicodedata.normalize("NFKD", str(text or ""))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    for mark in "-\u2010\u2011\u2013'\u2019`.":  # hyphens, dashes, apostrophes, dots
        plain = plain.replace(mark, " ")
    return " ".join(plain.split())


def edit_distance(a: str, b: str, limit: int = MAX_EDITS) -> int:
    """Levenshtein distance, stopping early once it is over `limit` (returns limit + 1)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ca != cb)))  # fmt: skip
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def name_similarity(given_a: str, family_a: str, given_b: str, family_b: str) -> str:
    """Why two names are probably the same person's, in plain words; "" when they are not."""
    ga, fa, gb, fb = (name_key(n) for n in (given_a, family_a, given_b, family_b))
    if not (ga and fa and gb and fb):
        return ""
    if (ga, fa) == (gb, fb):
        return "the same name"
    if (ga, fa) == (fb, gb):
        return "the same name with given and family names swapped"
    if fa == fb and ga[0] == gb[0]:
        return "the same family name and first initial"
    if edit_distance(f"{ga} {fa}", f"{gb} {fb}") <= MAX_EDITS:
        return "a name spelled nearly the same"
    return ""


@dataclass(frozen=True)
class Person:
    """What the rules compare: a record or the person about to be recorded."""

    given_name: str
    family_name: str
    date_of_birth: date | None
    identifiers: frozenset[tuple[str, str]] = frozenset()  # (kind, normalised value)


def match_reasons(new: Person, existing: Person) -> list[str]:
    """Why `existing` is probably `new`, in plain words; empty when it is not."""
    reasons = []
    if new.date_of_birth is not None and new.date_of_birth == existing.date_of_birth:
        similar = name_similarity(
            new.given_name, new.family_name, existing.given_name, existing.family_name
        )
        if similar:
            reasons.append(f"{similar} and the same date of birth")
    for kind, _value in sorted(new.identifiers & existing.identifiers):
        label = IdentifierKind(kind).label if kind in IdentifierKind.values else kind
        reasons.append(f"the same {label}")
    return reasons


def likely_duplicates(new: Person, existing: Iterable[tuple[object, Person]]) -> list[tuple]:
    """(record, reasons) for each existing (record, person) that is probably `new`."""
    found = []
    for record, person in existing:
        reasons = match_reasons(new, person)
        if reasons:
            found.append((record, reasons))
    return found
