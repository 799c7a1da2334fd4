from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "turnpoint.web"
    label = "web"
