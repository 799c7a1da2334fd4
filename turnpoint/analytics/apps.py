from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "turnpoint.analytics"
    label = "analytics"
    verbose_name = "Outcomes and evaluation"
