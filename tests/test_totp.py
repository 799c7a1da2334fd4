"""TOTP against the published test vectors (turnpoint/accounts/totp.py).

Sources, values copied from the RFCs as published:
- RFC 6238 "TOTP: Time-Based One-Time Password Algorithm", Appendix B (SHA1 rows; seed is the
  ASCII string "12345678901234567890"; 8 digits, 30-second step, T0 = 0),
  https://www.rfc-editor.org/rfc/rfc6238#appendix-B
- RFC 4226 "HOTP: An HMAC-Based One-Time Password Algorithm", Appendix D (same secret, 6 digits,
  counters 0 to 9), https://www.rfc-editor.org/rfc/rfc4226#appendix-D
Exact matches: these are integers, there is no tolerance.
"""

import base64
from urllib.parse import parse_qs, urlsplit

import pytest

from turnpoint.accounts import totp

RFC_SECRET = b"12345678901234567890"

RFC_6238_SHA1 = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]

RFC_4226 = ["755224", "287082", "359152", "969429", "338314",
            "254676", "287922", "162583", "399871", "520489"]  # fmt: skip


@pytest.mark.parametrize(("at", "expected"), RFC_6238_SHA1)
def test_totp_matches_rfc_6238_appendix_b_sha1(at, expected):
    assert totp.totp(RFC_SECRET, at=at, digits=8) == expected


@pytest.mark.parametrize(("counter", "expected"), list(enumerate(RFC_4226)))
def test_hotp_matches_rfc_4226_appendix_d(counter, expected):
    assert totp.hotp(RFC_SECRET, counter) == expected


def test_a_code_is_accepted_one_step_either_side_and_no_further():
    at = 1111111111.0
    step = totp.time_step(at)
    for offset in (-1, 0, 1):
        code = totp.hotp(RFC_SECRET, step + offset)
        assert totp.totp_match(RFC_SECRET, code, at=at) == step + offset
    for offset in (-2, 2):
        assert totp.totp_match(RFC_SECRET, totp.hotp(RFC_SECRET, step + offset), at=at) is None


def test_no_code_of_the_last_used_step_or_before_matches_again():
    at = 1234567890.0
    code = totp.totp(RFC_SECRET, at=at)
    step = totp.totp_match(RFC_SECRET, code, at=at)
    assert step == totp.time_step(at)
    assert totp.totp_match(RFC_SECRET, code, at=at, after_step=step) is None
    older = totp.hotp(RFC_SECRET, step - 1)
    assert totp.totp_match(RFC_SECRET, older, at=at, after_step=step) is None
    newer = totp.hotp(RFC_SECRET, step + 1)
    assert totp.totp_match(RFC_SECRET, newer, at=at, after_step=step) == step + 1


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "12 456"])
def test_anything_but_six_digits_never_matches(typed):
    assert totp.totp_match(RFC_SECRET, typed, at=59) is None


def test_a_new_secret_is_160_random_bits_in_base32():
    secret = totp.secret_new()
    assert len(totp.secret_bytes(secret)) == 20
    assert secret != totp.secret_new()
    assert totp.secret_bytes(base64.b32encode(RFC_SECRET).decode()) == RFC_SECRET


def test_the_setup_key_is_grouped_in_fours_and_the_uri_carries_it():
    secret = base64.b32encode(RFC_SECRET).decode()
    assert totp.secret_grouped(secret) == "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ"
    uri = totp.provisioning_uri(secret, account="cara okafor", issuer="Turnpoint")
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "otpauth",
        "totp",
        "/Turnpoint:cara%20okafor",
    )
    assert parse_qs(parts.query) == {
        "secret": [secret], "issuer": ["Turnpoint"], "algorithm": ["SHA1"],
        "digits": ["6"], "period": ["30"],
    }  # fmt: skip
