"""Production settings: `moorage check --deploy` is clean with a production environment, warns with
the demo one, and production refuses to start with the public demo keys."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from moorage.core.keys import DEMO_FERNET_KEY, DEMO_SECRET_KEY, derived_fernet_key

SRC = str(Path(__file__).resolve().parents[2] / "src")
SECURITY_VARS = (
    "MOORAGE_ENV",
    "MOORAGE_VAPID_PRIVATE_KEY",
    "MOORAGE_VAPID_PUBLIC_KEY",
    "MOORAGE_VAPID_SUBJECT",
    "MOORAGE_DEBUG",
    "MOORAGE_SECRET_KEY",
    "MOORAGE_SECRET_KEY_FALLBACKS",
    "MOORAGE_FERNET_KEYS",
    "MOORAGE_SECURE_COOKIES",
    "MOORAGE_HSTS_SECONDS",
    "MOORAGE_HSTS_INCLUDE_SUBDOMAINS",
    "MOORAGE_HSTS_PRELOAD",
    "MOORAGE_SSL_REDIRECT",
    "MOORAGE_BEHIND_PROXY",
    "MOORAGE_STAFF_SESSION_AGE",
    "MOORAGE_SESSION_AGE",
    "MOORAGE_CLOCK_DATE",
    "MOORAGE_CACHE_URL",
    "MOORAGE_STAFF_2FA_REQUIRED",
    "DATABASE_URL",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by the browser tests' conftest; a deploy check warns about it
)


def _vapid_private_key() -> str:
    from moorage.push.vapid import generate

    return generate()[0]


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """What a provider sets in production (PostgreSQL is only named: the check does not connect)."""
    return {
        "MOORAGE_ENV": "production",
        "MOORAGE_SECRET_KEY": secrets.token_urlsafe(50),
        "MOORAGE_FERNET_KEYS": Fernet.generate_key().decode(),
        "MOORAGE_ALLOWED_HOSTS": "billing.example.com",
        "MOORAGE_BEHIND_PROXY": "1",
        "MOORAGE_CACHE_URL": "redis://127.0.0.1:6379/0",
        "DATABASE_URL": "postgres://moorage@db.invalid:5432/moorage",
        # Mobile notifications: every machine signs Web Push with the same VAPID pair.
        "MOORAGE_VAPID_PRIVATE_KEY": _vapid_private_key(),
        "MOORAGE_VAPID_SUBJECT": "mailto:ops@example.com",
        **extra,
    }


def run(tmp_path: Path, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in SECURITY_VARS}
    base.update(env)
    base.update({"PYTHONPATH": SRC, "MOORAGE_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "moorage.settings"})
    return subprocess.run(  # noqa: S603
        [sys.executable, *args], env=base, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )


def check_deploy(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run(tmp_path, ["-m", "moorage.cli", "check", "--deploy", "--fail-level", "WARNING"], env)


SHOW = (
    "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps({n: getattr(s, n) "
    "for n in ['SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', 'SECURE_HSTS_SECONDS', "
    "'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_HSTS_PRELOAD', 'SECURE_SSL_REDIRECT', 'SECURE_PROXY_SSL_HEADER', "
    "'MOORAGE_STAFF_SESSION_AGE', 'SESSION_COOKIE_AGE', 'MOORAGE_STAFF_2FA_REQUIRED']}))"
)


def show(tmp_path: Path, env: dict[str, str]) -> dict:
    done = run(tmp_path, ["-c", SHOW], env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_deploy_check_is_clean_in_production(tmp_path):
    done = check_deploy(tmp_path, production_env(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "no issues" in done.stdout


def test_deploy_check_warns_about_the_demo_environment(tmp_path):
    done = check_deploy(tmp_path, {})
    assert done.returncode != 0
    for code in ("moorage.W002", "moorage.W003", "moorage.W005", "security.W004", "security.W008", "security.W012"):
        assert code in done.stderr, code


def test_production_defaults_and_each_can_be_set_from_the_environment(tmp_path):
    prod = show(tmp_path, production_env(tmp_path))
    assert prod["SESSION_COOKIE_SECURE"] and prod["CSRF_COOKIE_SECURE"] and prod["SESSION_COOKIE_HTTPONLY"]
    assert prod["SECURE_HSTS_SECONDS"] == 31536000 and prod["SECURE_SSL_REDIRECT"]
    assert prod["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and prod["SECURE_HSTS_PRELOAD"]
    assert prod["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert prod["MOORAGE_STAFF_SESSION_AGE"] < prod["SESSION_COOKIE_AGE"]
    assert prod["MOORAGE_STAFF_2FA_REQUIRED"]  # staff two-factor is required in production unless turned off
    custom = show(
        tmp_path,
        production_env(
            tmp_path,
            MOORAGE_HSTS_SECONDS="600",
            MOORAGE_HSTS_PRELOAD="0",
            MOORAGE_SSL_REDIRECT="0",
            MOORAGE_STAFF_SESSION_AGE="900",
            MOORAGE_BEHIND_PROXY="0",
        ),
    )
    assert custom["SECURE_HSTS_SECONDS"] == 600 and not custom["SECURE_HSTS_PRELOAD"]
    assert not custom["SECURE_SSL_REDIRECT"] and custom["SECURE_PROXY_SSL_HEADER"] is None
    assert custom["MOORAGE_STAFF_SESSION_AGE"] == 900
    demo = show(tmp_path, {})
    assert not demo["SESSION_COOKIE_SECURE"] and demo["SECURE_HSTS_SECONDS"] == 0 and not demo["SECURE_SSL_REDIRECT"]
    assert not demo["MOORAGE_STAFF_2FA_REQUIRED"]  # the embedded run leaves enrolment to each staff member


def test_deploy_check_warns_in_production_without_two_factor_or_a_shared_cache(tmp_path):
    env = production_env(tmp_path, MOORAGE_STAFF_2FA_REQUIRED="0")
    del env["MOORAGE_CACHE_URL"]
    done = check_deploy(tmp_path, env)
    assert done.returncode != 0
    assert "moorage.W021" in done.stderr and "moorage.W023" in done.stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"MOORAGE_SECRET_KEY": DEMO_SECRET_KEY}, "public demo key"),
        ({"MOORAGE_SECRET_KEY": "short"}, "shorter than 32"),
        ({"MOORAGE_FERNET_KEYS": ""}, "MOORAGE_FERNET_KEYS is unset"),
        ({"MOORAGE_FERNET_KEYS": DEMO_FERNET_KEY}, "derived from a secret key"),
        ({"MOORAGE_DEBUG": "1"}, "MOORAGE_DEBUG must be off"),
    ],
)
def test_production_refuses_to_start_with_public_keys(tmp_path, change, message):
    done = check_deploy(tmp_path, production_env(tmp_path, **change))
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and message in done.stderr


def test_production_refuses_a_fernet_key_derived_from_its_own_secret_key(tmp_path):
    key = secrets.token_urlsafe(50)
    done = check_deploy(
        tmp_path, production_env(tmp_path, MOORAGE_SECRET_KEY=key, MOORAGE_FERNET_KEYS=derived_fernet_key(key))
    )
    assert done.returncode != 0 and "derived from a secret key" in done.stderr


def test_a_malformed_fernet_key_stops_the_start_in_any_environment(tmp_path):
    done = check_deploy(tmp_path, {"MOORAGE_FERNET_KEYS": "not-a-key"})
    assert done.returncode != 0 and "MOORAGE_FERNET_KEYS[0]" in done.stderr


def test_the_production_key_check_reports_an_error_with_an_id(settings):
    from moorage.core.checks import moorage_production_keys

    settings.PRODUCTION = True
    settings.SECRET_KEY = DEMO_SECRET_KEY
    settings.MOORAGE_FERNET_KEYS = []
    ids = {e.id for e in moorage_production_keys(None)}
    assert ids == {"moorage.E001"}
    settings.PRODUCTION = False
    assert moorage_production_keys(None) == []
