from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "turnpoint.outcomes"
    label = "outcomes"
    verbose_name = "Outcomes"
