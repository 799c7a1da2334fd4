from django.apps import AppConfig


class JourneysConfig(AppConfig):
    name = "turnpoint.journeys"
    label = "journeys"
