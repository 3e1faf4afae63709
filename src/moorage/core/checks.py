"""`moorage check --deploy` warnings for what production needs (and the test clock left on)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register

DEMO_KEY_PREFIX = "moorage-insecure-demo-key"


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
    return warnings
