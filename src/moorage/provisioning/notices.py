"""Client notifications about a service's account (created, suspended, unsuspended, terminated)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from moorage.notifications.actions import notify
from moorage.services.models import Service


def notify_service(
    service: Service, template: str, *, now: dt.datetime, key: str, context: dict[str, Any] | None = None
) -> None:
    """Inner step: tell the service's client, once per `key`."""
    notify(
        template=template,
        client=service.client,
        dedupe_key=f"{template}:{key}",
        now=now,
        context={"service": service, **(context or {})},
        service_id=service.pk,
    )
