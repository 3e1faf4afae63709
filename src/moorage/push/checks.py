"""`moorage check --deploy`: production needs its own VAPID keys (every machine the same pair)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def moorage_vapid_keys(app_configs, **kwargs):  # noqa: ANN001, ANN003, ANN201
    from moorage.push import vapid

    problems = []
    if settings.MOORAGE_VAPID_PRIVATE_KEY:
        try:
            public = vapid.public_from_private(settings.MOORAGE_VAPID_PRIVATE_KEY.strip())
        except (ValueError, TypeError):
            return [
                Error(
                    "MOORAGE_VAPID_PRIVATE_KEY is not a base64url P-256 private key.",
                    hint="Generate a pair with `moorage vapid-keys --generate`.",
                    id="moorage.E101",
                )
            ]
        if settings.MOORAGE_VAPID_PUBLIC_KEY and settings.MOORAGE_VAPID_PUBLIC_KEY.strip() != public:
            problems.append(
                Error(
                    "MOORAGE_VAPID_PUBLIC_KEY does not belong to MOORAGE_VAPID_PRIVATE_KEY.",
                    hint="Leave MOORAGE_VAPID_PUBLIC_KEY empty (it is derived) or set the matching key.",
                    id="moorage.E102",
                )
            )
    elif getattr(settings, "PRODUCTION", False):
        problems.append(
            Warning(
                "MOORAGE_VAPID_PRIVATE_KEY is not set: mobile notifications are signed with a key pair generated "
                "into the data directory, which other machines do not share.",
                hint="Run `moorage vapid-keys --generate` and set MOORAGE_VAPID_PRIVATE_KEY, "
                "MOORAGE_VAPID_PUBLIC_KEY and MOORAGE_VAPID_SUBJECT (mailto:you@example.com).",
                id="moorage.W101",
            )
        )
    subject = settings.MOORAGE_VAPID_SUBJECT
    if subject and not subject.startswith(("mailto:", "https://")):
        problems.append(
            Error(
                f"MOORAGE_VAPID_SUBJECT={subject!r} is not a mailto: or https:// contact: push services refuse it.",
                hint="Set MOORAGE_VAPID_SUBJECT=mailto:ops@your-domain.",
                id="moorage.E103",
            )
        )
    if getattr(settings, "PRODUCTION", False) and not subject:
        problems.append(
            Warning(
                "MOORAGE_VAPID_SUBJECT is not set: push services get the sender address as contact.",
                hint="Set MOORAGE_VAPID_SUBJECT=mailto:ops@your-domain.",
                id="moorage.W102",
            )
        )
    return problems
