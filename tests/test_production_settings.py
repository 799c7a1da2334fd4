"""Production refuses to start insecurely (security.md SEC-29)."""

import secrets
import subprocess
import sys

from django.conf import settings

GOOD = {
    "TURNPOINT_ENV": "production",
    "SECRET_KEY": secrets.token_urlsafe(60),
    "TURNPOINT_AUDIT_KEY": secrets.token_urlsafe(40),
    "ALLOWED_HOSTS": "turnpoint.example.org",
    "TURNPOINT_AUDIT_CHECKPOINT_FILE": "/var/lib/turnpoint/audit-checkpoints.jsonl",
    "PATH": "/usr/bin:/bin",
}


def turnpoint(*args, **env):
    return subprocess.run(
        [sys.executable, "-m", "turnpoint", *args],
        env={**GOOD, **env}, cwd=settings.BASE_DIR, capture_output=True, text=True,
    )  # fmt: skip


def test_sec_29_deploy_check_is_clean_with_production_settings():
    result = turnpoint("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr


def test_sec_29_refuses_debug_missing_key_weak_key_and_empty_hosts():
    cases = [
        ({"DEBUG": "1"}, "DEBUG must be off in production"),
        ({"SECRET_KEY": "django-insecure-" + "x" * 50}, "SECRET_KEY must be a random value"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be a random value"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS must name"),
    ]
    for env, message in cases:
        result = turnpoint("check", **env)
        assert result.returncode != 0, env
        assert message in result.stderr, (env, result.stderr[-300:])
    env = {k: v for k, v in GOOD.items() if k != "SECRET_KEY"}
    result = subprocess.run([sys.executable, "-m", "turnpoint", "check"], env=env,
                            cwd=settings.BASE_DIR, capture_output=True, text=True)  # fmt: skip
    assert result.returncode != 0 and "SECRET_KEY is required" in result.stderr


def test_sec_21_production_refuses_to_start_without_its_own_audit_key():
    cases = [
        ({"TURNPOINT_AUDIT_KEY": "short"}, "TURNPOINT_AUDIT_KEY must be a random value"),
        ({"TURNPOINT_AUDIT_KEY": GOOD["SECRET_KEY"]}, "different from SECRET_KEY"),
    ]
    for env, message in cases:
        result = turnpoint("check", **env)
        assert result.returncode != 0, env
        assert message in result.stderr, (env, result.stderr[-300:])
    env = {k: v for k, v in GOOD.items() if k != "TURNPOINT_AUDIT_KEY"}
    result = subprocess.run([sys.executable, "-m", "turnpoint", "check"], env=env,
                            cwd=settings.BASE_DIR, capture_output=True, text=True)  # fmt: skip
    assert result.returncode != 0 and "TURNPOINT_AUDIT_KEY is required" in result.stderr


def test_sec_21_production_refuses_a_weak_or_reused_fallback_audit_key():
    """Earlier keys kept after a rotation (docs/sharing.md) are held to the same standard."""
    strong = secrets.token_urlsafe(40)
    assert turnpoint("check", TURNPOINT_AUDIT_KEY_FALLBACKS=strong).returncode == 0
    for fallbacks in (f"{strong},short", GOOD["TURNPOINT_AUDIT_KEY"], GOOD["SECRET_KEY"]):
        result = turnpoint("check", TURNPOINT_AUDIT_KEY_FALLBACKS=fallbacks)
        assert result.returncode != 0, fallbacks
        assert "TURNPOINT_AUDIT_KEY_FALLBACKS key" in result.stderr, result.stderr[-300:]


def test_sec_42_production_refuses_to_start_without_the_checkpoint_anchor_outside_the_database():
    """Checkpoints are also written to a file outside the database: production names one."""
    message = "TURNPOINT_AUDIT_CHECKPOINT_FILE must be the absolute path of a file outside"
    env = {k: v for k, v in GOOD.items() if k != "TURNPOINT_AUDIT_CHECKPOINT_FILE"}
    result = subprocess.run([sys.executable, "-m", "turnpoint", "check"], env=env,
                            cwd=settings.BASE_DIR, capture_output=True, text=True)  # fmt: skip
    assert result.returncode != 0 and message in result.stderr, result.stderr[-300:]
    for path in ("", "audit-checkpoints.jsonl"):
        result = turnpoint("check", TURNPOINT_AUDIT_CHECKPOINT_FILE=path)
        assert result.returncode != 0 and message in result.stderr, (path, result.stderr[-300:])
    assert turnpoint("check").returncode == 0
