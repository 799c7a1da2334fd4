from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "turnpoint.assessments"
    label = "assessments"
    verbose_name = "Assessments"
