from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "turnpoint.people"
    label = "people"
