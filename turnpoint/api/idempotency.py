"""Idempotent POSTs (security.md SEC-35; IETF draft-ietf-httpapi-idempotency-key-header-07).

A client that may retry a POST sends `Idempotency-Key: <unique value>`. Then:

- the first request claims the key (a committed row, so a duplicate arriving meanwhile gets 409),
  runs its effect and stores its response in the claim row in the same transaction as the
  effect;
- a repeat by the same user with the same key and body gets the stored status and body, with
  `Idempotent-Replayed: true`, and nothing new is created;
- the same key with another body gets 422; keys are per user and expire after
  settings.IDEMPOTENCY_KEY_TTL_SECONDS;
- a request that fails (any error) releases its claim, so the client may retry with the key.
"""

import hashlib
import json
import secrets
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone

from turnpoint.errors import Problem

from .errors import ApiError
from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
# A claim older than this whose request never finished (the process died) may be taken over.
# The owner can then no longer complete it, so the effect never happens twice.
ABANDONED_AFTER = timedelta(minutes=5)

Effect = Callable[[], tuple[int, dict, dict[str, str]]]


def idempotent(request, effect: Effect) -> HttpResponse:
    """Run `effect` (returning status, JSON body, headers) in one transaction, at most once per
    Idempotency-Key when the request carries one."""
    key = request.headers.get(HEADER)
    if key is None:
        with transaction.atomic():
            status, body, headers = effect()
        return _response(status, _encode(body), headers)
    key = key.strip()
    if not key or len(key) > 255 or not key.isprintable():
        raise ApiError(400, Problem(HEADER, "must be 1 to 255 printable characters"))
    user = request.auth
    record, replay = _claim(user, key, _fingerprint(request))
    if replay is not None:
        return replay
    try:
        with transaction.atomic():
            mine = (
                IdempotencyRecord.objects.select_for_update()
                .filter(pk=record.pk, claim=record.claim, state=IdempotencyRecord.State.IN_PROGRESS)
                .first()
            )
            if mine is None:
                raise ApiError(409, Problem(HEADER, "another request took over this key"))
            status, body, headers = effect()
            mine.state = IdempotencyRecord.State.DONE
            mine.response_status = status
            mine.response_body = _encode(body)
            mine.response_headers = headers
            mine.save(update_fields=["state", "response_status", "response_body",
                                     "response_headers"])  # fmt: skip
    except BaseException:
        IdempotencyRecord.objects.filter(
            pk=record.pk, claim=record.claim, state=IdempotencyRecord.State.IN_PROGRESS
        ).delete()
        raise
    return _response(status, mine.response_body, headers)


def _claim(user, key: str, fingerprint: str):
    """Claim the key, or answer from the record that already holds it."""
    ttl = timedelta(seconds=settings.IDEMPOTENCY_KEY_TTL_SECONDS)
    for _attempt in range(3):
        now = timezone.now()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=user,
                    key=key,
                    fingerprint=fingerprint,
                    claim=secrets.token_hex(16),
                    created_at=now,
                    expires_at=now + ttl,
                )
            return record, None
        except IntegrityError:
            pass
        held = IdempotencyRecord.objects.filter(user=user, key=key).first()
        if held is None:
            continue  # released meanwhile: claim again
        abandoned = (
            held.state == IdempotencyRecord.State.IN_PROGRESS
            and held.created_at < now - ABANDONED_AFTER
        )
        if held.expires_at <= now or abandoned:
            IdempotencyRecord.objects.filter(pk=held.pk, claim=held.claim).delete()
            continue
        if held.fingerprint != fingerprint:
            reason = "was already used with a different request; use a new key for a new request"
            raise ApiError(422, Problem(HEADER, reason))
        if held.state == IdempotencyRecord.State.IN_PROGRESS:
            raise ApiError(
                409, Problem(HEADER, "a request with this key is still in progress; retry soon")
            )
        response = _response(held.response_status, held.response_body, held.response_headers)
        response["Idempotent-Replayed"] = "true"
        return None, response
    raise ApiError(409, Problem(HEADER, "is being claimed by another request; retry soon"))


def _fingerprint(request) -> str:
    """Method, path and body; a JSON body is canonicalised so spacing and key order don't count."""
    raw = request.body or b""
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        body = raw
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), body):
        digest.update(part + b"\0")
    return digest.hexdigest()


def _encode(body) -> str:
    return json.dumps(body, cls=DjangoJSONEncoder)


def _response(status: int, content: str, headers: dict[str, str]) -> HttpResponse:
    response = HttpResponse(content, status=status, content_type="application/json; charset=utf-8")
    for name, value in headers.items():
        response[name] = value
    return response


def idempotency_purge_expired() -> int:
    """Delete expired keys (run from a periodic task); returns how many were deleted."""
    deleted, _ = IdempotencyRecord.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
