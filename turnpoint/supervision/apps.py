from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "turnpoint.supervision"
    label = "supervision"
    verbose_name = "Supervision: drug-test schedules and responses"
