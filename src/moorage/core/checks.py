"""`moorage check --deploy` warnings for what production needs (and the test clock left on)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from moorage.core.keys import DEMO_KEY_PREFIX, production_key_problems


@register(Tags.security)
def moorage_production_keys(app_configs, **kwargs):  # noqa: ANN001, ANN003, ANN201
    """In production the public demo keys are an error, not a warning (settings refuse them too)."""
    if not getattr(settings, "PRODUCTION", False):
        return []
    problems = production_key_problems(secret_key=settings.SECRET_KEY, fernet_keys=list(settings.MOORAGE_FERNET_KEYS))
    return [
        Error(
            f"MOORAGE_ENV=production with unfit keys: {problem}.",
            hint="Set MOORAGE_SECRET_KEY to a long random value and MOORAGE_FERNET_KEYS to a generated Fernet key.",
            id="moorage.E001",
        )
        for problem in problems
    ]


@register(Tags.security, deploy=True)
def moorage_deploy_checks(app_configs, **kwargs):  # noqa: ANN001, ANN003, ANN201
    warnings = []
    if settings.MOORAGE_CLOCK_DATE:
        warnings.append(
            Warning(
                f"The test clock is set (MOORAGE_CLOCK_DATE={settings.MOORAGE_CLOCK_DATE}): every date Moorage uses "
                "is fixed, so invoices, due dates and automation follow it instead of the real date.",
                hint="Unset MOORAGE_CLOCK_DATE on a production installation.",
                id="moorage.W001",
            )
        )
    if settings.SECRET_KEY.startswith(DEMO_KEY_PREFIX):
        warnings.append(
            Warning(
                "MOORAGE_SECRET_KEY is the embedded demo key.",
                hint="Set MOORAGE_SECRET_KEY to a long random value.",
                id="moorage.W002",
            )
        )
    if not settings.MOORAGE_FERNET_KEYS:
        warnings.append(
            Warning(
                "MOORAGE_FERNET_KEYS is not set: panel passwords are encrypted with a key derived from the secret key.",
                hint="Generate a key with `python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'` and set MOORAGE_FERNET_KEYS.",
                id="moorage.W003",
            )
        )
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        warnings.append(
            Warning(
                "The database is SQLite, the embedded default.",
                hint="Use PostgreSQL in production: set DATABASE_URL.",
                id="moorage.W004",
            )
        )
    if not getattr(settings, "PRODUCTION", False):
        warnings.append(
            Warning(
                "MOORAGE_ENV is not 'production': secure cookies, HSTS and the HTTPS redirect are off by default "
                "and the demo keys are accepted.",
                hint="Set MOORAGE_ENV=production on a production installation.",
                id="moorage.W005",
            )
        )
    return warnings


@register(Tags.database)
def moorage_unreadable_secrets(app_configs, databases=None, **kwargs):  # noqa: ANN001, ANN003, ANN201
    """`moorage check --database default`: stored secrets none of the configured keys opens."""
    if not databases:
        return []
    from django.db import DatabaseError

    from moorage.core.crypto import rotate_all

    try:
        unreadable = rotate_all(dry_run=True)["unreadable"]
    except DatabaseError:
        return []  # not migrated yet: nothing stored to check
    if not unreadable:
        return []
    return [
        Warning(
            f"{unreadable} stored secret(s) cannot be decrypted with the configured keys.",
            hint="Add the key that sealed them to MOORAGE_FERNET_KEYS (after the newest), or enter the "
            "passwords again in the staff area; `moorage rotate-keys --dry-run` counts them.",
            id="moorage.W006",
        )
    ]
