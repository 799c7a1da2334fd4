from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "turnpoint.plans"
    label = "plans"
    verbose_name = "Recovery plans and matching"
