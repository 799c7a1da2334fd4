from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "turnpoint.sharing"
    label = "sharing"
