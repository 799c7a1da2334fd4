"""`{% govuk_field form.name %}` renders a form field as the matching GOV.UK Frontend component
(label, hint, error message, input), so templates stay short and every field looks the same."""

from django import forms, template
from django.template.loader import render_to_string

from turnpoint.web.forms import DateInputField

register = template.Library()


def _kind(bound) -> str:
    field, widget = bound.field, bound.field.widget
    if isinstance(field, DateInputField):
        return "date"
    if isinstance(widget, forms.HiddenInput):
        return "hidden"
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    return "input"


@register.simple_tag
def govuk_field(bound, width: str = "", autocomplete: str = "", heading: bool = False):
    kind = _kind(bound)
    value = bound.value()
    context = {
        "field": bound,
        "id": bound.auto_id,
        "name": bound.html_name,
        "value": "" if value is None else value,
        "errors": bound.errors,
        "width": width,
        "autocomplete": autocomplete,
        "required": bound.field.required,
    }
    if kind == "date":
        context["parts"] = list(zip(("day", "month", "year"), value, strict=True))
    if kind in ("radios", "select"):
        current = "" if value is None else str(value)
        context["options"] = [
            {"value": str(v), "label": label, "selected": str(v) == current, "index": i}
            for i, (v, label) in enumerate(bound.field.choices)
        ]
    return render_to_string(f"web/fields/{kind}.html", context)


@register.filter
def state_tag(state: str) -> str:
    """GOV.UK tag colour for a pathway state."""
    return {
        "episode": "govuk-tag--green",
        "exit": "govuk-tag--purple",
        "follow_up": "govuk-tag--purple",
        "closed": "govuk-tag--grey",
        "left": "govuk-tag--grey",
        "decision": "govuk-tag--yellow",
        "recommendation": "govuk-tag--yellow",
    }.get(state, "govuk-tag--blue")
