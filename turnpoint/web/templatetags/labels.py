"""Stored codes as a person reads them: `{{ entry.role|role_label }}`,
`{{ entry.purpose|purpose_label }}`, `{{ entry.categories|category_labels }}`,
`{{ entry.object_type|words }}` and `{{ participant_id|reference }}` (TP-000042). A code with no
label is shown in words."""

from django import template

from turnpoint.accounts.models import Role
from turnpoint.sharing.categories import Category, Purpose

register = template.Library()


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return words(value)


@register.filter
def words(value) -> str:
    """share_consent → Share consent."""
    text = str(value or "").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


@register.filter
def role_label(value) -> str:
    return _label(Role, value) if value else ""


@register.filter
def purpose_label(value) -> str:
    return _label(Purpose, value) if value else ""


@register.filter
def category_labels(values) -> str:
    return "; ".join(_label(Category, v) for v in values or ())


@register.filter
def reference(participant_id) -> str:
    return f"TP-{int(participant_id):06d}"
