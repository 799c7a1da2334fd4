from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "turnpoint.portal"
    label = "portal"
    verbose_name = "Participant portal"
