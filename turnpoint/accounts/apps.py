from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "turnpoint.accounts"
    label = "accounts"
