from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "turnpoint.assessments"
    label = "assessments"
    verbose_name = "Assessments"

    def ready(self) -> None:
        # Load every instrument file with its checks, and refuse a deployment's switch that names
        # an unknown instrument, at start rather than at the first administration.
        from .instruments import check_switches

        check_switches()
