"""Producing notification events (inside the action's transaction) and delivering them (after it)."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation

from moorage.core.models import User
from moorage.customers.models import Client
from moorage.notifications import events, texts
from moorage.notifications.context import product_of, template_context
from moorage.notifications.models import (
    Notification,
    NotificationTemplate,
    ProductNotificationTemplate,
    StaffNotificationRecipient,
)

log = logging.getLogger(__name__)


def _compose(event: str, raw: dict[str, Any], *, language: str, variant: str | None = None) -> texts.Composed:
    """The texts of one notification from the objects an action handed over; never raises."""
    try:
        chosen = NotificationTemplate.objects.filter(event=event, name=variant).first() if variant else None
        with translation.override(language):  # labels (cycle, status) in the reader's language
            context = template_context(raw)
        return texts.compose(event, context, language=language, product_id=product_of(raw), template=chosen)
    except Exception:  # a notification never undoes the action that produced it
        log.exception("notification %s could not be composed", event)
        label = str(events.get(event).label)
        return texts.Composed(label, label, "", label, "", language, "none")


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
    variant: str | None = None,
) -> Notification | None:
    """Inner step: record one notification of event `template`, at most once per `dedupe_key`;
    delivery follows the commit.

    The text comes from the template the product chose for the event (else the event's Default), in
    the client's language, rendered in the sandbox on plain data made from `context`. An event with
    a mobile channel also records a Web Push row (key + ":push"). Returns None when that key was
    already used (the event was already produced). `skip=True` records the key without sending (a
    reminder superseded by a later one). `variant` names the event's template to use instead of the
    product's choice (an expiration notice's "Change"); an unknown name is ignored.
    """
    event = events.get(template)
    if Notification.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    composed = _compose(template, {"client": client, **(context or {})}, language=client.language, variant=variant)
    common = {
        "client": client,
        "template": template,
        "to_email": client.user.email,
        "language": composed.language,
        "service_id": service_id,
        "invoice_id": invoice_id,
        "created_at": now,
        "status": Notification.Status.SKIPPED if skip else Notification.Status.QUEUED,
    }
    try:
        with transaction.atomic():
            row = Notification.objects.create(
                **common,
                dedupe_key=dedupe_key,
                subject=composed.subject[:300],
                body=composed.text,
                html_body=composed.html,
            )
            push = None
            if event.mobile and composed.push_title:
                push = Notification.objects.create(
                    **common,
                    channel=Notification.Channel.PUSH,
                    dedupe_key=f"{dedupe_key[:195]}:push",
                    subject=composed.push_title[:300],
                    body=composed.push_text,
                )
    except IntegrityError:
        return None  # produced by a concurrent run a moment ago
    if not skip:
        transaction.on_commit(lambda: _enqueue(row.pk))
        if push is not None:
            transaction.on_commit(lambda: _enqueue(push.pk))
    return row


def staff_recipients(event: str) -> list[User]:
    """Who receives a staff event: the staff members chosen for it, else every active staff member."""
    staff = User.objects.filter(is_staff=True, is_active=True).order_by("pk")
    chosen = StaffNotificationRecipient.objects.filter(event=event)
    if chosen.exists():
        staff = staff.filter(pk__in=chosen.values("user_id"))
    return list(staff)


def notify_staff(
    *,
    template: str,
    dedupe_key: str,
    now: dt.datetime,
    context: dict[str, Any] | None = None,
    service_id: int | None = None,
    invoice_id: int | None = None,
) -> list[Notification]:
    """Inner step: tell the staff who receive this event (the Staff: … notifications), at most once
    per key and person; delivery follows the commit."""
    events.get(template)
    rows = []
    for user in staff_recipients(template):
        key = f"{dedupe_key}:staff{user.pk}"[:200]
        if Notification.objects.filter(dedupe_key=key).exists():
            continue
        composed = _compose(template, {"staff": user, **(context or {})}, language=settings.LANGUAGE_CODE[:2])
        try:
            with transaction.atomic():
                row = Notification.objects.create(
                    client=None,
                    audience=Notification.Audience.STAFF,
                    template=template,
                    dedupe_key=key,
                    to_email=user.email,
                    language=composed.language,
                    subject=composed.subject[:300],
                    body=composed.text,
                    html_body=composed.html,
                    service_id=service_id,
                    invoice_id=invoice_id,
                    created_at=now,
                )
        except IntegrityError:
            continue
        transaction.on_commit(lambda pk=row.pk: _enqueue(pk))
        rows.append(row)
    return rows


def password_reset_send(*, client: Client, reset_url: str, now: dt.datetime) -> Notification | None:
    """Password reset: record the email with its link and send it at once (the link expires soon);
    a failed send stays queued and is retried like any other notification. Each request is its own event."""
    with transaction.atomic(durable=True):
        row = notify(
            template="password_reset",
            client=client,
            dedupe_key=f"password_reset:{client.pk}:{secrets.token_hex(8)}",
            now=now,
            context={"reset_url": reset_url, "valid_minutes": max(1, settings.PASSWORD_RESET_TIMEOUT // 60)},
        )
    if row is not None:
        deliver(row.pk, now=now)
    return row


@transaction.atomic(durable=True)
def product_templates_save(
    *, product: Any, choices: dict[str, int | None], now: dt.datetime, actor: User | None
) -> list[str]:
    """The product's Emails section: for each client event, the template variant it uses (None: the
    event's Default). A variant of another event is refused. Returns the events whose choice changed."""
    from moorage.core.actions import audit
    from moorage.core.errors import DomainError

    changed = []
    for code, template_id in choices.items():
        event = events.get(code)
        if not event.per_product:
            raise DomainError(f"{event.label} cannot be chosen per product", field=code, code="not_per_product")
        current = ProductNotificationTemplate.objects.filter(product_id=product.pk, event=code).first()
        if template_id is None:
            if current is not None:
                current.delete()
                changed.append(code)
            continue
        template = NotificationTemplate.objects.filter(pk=template_id, event=code).first()
        if template is None:
            raise DomainError(f"no such template for {event.label}", field=code, code="unknown_template")
        if current is None:
            ProductNotificationTemplate.objects.create(product_id=product.pk, event=code, template=template)
            changed.append(code)
        elif current.template_id != template.pk:
            current.template = template
            current.save(update_fields=["template"])
            changed.append(code)
    if changed:
        audit(
            actor=actor,
            action="product_notification_templates",
            obj=product,
            now=now,
            data={code: choices[code] for code in changed},
        )
    return changed


@transaction.atomic(durable=True)
def template_duplicate(*, template_id: int, now: dt.datetime, actor: User | None) -> NotificationTemplate:
    """A new variant of the same event with a copy of every language's texts ("Copy of …", numbered
    until the name is free)."""
    from moorage.core.actions import audit

    source = NotificationTemplate.objects.get(pk=template_id)
    base = f"Copy of {source.name}"[:90]
    name, n = base, 1
    while NotificationTemplate.objects.filter(event=source.event, name=name).exists():
        n += 1
        name = f"{base} ({n})"
    copy = NotificationTemplate.objects.create(
        event=source.event, name=name, is_default=False, created_at=now, updated_at=now
    )
    for text in source.texts.order_by("pk"):
        text.pk = None
        text.template = copy
        text.save()
    audit(actor=actor, action="notification_template_duplicate", obj=copy, now=now, data={"from": source.pk})
    return copy


@transaction.atomic(durable=True)
def template_make_default(*, template_id: int, now: dt.datetime, actor: User | None) -> NotificationTemplate:
    """Make a variant its event's Default (the one used when a product chose none)."""
    from moorage.core.actions import audit

    template = NotificationTemplate.objects.select_for_update().get(pk=template_id)
    if not template.is_default:
        NotificationTemplate.objects.filter(event=template.event, is_default=True).update(is_default=False)
        template.is_default, template.updated_at = True, now
        template.save(update_fields=["is_default", "updated_at"])
        audit(actor=actor, action="notification_template_default", obj=template, now=now)
    return template


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
