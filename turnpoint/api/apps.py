from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "turnpoint.api"
    label = "api"
