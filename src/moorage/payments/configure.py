"""Settings → Payment Gateways: staff turn a gateway on or off and save its settings (encrypted)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from moorage.core.actions import audit
from moorage.core.errors import DomainError, NotFound
from moorage.core.models import User
from moorage.payments import registry
from moorage.payments.models import GatewayConfig

VALUE_MAX = 10_000


@transaction.atomic(durable=True)
def gateway_config_save(
    *,
    code: str,
    enabled: bool,
    display_name: str,
    sort_order: int,
    values: dict[str, str],
    now: dt.datetime,
    actor: User | None,
) -> GatewayConfig:
    """Save a gateway's settings. A secret left blank keeps the stored one; an enabled gateway needs
    every required setting; a choice must be one of its choices. The audit entry names the settings
    changed, never their values."""
    cls = registry.module_class(code)
    if cls is None:
        raise NotFound(f"no payment gateway {code!r}", field="code")
    config = GatewayConfig.objects.filter(code=code).first() or GatewayConfig(code=code)
    current = config.get_settings() if config.pk else {}
    merged: dict[str, str] = {}
    changed: list[str] = []
    for field in cls.settings_fields:
        raw = values.get(field.name)
        value = (raw if raw is not None else "").strip()
        if len(value) > VALUE_MAX or "\x00" in value:
            raise DomainError(f"{field.label} is not a usable value", field=field.name)
        if field.secret and not value:
            value = current.get(field.name, "")
        if field.choices and value and value not in {c for c, _label in field.choices}:
            raise DomainError(
                f"{field.label} must be one of: {', '.join(c for c, _ in field.choices)}", field=field.name
            )
        if enabled and field.required and not (value or field.default):
            raise DomainError(f"{field.label} is required to enable {cls.name}", field=field.name, code="required")
        if value != current.get(field.name, ""):
            changed.append(field.name)
        if value:
            merged[field.name] = value
    display_name = (display_name or "").strip()
    if len(display_name) > 100:
        raise DomainError("the display name has at most 100 characters", field="display_name")
    if not 0 <= int(sort_order) <= 10_000:
        raise DomainError("the order is a number from 0 to 10000", field="sort_order")
    config.enabled = bool(enabled)
    config.display_name = display_name
    config.sort_order = int(sort_order)
    config.set_settings(merged)
    config.updated_at = now
    config.save()
    audit(
        actor=actor,
        action="gateway_config_save",
        obj=config,
        now=now,
        message=f"{cls.name} {'enabled' if enabled else 'disabled'}",
        data={"changed": changed},
    )
    return config
