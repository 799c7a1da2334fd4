"""Time-based one-time passwords (RFC 6238) on HOTP (RFC 4226), from the standard library.

    HOTP(K, C) = Truncate(HMAC-SHA1(K, C)) mod 10^digits       (RFC 4226 section 5.3)
    TOTP(K, T) = HOTP(K, floor((T - T0) / X))                  (RFC 6238 section 4.2)

with T0 = 0 and a step X of 30 seconds. Staff codes have 6 digits and are accepted one step
either side of the server's clock (RFC 6238 section 5.2 allows for clock drift); the RFC's own
test vectors have 8 digits, so `digits` is a parameter (tests/test_totp.py checks them).
"""

import base64
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1  # steps either side of now
SECRET_BYTES = 20  # 160 bits, the HMAC-SHA1 output length RFC 4226 section 4 recommends


def hotp(key: bytes, counter: int, *, digits: int = DIGITS, digest=hashlib.sha1) -> str:
    """The HOTP value of `counter` under `key`, zero-padded to `digits` (RFC 4226 5.3)."""
    mac = hmac.new(key, struct.pack(">Q", counter), digest).digest()
    offset = mac[-1] & 0x0F
    binary = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(binary % 10**digits).zfill(digits)


def time_step(at: float, *, step: int = STEP_SECONDS) -> int:
    """The RFC 6238 counter T for a Unix time: whole steps since T0 = 0."""
    return int(at // step)


def totp(
    key: bytes, *, at: float, digits: int = DIGITS, step: int = STEP_SECONDS, digest=hashlib.sha1
) -> str:
    return hotp(key, time_step(at, step=step), digits=digits, digest=digest)


def totp_match(
    key: bytes, code: str, *, at: float, after_step: int | None = None, window: int = WINDOW
) -> int | None:
    """The time step `code` belongs to, within `window` steps of `at`, or None.

    Steps at or before `after_step` (the last step used) never match, so a code is used once
    only, and so is any older code (RFC 6238 section 5.2)."""
    if len(code) != DIGITS or not code.isdigit():
        return None
    now = time_step(at)
    for candidate in range(now - window, now + window + 1):
        if after_step is not None and candidate <= after_step:
            continue
        if hmac.compare_digest(hotp(key, candidate), code):
            return candidate
    return None


def secret_new() -> str:
    """A random secret, base32 without padding (what authenticator apps take)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode().rstrip("=")


def secret_bytes(secret: str) -> bytes:
    padded = secret.upper() + "=" * (-len(secret) % 8)
    return base64.b32decode(padded)


def secret_grouped(secret: str) -> str:
    """The secret in groups of four letters, for typing into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """The otpauth:// URI authenticator apps read from a QR code (Google Authenticator's
    Key Uri Format: otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=...)."""
    label = quote(f"{issuer}:{account}", safe=":@")
    query = urlencode(
        {"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS,
         "period": STEP_SECONDS}, quote_via=quote,
    )  # fmt: skip
    return f"otpauth://totp/{label}?{query}"
