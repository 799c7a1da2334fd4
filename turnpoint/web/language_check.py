"""The language check on a staff form (docs/plans.md, "The language check"): what any form that
stores staff free text uses to show `turnpoint.language` findings and ask the author to change
the words or keep them.

A form adds `keep_wording_field()` as its `keep_wording` field and passes its value to the
service; when the service raises `WordingToCheck`, the view calls `show_findings(form, exc,
where)` and renders `web/_language_check.html` with the returned list as `findings` (the
template shows the checkbox only then)."""

from django import forms

from turnpoint.language import WordingToCheck

KEEP_WORDING_ERROR = "Change the flagged words, or tick 'Keep my wording' to save them as typed"


def keep_wording_field() -> forms.BooleanField:
    return forms.BooleanField(
        label="Keep my wording",
        required=False,
        help_text="Only if the check flagged words you mean to keep, for example a quotation. "
        "Your choice is recorded.",
    )


def show_findings(form, exc: WordingToCheck, where) -> list[dict]:
    """Mark the form's `keep_wording` field and return the findings for the template, each
    with `where` (`where(field)`: the field in words, "Staff note") and the `finding`."""
    form.add_error("keep_wording", KEEP_WORDING_ERROR)
    return [{"where": where(f.field), "finding": f} for f in exc.findings]
