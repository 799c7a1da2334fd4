"""One test client per test, switched between personas.

A Django test Client builds its own handler, and WhiteNoise (with finders, outside production)
scans every static file when a handler starts: about 0.25 s per client. Switching one client
between personas keeps the suite fast.
"""

import json
import secrets

from django.test import Client

from turnpoint.accounts.models import ApiToken, Role, _digest, api_token_create


class As:
    """`as_ = As(); as_.page(user).get(url)`, `as_.api(user).get(url)`: one client, any persona."""

    def __init__(self):
        self.client = Client()
        self._tokens = {}

    def page(self, user=None) -> Client:
        self.client.logout()
        self.client.defaults.pop("HTTP_AUTHORIZATION", None)
        if user is not None:
            self.client.force_login(user)
        return self.client

    def token(self, user) -> str:
        if user.pk not in self._tokens:
            if user.role == Role.PARTICIPANT:
                # No token can be made for a portal account (api_token_create refuses); one
                # written to the table anyway must still sign no one in to the API.
                raw = "tp_" + secrets.token_urlsafe(32)
                ApiToken.objects.create(user=user, digest=_digest(raw), label="written by hand")
                self._tokens[user.pk] = raw
            else:
                self._tokens[user.pk] = api_token_create(user=user, label="security suite")
        return self._tokens[user.pk]

    def api(self, user=None, *, token: str | None = None) -> Client:
        self.client.logout()
        self.client.defaults.pop("HTTP_AUTHORIZATION", None)
        token = token or (self.token(user) if user is not None else None)
        if token:
            self.client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return self.client


def send_json(client: Client, method: str, path: str, body) -> object:
    return getattr(client, method.lower())(path, json.dumps(body), content_type="application/json")


def all_keys(value) -> set[str]:
    """Every key in a JSON document, at any depth."""
    if isinstance(value, dict):
        return set(value).union(*(all_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(all_keys(v) for v in value))
    return set()
