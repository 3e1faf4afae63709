"""Notifications: one row per event sent to a client (or staff): the client's related emails."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from moorage.customers.models import Client


class Notification(models.Model):
    """An email Moorage sends: its template, rendered text, delivery state, and what it is about.

    `dedupe_key` makes "sent at most once" a database fact (e.g. one overdue reminder per invoice).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        # Claimed by a worker that is sending it now: never picked up by another worker.
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")
        # The worker stopped while sending: it may or may not have arrived. Never re-sent by itself
        # (at most once); staff check and resend.
        UNKNOWN = "unknown", _("Unknown — check and resend")

    class Audience(models.TextChoices):
        CLIENT = "client", "Client"
        STAFF = "staff", "Staff"

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        PUSH = "push", _("Mobile (Web Push)")

    client = models.ForeignKey(Client, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.CLIENT)
    template = models.CharField(max_length=64, db_index=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    language = models.CharField(max_length=10, blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    to_email = models.CharField(max_length=254)
    subject = models.CharField(max_length=300)
    body = models.TextField()  # plain text (email) or the notification's text (push)
    html_body = models.TextField(blank=True)
    # What the event is about (plain ids: notifications sit below services and billing).
    service_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    invoice_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    attempts = models.PositiveIntegerField(default=0)  # every delivery attempt, resends included
    # Failed attempts since it was last queued (the backoff step); a resend starts again at 0.
    round_failures = models.PositiveIntegerField(default=0)
    # Who asked for the pending resend ("client", "staff:<email>"); copied onto the next attempt.
    resend_by = models.CharField(max_length=300, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    # Real time of queueing (not the business clock): lost wake-ups are re-sent after a while.
    queued_at = models.DateTimeField(auto_now_add=True, null=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Retries with backoff: a queued row is not tried again before this moment (real time).
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("resend_notification", "Can resend a notification")]

    def __str__(self) -> str:
        return f"{self.template} → {self.to_email} ({self.status})"


class DeliveryAttempt(models.Model):
    """One try at sending a notification (email or Web Push): kept for good, resends included."""

    class Outcome(models.TextChoices):
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        RETRY = "retry", _("Error, will retry")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")
        UNKNOWN = "unknown", _("Unknown")

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="delivery_attempts")
    number = models.PositiveIntegerField()  # 1, 2, … per notification
    channel = models.CharField(max_length=10, choices=Notification.Channel.choices)
    # "" for the first send and automatic retries; "client" or "staff:<email>" for a resend.
    resend_by = models.CharField(max_length=300, blank=True)
    # Set by the worker that claims the row (the `now` it was given) and when it has the answer.
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.SENDING)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["notification_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["notification", "number"], name="delivery_attempt_number_once"),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of notification {self.notification_id}: {self.outcome}"


class NotificationTemplate(models.Model):
    """A template of one notification event: "Default" (used unless a product chose another) or a
    variant staff created. Its texts, one per language, are `NotificationTemplateText` rows."""

    event = models.CharField(max_length=64, db_index=True)  # a code of notifications.events.EVENTS
    name = models.CharField(_("name"), max_length=100, default="Default")
    # Set by `install_defaults` on the variant it creates, and moved only by staff ("Make default").
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["event", "-is_default", "name"]
        verbose_name = _("notification template")
        verbose_name_plural = _("notification templates")
        constraints = [
            models.UniqueConstraint(fields=["event", "name"], name="notification_template_event_name"),
            models.UniqueConstraint(
                fields=["event"], condition=models.Q(is_default=True), name="notification_template_one_default"
            ),
        ]

    def __str__(self) -> str:
        from moorage.notifications.events import EVENTS

        event = EVENTS.get(self.event)
        return f"{event.label if event else self.event}: {self.name}"


class NotificationTemplateText(models.Model):
    """A template's texts in one language: subject, plain-text and HTML body (Jinja2, sandboxed), and
    for mobile events the push notification's title and text."""

    template = models.ForeignKey(NotificationTemplate, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(max_length=10)
    subject = models.CharField(_("subject"), max_length=300)
    text_body = models.TextField(_("plain-text body"))
    html_body = models.TextField(_("HTML body"), blank=True)
    push_title = models.CharField(_("mobile: title"), max_length=200, blank=True)
    push_text = models.CharField(_("mobile: text"), max_length=500, blank=True)

    class Meta:
        ordering = ["template", "language"]
        verbose_name = _("notification template text")
        verbose_name_plural = _("notification template texts")
        constraints = [
            models.UniqueConstraint(fields=["template", "language"], name="notification_template_text_language")
        ]

    def __str__(self) -> str:
        return f"{self.template} [{self.language}]"


class ProductNotificationTemplate(models.Model):
    """A product's choice of template for one client event (the product's Emails section, "Change").
    `product_id` is a plain id: notifications sit below the catalog."""

    product_id = models.BigIntegerField(db_index=True)
    event = models.CharField(max_length=64)
    template = models.ForeignKey(NotificationTemplate, on_delete=models.CASCADE, related_name="product_choices")

    class Meta:
        verbose_name = _("product's notification template")
        verbose_name_plural = _("products' notification templates")
        constraints = [
            models.UniqueConstraint(fields=["product_id", "event"], name="product_notification_template_event")
        ]

    def __str__(self) -> str:
        return f"product {self.product_id}: {self.template}"


class StaffNotificationRecipient(models.Model):
    """A staff member who receives a staff notification event. An event with no rows goes to every
    active staff member."""

    event = models.CharField(max_length=64)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["event", "user"]
        verbose_name = _("staff notification recipient")
        verbose_name_plural = _("staff notification recipients")
        constraints = [models.UniqueConstraint(fields=["event", "user"], name="staff_notification_recipient")]

    def __str__(self) -> str:
        return f"{self.event} → {self.user}"
