"""Producing notification events (inside the action's transaction) and delivering them (after it)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction

from moorage.core.models import User
from moorage.customers.models import Client
from moorage.notifications import events, texts
from moorage.notifications.context import product_of, template_context
from moorage.notifications.models import Notification, StaffNotificationRecipient

log = logging.getLogger(__name__)


def _compose(event: str, raw: dict[str, Any], *, language: str) -> texts.Composed:
    """The texts of one notification from the objects an action handed over; never raises."""
    try:
        return texts.compose(event, template_context(raw), language=language, product_id=product_of(raw))
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
) -> Notification | None:
    """Inner step: record one notification of event `template`, at most once per `dedupe_key`;
    delivery follows the commit.

    The text comes from the template the product chose for the event (else the event's Default), in
    the client's language, rendered in the sandbox on plain data made from `context`. An event with
    a mobile channel also records a Web Push row (key + ":push"). Returns None when that key was
    already used (the event was already produced). `skip=True` records the key without sending (a
    reminder superseded by a later one).
    """
    event = events.get(template)
    if Notification.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    composed = _compose(template, {"client": client, **(context or {})}, language=client.language)
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


def _enqueue(notification_id: int) -> None:
    from moorage.notifications.tasks import send_notification

    try:
        send_notification.enqueue(notification_id)
    except Exception:  # the row stays queued; `deliver_pending` sends it
        log.exception("could not enqueue notification %s", notification_id)


def deliver(notification_id: int, *, now: dt.datetime) -> str:
    """Send one queued notification through Django's email backend (outside any transaction)."""
    with transaction.atomic():
        row = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk=notification_id, status=Notification.Status.QUEUED)
            .first()
        )
        if row is None:
            return "not queued"
        row.attempts += 1
        row.save(update_fields=["attempts"])
    try:
        EmailMessage(
            subject=row.subject, body=row.body, from_email=settings.DEFAULT_FROM_EMAIL, to=[row.to_email]
        ).send(fail_silently=False)
    except Exception as exc:  # SMTP down: keep it queued for the next delivery run, up to 5 tries
        row.last_error = f"{type(exc).__name__}: {exc}"
        row.status = Notification.Status.FAILED if row.attempts >= 5 else Notification.Status.QUEUED
        row.save(update_fields=["last_error", "status"])
        return row.status
    row.status, row.sent_at, row.last_error = Notification.Status.SENT, now, ""
    row.save(update_fields=["status", "sent_at", "last_error"])
    return row.status


def deliver_pending(*, now: dt.datetime, limit: int = 1000) -> int:
    """Send every queued notification (the cron safety net for lost wake-ups)."""
    sent = 0
    for pk in list(
        Notification.objects.filter(status=Notification.Status.QUEUED)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    ):
        if deliver(pk, now=now) == Notification.Status.SENT:
            sent += 1
    return sent
