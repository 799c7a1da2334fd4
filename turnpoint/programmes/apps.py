from django.apps import AppConfig


class ProgrammesConfig(AppConfig):
    name = "turnpoint.programmes"
    label = "programmes"
