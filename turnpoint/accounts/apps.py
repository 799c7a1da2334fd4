from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "turnpoint.accounts"
    label = "accounts"

    def ready(self):
        from . import access, signals  # noqa: F401  (their receivers connect on import)
