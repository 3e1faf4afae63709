"""Notifications: one row per event sent to a client (or staff): the client's related emails."""

from __future__ import annotations

from django.db import models

from moorage.customers.models import Client


class Notification(models.Model):
    """An email Moorage sends: its template, rendered text, delivery state, and what it is about.

    `dedupe_key` makes "sent at most once" a database fact (e.g. one overdue reminder per invoice).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    class Audience(models.TextChoices):
        CLIENT = "client", "Client"
        STAFF = "staff", "Staff"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        PUSH = "push", "Mobile (Web Push)"

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
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    # Real time of queueing (not the business clock): lost wake-ups are re-sent after a while.
    queued_at = models.DateTimeField(auto_now_add=True, null=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Retries with backoff: a queued row is not tried again before this moment (real time).
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.template} → {self.to_email} ({self.status})"
