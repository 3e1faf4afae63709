"""Staff area: every notification (the clients' related emails, staff emails, mobile notifications),
its delivery attempts, and Resend."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from moorage.core import clock
from moorage.core.admin_views import ReadOnlyAdmin, ReadOnlyTabularInline
from moorage.core.errors import DomainError
from moorage.notifications.delivery import RESENDABLE, notification_resend
from moorage.notifications.models import DeliveryAttempt, Notification


class DeliveryAttemptInline(ReadOnlyTabularInline):
    model = DeliveryAttempt
    fields = ["number", "channel", "resend_by", "started_at", "finished_at", "outcome", "error"]
    readonly_fields = fields
    verbose_name_plural = _("Delivery attempts")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The attempts are part of the notification: who may view it sees them.
        return request.user.has_perm("notifications.view_notification")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "template",
        "channel",
        "to_email",
        "subject",
        "status",
        "attempts",
        "error_short",
        "sent_at",
        "client",
    ]
    list_filter = ["status", "channel", "template", "audience"]
    search_fields = ["to_email", "subject", "dedupe_key"]
    readonly_fields = [
        "client",
        "audience",
        "template",
        "channel",
        "language",
        "dedupe_key",
        "to_email",
        "subject",
        "body",
        "html_body",
        "service_id",
        "invoice_id",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
    ]
    inlines = [DeliveryAttemptInline]
    actions = ["resend_selected"]

    @admin.display(description=_("Error"))
    def error_short(self, obj: Notification) -> str:
        return obj.last_error[:120] if obj.status != Notification.Status.SENT else ""

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("notifications.resend_notification")

    @admin.action(description=_("Resend the selected notifications"), permissions=["resend"])
    def resend_selected(self, request: HttpRequest, queryset: Any) -> None:
        done = 0
        for row in queryset.order_by("pk"):
            if row.status not in RESENDABLE:
                messages.warning(
                    request, gettext("#%(id)s is %(status)s: not resent.") % {"id": row.pk, "status": row.status}
                )
                continue
            try:
                notification_resend(notification_id=row.pk, now=clock.now(), actor=request.user)
            except DomainError as exc:
                messages.error(request, f"#{row.pk}: {exc.message}")
            else:
                done += 1
        if done:
            messages.success(request, gettext("%(count)s notification(s) queued to be sent again.") % {"count": done})
