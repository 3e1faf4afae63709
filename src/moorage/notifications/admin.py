"""Staff area: every notification sent (the clients' related emails), read-only."""

from __future__ import annotations

from django.contrib import admin

from moorage.core.admin_views import ReadOnlyAdmin
from moorage.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "template", "to_email", "subject", "status", "sent_at", "client"]
    list_filter = ["status", "template", "audience"]
    search_fields = ["to_email", "subject", "dedupe_key"]
    readonly_fields = [
        "client",
        "audience",
        "template",
        "dedupe_key",
        "to_email",
        "subject",
        "body",
        "service_id",
        "invoice_id",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
    ]
