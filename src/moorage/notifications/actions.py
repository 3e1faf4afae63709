"""Producing notification events (inside the action's transaction) and delivering them (after it)."""

from __future__ import annotations

import datetime as dt
import logging
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template import Context, Template

from moorage.customers.models import Client
from moorage.notifications.models import Notification
from moorage.notifications.templates_builtin import TEMPLATES

log = logging.getLogger(__name__)


@lru_cache(maxsize=128)
def _compiled(template: str) -> tuple[Template, Template]:
    subject_src, body_src = TEMPLATES[template]
    return Template(subject_src), Template(body_src)


def render(template: str, context: dict[str, Any]) -> tuple[str, str]:
    subject, body = _compiled(template)
    ctx = Context({"company": settings.MOORAGE_COMPANY_NAME, **context}, autoescape=False)
    return subject.render(ctx).strip(), body.render(ctx)


def notify(
    *,
    template: str,
    client: Client,
    dedupe_key: str,
    now: dt.datetime,
    context: dict[str, Any] | None = None,
    service_id: int | None = None,
    invoice_id: int | None = None,
    skip: bool = False,
) -> Notification | None:
    """Inner step: record one notification, at most once per `dedupe_key`; delivery follows the commit.

    Returns None when that key was already used (the event was already produced). `skip=True`
    records the key without sending (a reminder superseded by a later one).
    """
    if template not in TEMPLATES:
        raise ValueError(f"unknown notification template {template!r}")
    if Notification.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    subject, body = render(template, {"client": client, **(context or {})})
    try:
        with transaction.atomic():
            row = Notification.objects.create(
                client=client,
                template=template,
                dedupe_key=dedupe_key,
                to_email=client.user.email,
                subject=subject[:300],
                body=body,
                service_id=service_id,
                invoice_id=invoice_id,
                created_at=now,
                status=Notification.Status.SKIPPED if skip else Notification.Status.QUEUED,
            )
    except IntegrityError:
        return None  # produced by a concurrent run a moment ago
    if not skip:
        transaction.on_commit(lambda: _enqueue(row.pk))
    return row


def notify_staff(
    *,
    template: str,
    dedupe_key: str,
    now: dt.datetime,
    context: dict[str, Any] | None = None,
    service_id: int | None = None,
    invoice_id: int | None = None,
) -> list[Notification]:
    """Inner step: tell every active staff member (the Staff: … notifications), at most once per key and
    person; delivery follows the commit."""
    from moorage.core.models import User

    if template not in TEMPLATES:
        raise ValueError(f"unknown notification template {template!r}")
    rows = []
    for user in User.objects.filter(is_staff=True, is_active=True).order_by("pk"):
        key = f"{dedupe_key}:staff{user.pk}"[:200]
        if Notification.objects.filter(dedupe_key=key).exists():
            continue
        subject, body = render(template, {"staff": user, **(context or {})})
        try:
            with transaction.atomic():
                row = Notification.objects.create(
                    client=None,
                    audience=Notification.Audience.STAFF,
                    template=template,
                    dedupe_key=key,
                    to_email=user.email,
                    subject=subject[:300],
                    body=body,
                    service_id=service_id,
                    invoice_id=invoice_id,
                    created_at=now,
                )
        except IntegrityError:
            continue
        transaction.on_commit(lambda pk=row.pk: _enqueue(pk))
        rows.append(row)
    return rows


def _enqueue(notification_id: int) -> None:
    from moorage.notifications.delivery import enqueue

    enqueue(notification_id)


# Delivery (claim, send, attempts, backoff, resend) lives in notifications/delivery.py.
def deliver(notification_id: int, *, now: dt.datetime) -> str:
    """Send one due notification once (email or Web Push), outside any transaction."""
    from moorage.notifications.delivery import deliver as _deliver

    return _deliver(notification_id, now=now)


def deliver_pending(*, now: dt.datetime, limit: int = 1000) -> int:
    """Send every due notification (the safety net for lost wake-ups)."""
    from moorage.notifications.delivery import deliver_pending as _deliver_pending

    return _deliver_pending(now=now, limit=limit)
