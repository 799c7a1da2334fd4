"""Every model that holds information about a participant declares its data category, so the
policy function can decide on it (shared/ARCHITECTURE.md, "Confidentiality is designed in")."""

from django.apps import apps

from turnpoint.people.models import Participant
from turnpoint.sharing.categories import Category


def _parents(model):
    return [f.related_model for f in model._meta.concrete_fields if f.is_relation]


def about_a_participant(model, depth: int = 2) -> bool:
    """The model is Participant or points to it within `depth` foreign keys."""
    if model is Participant:
        return True
    return depth > 0 and any(about_a_participant(p, depth - 1) for p in _parents(model))


def test_every_participant_model_declares_its_category():
    models = [
        m for m in apps.get_models()
        if m.__module__.startswith("turnpoint.") and about_a_participant(m)
    ]  # fmt: skip
    names = {m.__name__ for m in models}
    assert {"Participant", "Referral", "Transition", "Episode", "ShareConsent"} <= names
    for model in models:
        per_row = getattr(model, "category_field", None)
        if per_row:
            # Its rows differ (an administration of PHQ-9 is mental health, of BARC-10
            # strengths): the named field holds each row's category.
            assert model._meta.get_field(per_row).choices == Category.choices, model.__name__
            continue
        assert getattr(model, "data_category", None) in Category.values, model.__name__
