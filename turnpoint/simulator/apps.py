from django.apps import AppConfig


class SimulatorConfig(AppConfig):
    name = "turnpoint.simulator"
    label = "simulator"
